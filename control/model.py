"""What every control command is: the common envelope, how a type is declared, how a refusal
reads.

A command document (one JSON object per control record)::

    {"type": "set_policy", "command_id": "cmd-42", "issued_at": "2026-11-23T15:00:00Z",
     "issued_by": "anna@example.com", "reason": "Q4: tighter latency", "policy_toml": "..."}

Contract:

* :class:`Command` holds the fields every type shares; a type's model adds its own and names
  itself with ``type: Literal["<name>"]``; unknown fields are refused (``extra="forbid"``);
* :class:`CommandKind` declares a type: its model and how the engine applies it — ``apply``
  runs inside the command transaction with the engine's clock ``now`` (never the sender's
  ``issued_at``: a command cannot rewrite the past) and returns ``("applied" | "rejected",
  detail)``; a rejection's detail names the field and the rule;
* :meth:`CommandKind.bound` gives the :class:`CommandType` the engine runs, with the settings
  of the layers it applies to (:class:`CommandContext`) filled in;
* :func:`validation_reason` is the one wording of a model's refusal, shared by the engine's
  audit, the dashboard and the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args

import duckdb
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from alerting.config import AlertingSettings

Status = Literal["applied", "rejected", "duplicate"]
"""What happened to a control record (``duplicate``: its ``command_id`` was applied before)."""


Text = Annotated[str, Field(min_length=1, max_length=200)]
"""An identifier or a name a command refers to (a vendor, a rule, a silence)."""

Comment = Annotated[str, Field(max_length=2000)]
"""Free text for people (audited, shown to others)."""


class Command(BaseModel):
    """What every command carries; each type adds its own fields (``extra`` is refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    command_id: Annotated[str, Field(min_length=1, max_length=128)]
    issued_at: AwareDatetime
    issued_by: Annotated[str, Field(min_length=1, max_length=200)]
    reason: Comment | None = None


C = TypeVar("C", bound=Command)


@dataclass(frozen=True)
class CommandContext:
    """The engine's settings a command may need when it is applied."""

    alerting: AlertingSettings


@dataclass(frozen=True)
class CommandType:
    """One command type as the engine applies it: validated by ``model``; ``apply(con, command,
    now)`` runs inside the command transaction (see the module docstring)."""

    model: type[Command]
    apply: Callable[[duckdb.DuckDBPyConnection, Any, datetime], tuple[Status, str]]


@dataclass(frozen=True)
class CommandKind(Generic[C]):
    """The declaration of one command type (see the module docstring)."""

    model: type[C]
    apply: Callable[[duckdb.DuckDBPyConnection, C, datetime, CommandContext], tuple[Status, str]]

    @property
    def name(self) -> str:
        """The ``type`` the model accepts (its ``Literal``)."""
        return type_name(self.model)

    def bound(self, context: CommandContext) -> CommandType:
        """This type as the engine applies it, with ``context`` filled in."""
        apply = self.apply

        def applied(
            con: duckdb.DuckDBPyConnection, command: C, now: datetime
        ) -> tuple[Status, str]:
            return apply(con, command, now, context)

        return CommandType(self.model, applied)


def type_name(model: type[Command]) -> str:
    """The one ``type`` value ``model`` accepts; ValueError when it is not a single Literal."""
    names = get_args(model.model_fields["type"].annotation)
    if len(names) != 1 or not isinstance(names[0], str):
        raise ValueError(f"{model.__name__}.type must be one Literal string, not {names!r}")
    return names[0]


class InvalidCommand(ValueError):
    """A command its model refuses; the message is :func:`validation_reason`'s."""


def validation_reason(error: ValidationError) -> str:
    """The first error as ``field: message``; a rule across fields names its fields itself."""
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {message}" if where else message
