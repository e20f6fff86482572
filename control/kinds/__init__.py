"""The registry of control command types: each is one module here, registered once below.

Adding a command type: write ``control/kinds/<name>.py`` with its model (a
:class:`~control.model.Command` with ``type: Literal["<name>"]``), its ``apply`` and
``KIND = CommandKind(Model, apply)``, then add ``<name>.KIND`` to :data:`KINDS`. The engine
(:func:`command_types`), the senders (:func:`model_of`) and the audit pick it up from here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from alerting.config import AlertingSettings
from control.kinds import ack, set_policy, silence, unsilence
from control.model import Command, CommandContext, CommandKind, CommandType

KINDS: tuple[CommandKind[Any], ...] = (
    set_policy.KIND,
    ack.KIND,
    silence.KIND,
    unsilence.KIND,
)
"""Every command type the engine understands."""

KIND_BY_NAME: dict[str, CommandKind[Any]] = {kind.name: kind for kind in KINDS}
if len(KIND_BY_NAME) != len(KINDS):
    raise RuntimeError("two command kinds share one type name")


def command_types(
    alerting: AlertingSettings, *, only: Collection[str] | None = None
) -> dict[str, CommandType]:
    """The command types as the engine applies them (by ``type``), with ``alerting`` as the
    settings they apply with; ``only``: just these types (KeyError for an unknown one)."""
    context = CommandContext(alerting=alerting)
    names = list(KIND_BY_NAME) if only is None else list(only)
    return {name: KIND_BY_NAME[name].bound(context) for name in names}


def model_of(name: str) -> type[Command]:
    """The model of command type ``name``; KeyError when there is none."""
    return KIND_BY_NAME[name].model
