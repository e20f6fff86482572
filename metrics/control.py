"""Commands on the control topic that change the rules: validated, applied, and audited.

A command is one JSON object per Kafka record on ``topics.control`` (``vendorwatch.control``):

    {"type": "set_policy", "command_id": "cmd-42", "issued_at": "2026-11-23T15:00:00Z",
     "issued_by": "anna@example.com", "reason": "Q4: tighter latency", "policy_toml": "..."}

Contract of :func:`apply_commands`:

* every record gets exactly one row in ``command_log`` (``applied``, ``rejected`` with a reason
  naming the field or policy key and the rule, or ``duplicate`` for a ``command_id`` seen before),
  with its raw value, topic, partition and offset — nothing is dropped;
* an applied ``set_policy`` records the policy in ``policy_history`` in force from ``now`` (the
  engine's clock when it applies it, never the sender's ``issued_at``: a command cannot rewrite
  the past), with ``source`` ``control:<command_id>``;
* the rows and the control topic's next offsets (``control_offsets``) commit in one transaction,
  so a crash never applies a command twice or skips one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import duckdb
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


class SetPolicy(BaseModel):
    """Replace the alert policy from now on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["set_policy"]
    command_id: Annotated[str, Field(min_length=1, max_length=128)]
    issued_at: AwareDatetime
    issued_by: Annotated[str, Field(min_length=1, max_length=200)]
    reason: Annotated[str, Field(max_length=2000)] | None = None
    policy_toml: Annotated[str, Field(min_length=1, max_length=MAX_POLICY_BYTES)]


@dataclass(frozen=True)
class CommandOutcome:
    """What happened to one control record."""

    status: Literal["applied", "rejected", "duplicate"]
    detail: str
    command: SetPolicy | None


def _validation_reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "command"
    return f"{where}: {first['msg']}"


def _decide(con: duckdb.DuckDBPyConnection, value: bytes | None, now: datetime) -> CommandOutcome:
    if value is None:
        return CommandOutcome("rejected", "record has no value", None)
    try:
        command = SetPolicy.model_validate_json(value)
    except ValidationError as error:
        return CommandOutcome("rejected", _validation_reason(error), None)
    seen = con.execute(
        "SELECT count(*) FROM command_log WHERE command_id = ? AND status <> 'rejected'",
        [command.command_id],
    ).fetchall()[0][0]
    if seen:
        return CommandOutcome("duplicate", "command_id was already applied", command)
    try:
        policy = parse_policy(command.policy_toml, source=f"command {command.command_id}")
    except PolicyError as error:
        return CommandOutcome("rejected", str(error), command)
    added = record_policy(con, policy, effective_from=now, source=f"control:{command.command_id}")
    detail = f"policy {policy.version} in force from {now.isoformat()}"
    return CommandOutcome("applied", detail if added else f"{detail} (already in force)", command)


def apply_commands(
    con: duckdb.DuckDBPyConnection,
    records: Sequence[ConsumedRecord],
    now: datetime,
    *,
    baseline: Policy,
) -> list[CommandOutcome]:
    """Apply ``records`` (one topic, in offset order per partition) in one transaction; records
    before the stored ``control_offsets`` were applied already and are skipped. ``baseline`` is
    the configured policy: on a store with no policy history yet it is recorded first (for all
    of history), so a command is never the policy of the past."""
    stored = {
        (t, p): o
        for t, p, o in con.execute(
            'SELECT topic, "partition", next_offset FROM control_offsets'
        ).fetchall()
    }
    fresh = [r for r in records if r.offset >= stored.get((r.topic, r.partition), 0)]
    if not fresh:
        return []
    outcomes = []
    con.begin()
    try:
        if latest_version(con, source="file") is None:
            record_policy(con, baseline, effective_from=now, source="file")
        for record in fresh:
            outcome = _decide(con, record.value, now)
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
