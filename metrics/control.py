"""Commands on the control topic: validated, applied, and audited, whatever their type.

A command is one JSON object per Kafka record on ``topics.control`` (``vendorwatch.control``):

    {"type": "set_policy", "command_id": "cmd-42", "issued_at": "2026-11-23T15:00:00Z",
     "issued_by": "anna@example.com", "reason": "Q4: tighter latency", "policy_toml": "..."}

Contract of :func:`apply_commands`:

* every record gets exactly one row in ``command_log`` (``applied``, ``rejected`` with a reason
  naming the field or policy key and the rule, or ``duplicate`` for a ``command_id`` seen before),
  with its raw value, topic, partition and offset — nothing is dropped;
* the command types are a registry (:class:`CommandType` by ``type``): this module brings
  ``set_policy``; alerting brings ``ack``, ``silence`` and ``unsilence`` (``alerting.commands``);
* an applied ``set_policy`` records the policy in ``policy_history`` in force from ``now`` (the
  engine's clock when it applies it, never the sender's ``issued_at``: a command cannot rewrite
  the past), with ``source`` ``control:<command_id>``;
* the rows and the control topic's next offsets (``control_offsets``) commit in one transaction,
  so a crash never applies a command twice or skips one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

import duckdb
import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from ingest.records import ConsumedRecord
from metrics.policy import Policy, parse_policy
from metrics.policy_errors import PolicyError
from metrics.policy_history import latest_version, record_policy

DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS command_log (
    command_id VARCHAR,
    type VARCHAR,
    issued_by VARCHAR,
    issued_at TIMESTAMPTZ,
    received_at TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,
    detail VARCHAR NOT NULL,
    topic VARCHAR NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    raw BLOB
)""",
    """CREATE TABLE IF NOT EXISTS control_offsets (
    topic VARCHAR NOT NULL,
    "partition" INTEGER NOT NULL,
    next_offset BIGINT NOT NULL,
    PRIMARY KEY (topic, "partition")
)""",
)

MAX_POLICY_BYTES = 256 * 1024


class Command(BaseModel):
    """What every command carries; each type adds its own fields (``extra`` is refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    command_id: Annotated[str, Field(min_length=1, max_length=128)]
    issued_at: AwareDatetime
    issued_by: Annotated[str, Field(min_length=1, max_length=200)]
    reason: Annotated[str, Field(max_length=2000)] | None = None


class SetPolicy(Command):
    """Replace the alert policy from now on."""

    type: Literal["set_policy"]
    policy_toml: Annotated[str, Field(min_length=1, max_length=MAX_POLICY_BYTES)]


Status = Literal["applied", "rejected", "duplicate"]


@dataclass(frozen=True)
class CommandOutcome:
    """What happened to one control record."""

    status: Status
    detail: str
    command: Command | None


@dataclass(frozen=True)
class CommandType:
    """How one ``type`` of command is validated (``model``) and applied: ``apply`` runs inside
    the command transaction and returns ("applied" | "rejected", detail)."""

    model: type[Command]
    apply: Callable[[duckdb.DuckDBPyConnection, Any, datetime], tuple[Status, str]]


def validation_reason(error: ValidationError) -> str:
    """The first error as ``field: message``; a rule across fields names its fields itself."""
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {message}" if where else message


def _apply_set_policy(
    con: duckdb.DuckDBPyConnection, command: SetPolicy, now: datetime
) -> tuple[Status, str]:
    try:
        policy = parse_policy(command.policy_toml, source=f"command {command.command_id}")
    except PolicyError as error:
        return "rejected", str(error)
    added = record_policy(con, policy, effective_from=now, source=f"control:{command.command_id}")
    detail = f"policy {policy.version} in force from {now.isoformat()}"
    return "applied", detail if added else f"{detail} (already in force)"


POLICY_COMMANDS = {"set_policy": CommandType(SetPolicy, _apply_set_policy)}


def _decide(
    con: duckdb.DuckDBPyConnection,
    value: bytes | None,
    now: datetime,
    types: Mapping[str, CommandType],
) -> CommandOutcome:
    if value is None:
        return CommandOutcome("rejected", "record has no value", None)
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError as error:
        return CommandOutcome("rejected", f"command: not JSON ({error})", None)
    kind = document.get("type") if isinstance(document, dict) else None
    if not isinstance(kind, str) or kind not in types:
        known = ", ".join(sorted(types))
        return CommandOutcome("rejected", f"type: {kind!r} is not a command ({known})", None)
    command_type = types[kind]
    try:
        command = command_type.model.model_validate(document)
    except ValidationError as error:
        return CommandOutcome("rejected", validation_reason(error), None)
    seen = con.execute(
        "SELECT count(*) FROM command_log WHERE command_id = ? AND status <> 'rejected'",
        [command.command_id],
    ).fetchall()[0][0]
    if seen:
        return CommandOutcome("duplicate", "command_id was already applied", command)
    status, detail = command_type.apply(con, command, now)
    return CommandOutcome(status, detail, command)


def apply_commands(
    con: duckdb.DuckDBPyConnection,
    records: Sequence[ConsumedRecord],
    now: datetime,
    *,
    baseline: Policy,
    types: Mapping[str, CommandType] = POLICY_COMMANDS,
) -> list[CommandOutcome]:
    """Apply ``records`` (one topic, in offset order per partition) in one transaction; records
    before the stored ``control_offsets`` were applied already and are skipped. ``baseline`` is
    the configured policy: on a store with no policy history yet it is recorded first (for all
    of history), so a command is never the policy of the past. ``types``: the commands this
    engine understands, by ``type``; any other type is rejected (and logged)."""
    stored = next_offsets(con)
    fresh = [r for r in records if r.offset >= stored.get((r.topic, r.partition), 0)]
    if not fresh:
        return []
    outcomes = []
    con.begin()
    try:
        if latest_version(con, source="file") is None:
            record_policy(con, baseline, effective_from=now, source="file")
        for record in fresh:
            outcome = _decide(con, record.value, now, types)
            command = outcome.command
            con.execute(
                "INSERT INTO command_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    command.command_id if command else None,
                    command.type if command else None,
                    command.issued_by if command else None,
                    command.issued_at if command else None,
                    now,
                    outcome.status,
                    outcome.detail,
                    record.topic,
                    record.partition,
                    record.offset,
                    record.value,
                ],
            )
            con.execute(
                "INSERT OR REPLACE INTO control_offsets VALUES (?, ?, ?)",
                [record.topic, record.partition, record.offset + 1],
            )
            outcomes.append(outcome)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return outcomes


def next_offsets(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], int]:
    """Where to continue reading the control topic, per partition."""
    return {
        (t, p): o
        for t, p, o in con.execute(
            'SELECT topic, "partition", next_offset FROM control_offsets'
        ).fetchall()
    }
