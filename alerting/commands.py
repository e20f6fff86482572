"""Alerting's control commands: ``ack``, ``silence`` (with expiry, or recurring) and ``unsilence``.

They arrive on the control topic like ``set_policy`` (see :mod:`metrics.control` for the
common fields, the audit in ``command_log`` and exactly-once application). Examples:

    {"type": "ack", "command_id": "c1", "issued_at": "...", "issued_by": "sam",
     "vendor_id": "hooli-claims-1", "rule": "latency_p95", "comment": "vendor is on it"}
    {"type": "silence", "command_id": "c2", "issued_at": "...", "issued_by": "sam",
     "matchers": {"vendor_id": "hooli-claims-1"}, "ends_at": "2026-11-24T08:00:00Z"}
    {"type": "silence", "command_id": "c3", "issued_at": "...", "issued_by": "sam",
     "matchers": {"tier": "low"},
     "every": {"days": ["sun"], "start": "02:00", "end": "04:00", "tz": "UTC"}}
    {"type": "unsilence", "command_id": "c4", "issued_at": "...", "issued_by": "sam",
     "silence_id": "c2"}

Rules: an ``ack`` needs a firing alert (and, with ``alert_id``, that very state); a silence
needs at least one matcher and either ``ends_at`` after its start or an ``every`` schedule;
its id is ``silence_id`` or else the command id. The engine's clock decides "now".
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, Literal

import duckdb
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from alerting.config import TOPIC_CHANNEL, AlertingSettings, AlertSeverity, Tier
from alerting.mutes import DAYS
from alerting.planner import alert_rows, enqueue, ensure_tables, news_of, vendor_of
from metrics.control import Command, CommandType, Status
from metrics.zones import TimeZoneName

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class Ack(Command):
    """Acknowledge a firing alert: no more repeats until its state changes."""

    type: Literal["ack"]
    vendor_id: Text
    rule: Text
    alert_id: Text | None = None
    comment: Annotated[str, Field(max_length=2000)] | None = None


class Matchers(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    vendor_id: Text | None = None
    rule: Text | None = None
    severity: AlertSeverity | None = None
    tier: Tier | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Matchers:
        if not any((self.vendor_id, self.rule, self.severity, self.tier)):
            raise ValueError("give at least one of vendor_id, rule, severity, tier")
        return self


class Every(BaseModel):
    """A weekly maintenance window: on ``days``, from ``start`` to ``end`` (past midnight when
    ``end`` is not after ``start``), wall-clock time in ``tz``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: Annotated[list[Day], Field(min_length=1)]
    start: time
    end: time
    tz: TimeZoneName = "UTC"

    @model_validator(mode="after")
    def _not_empty(self) -> Every:
        if self.start == self.end:
            raise ValueError("start and end are equal: the window would be empty")
        return self


class Silence(Command):
    """Mute matching alerts until ``ends_at``, or on a weekly schedule (``every``)."""

    type: Literal["silence"]
    silence_id: Text | None = None
    matchers: Matchers
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    every: Every | None = None
    comment: Annotated[str, Field(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Silence:
        if self.every is None and self.ends_at is None:
            raise ValueError("ends_at: required unless 'every' makes it a maintenance window")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at: must be after starts_at")
        return self


class Unsilence(Command):
    """End a silence or maintenance window now."""

    type: Literal["unsilence"]
    silence_id: Text


def _ack(settings: AlertingSettings) -> CommandType:
    def apply(con: duckdb.DuckDBPyConnection, command: Ack, now: datetime) -> tuple[Status, str]:
        ensure_tables(con)
        row = _current(con, command.vendor_id, command.rule)
        if row is None or row["state"] != "firing":
            return "rejected", f"rule: no firing alert {command.rule} for {command.vendor_id}"
        if command.alert_id is not None and command.alert_id != row["alert_id"]:
            return "rejected", (
                f"alert_id: the alert changed since ({command.alert_id} is no longer current; "
                f"now {row['alert_id']}, {row['severity']})"
            )
        con.execute(
            """UPDATE alert_state SET acked_by = ?, acked_at = ?, ack_comment = ?
            WHERE vendor_id = ? AND rule = ?""",
            [command.issued_by, now, command.comment, command.vendor_id, command.rule],
        )
        if settings.publish_topic:
            row["acked_by"] = command.issued_by
            news = news_of(row, "acknowledged")
            enqueue(con, settings, TOPIC_CHANNEL, vendor_of(row), [news], now)
        return "applied", f"{command.vendor_id} {command.rule} acknowledged by {command.issued_by}"

    return CommandType(Ack, apply)


def _silence(con: duckdb.DuckDBPyConnection, command: Silence, now: datetime) -> tuple[Status, str]:
    ensure_tables(con)
    silence_id = command.silence_id or command.command_id
    starts = command.starts_at or now
    if command.ends_at is not None and command.ends_at <= now:
        return "rejected", f"ends_at: {command.ends_at.isoformat()} has already passed"
    exists = con.execute("SELECT 1 FROM silences WHERE silence_id = ?", [silence_id]).fetchall()
    if exists:
        return "rejected", f"silence_id: {silence_id!r} exists; unsilence it or use another id"
    every, m = command.every, command.matchers
    con.execute(
        "INSERT INTO silences VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        [
            silence_id,
            m.vendor_id,
            m.rule,
            m.severity,
            m.tier,
            starts,
            command.ends_at,
            sorted(every.days, key=DAYS.index) if every else None,
            every.start if every else None,
            every.end if every else None,
            every.tz if every else None,
            command.issued_by,
            now,
            command.comment,
        ],
    )
    what = "maintenance window" if every else "silence"
    until = command.ends_at.isoformat() if command.ends_at else "removed"
    return "applied", f"{what} {silence_id} from {starts.isoformat()} until {until}"


def _unsilence(
    con: duckdb.DuckDBPyConnection, command: Unsilence, now: datetime
) -> tuple[Status, str]:
    ensure_tables(con)
    found = con.execute(
        "SELECT removed_at FROM silences WHERE silence_id = ?", [command.silence_id]
    ).fetchall()
    if not found:
        return "rejected", f"silence_id: no silence {command.silence_id!r}"
    if found[0][0] is not None:
        return "rejected", f"silence_id: {command.silence_id!r} was removed already"
    con.execute(
        "UPDATE silences SET removed_at = ?, removed_by = ? WHERE silence_id = ?",
        [now, command.issued_by, command.silence_id],
    )
    return "applied", f"silence {command.silence_id} removed"


def _current(con: duckdb.DuckDBPyConnection, vendor_id: str, rule: str) -> dict[str, Any] | None:
    rows = alert_rows(con, "s.vendor_id = ? AND s.rule = ?", [vendor_id, rule])
    return rows[0] if rows else None


def alert_commands(settings: AlertingSettings) -> dict[str, CommandType]:
    """The alerting command types, for :func:`metrics.control.apply_commands`."""
    return {
        "ack": _ack(settings),
        "silence": CommandType(Silence, _silence),
        "unsilence": CommandType(Unsilence, _unsilence),
    }
