"""``silence``: mute matching alerts until ``ends_at``, or every week (a maintenance window).

    {"type": "silence", "command_id": "c2", "issued_at": "...", "issued_by": "sam",
     "matchers": {"vendor_id": "hooli-claims-1"}, "ends_at": "2026-11-24T08:00:00Z"}
    {"type": "silence", "command_id": "c3", "issued_at": "...", "issued_by": "sam",
     "matchers": {"tier": "low"},
     "every": {"days": ["sun"], "start": "02:00", "end": "04:00", "tz": "UTC"}}

Rules: at least one matcher; either ``ends_at`` (after ``starts_at`` and not yet past when the
engine applies it) or an ``every`` schedule; its id is ``silence_id`` or else the command id,
and must be new. Applied: a row in ``silences`` (from ``starts_at`` or the engine's ``now``),
which the planner's mutes read.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Literal

import duckdb
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from alerting.config import AlertSeverity, Tier
from alerting.mutes import DAYS
from alerting.planner import ensure_tables
from control.model import Command, CommandContext, CommandKind, Comment, Status, Text
from metrics.zones import TimeZoneName

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Matchers(BaseModel):
    """Which alerts a silence mutes: all the given fields must match."""

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
    comment: Comment | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Silence:
        if self.every is None and self.ends_at is None:
            raise ValueError("ends_at: required unless 'every' makes it a maintenance window")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at: must be after starts_at")
        return self


def apply(
    con: duckdb.DuckDBPyConnection, command: Silence, now: datetime, _: CommandContext
) -> tuple[Status, str]:
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


KIND = CommandKind(Silence, apply)
