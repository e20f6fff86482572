"""Applying control records in the engine: validated, applied exactly once, audited.

Contract of :func:`apply_commands`:

* every record gets exactly one row in ``command_log`` (``applied``, ``rejected`` with a reason
  naming the field or policy key and the rule, or ``duplicate`` for a ``command_id`` applied
  before), with its raw value, topic, partition and offset — nothing is dropped;
* the types it understands are the ones it is given (:func:`control.kinds.command_types`), by
  ``type``; any other type is rejected (and logged);
* "now" is the engine's clock when it applies a record, never the sender's ``issued_at``;
* the rows and the control topic's next offsets (``control_offsets``) commit in one
  transaction, so a crash never applies a command twice or skips one.

The tables (:data:`DDL`) keep the names and columns of earlier releases, so existing stores
go on working; :func:`ensure_tables` creates them where they are missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import orjson
from pydantic import ValidationError

from control.model import Command, CommandType, Status, validation_reason
from ingest.records import ConsumedRecord
from metrics.policy import Policy
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


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``command_log`` and ``control_offsets`` where they are missing."""
    for statement in DDL:
        con.execute(statement)


@dataclass(frozen=True)
class CommandOutcome:
    """What happened to one control record."""

    status: Status
    detail: str
    command: Command | None


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
    types: Mapping[str, CommandType],
) -> list[CommandOutcome]:
    """Apply ``records`` (one topic, in offset order per partition) in one transaction; records
    before the stored ``control_offsets`` were applied already and are skipped. ``baseline`` is
    the configured policy: on a store with no policy history yet it is recorded first (for all
    of history), so a command is never the policy of the past. ``types``: the commands this
    engine understands, by ``type``; any other type is rejected (and logged)."""
    ensure_tables(con)
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
            _audit(con, record, outcome, now)
            outcomes.append(outcome)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return outcomes


def _audit(
    con: duckdb.DuckDBPyConnection, record: ConsumedRecord, outcome: CommandOutcome, now: datetime
) -> None:
    """The record's ``command_log`` row and the offset after it, in the caller's transaction."""
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


def next_offsets(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], int]:
    """Where to continue reading the control topic, per partition."""
    return {
        (t, p): o
        for t, p, o in con.execute(
            'SELECT topic, "partition", next_offset FROM control_offsets'
        ).fetchall()
    }
