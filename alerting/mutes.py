"""The mute stage: acknowledgements, silences and recurring maintenance windows.

:func:`mute` takes the plan stage's batch: it records which mute holds each alert now
(``alert_state.muted_by``), holds back the reminders of acknowledged alerts (an
acknowledgement stops repeats until the state changes; any new transition clears it) and
every candidate a silence or window matches, each with its :class:`~alerting.pipeline.Hold`.
The alerts topic's ``feed`` candidates pass untouched: the feed is not a page.

Contract of silences and windows:

* a mute matches an alert when every matcher it sets (vendor, rule, severity, tier) equals
  the alert's; a mute sets at least one (enforced by the command that creates it);
* a silence is active on ``[starts_at, ends_at)``; a maintenance window is active, from
  ``starts_at`` until ``ends_at`` (if any), on each of its ``days`` from ``window_start`` to
  ``window_end`` in its time zone — a window whose end is not after its start runs past
  midnight into the next day (``sat 22:00-02:00`` covers Saturday night);
* a removed mute (``removed_at``) is inactive from then on;
* muting holds notifications back, it does not drop them: an alert that changed while muted
  is notified once the mute ends, if it still matters (see :mod:`alerting.plan`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from alerting.pipeline import Batch, Hold

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Mute:
    """A silence, or a maintenance window when ``days`` is set."""

    silence_id: str
    vendor_id: str | None
    rule: str | None
    severity: str | None
    tier: str | None
    starts_at: datetime
    ends_at: datetime | None
    days: tuple[str, ...] = ()
    window_start: time | None = None
    window_end: time | None = None
    tz: str | None = None

    def matches(self, *, vendor_id: str, rule: str, severity: str | None, tier: str | None) -> bool:
        return (
            (self.vendor_id is None or self.vendor_id == vendor_id)
            and (self.rule is None or self.rule == rule)
            and (self.severity is None or self.severity == severity)
            and (self.tier is None or self.tier == tier)
        )

    def active(self, now: datetime) -> bool:
        if now < self.starts_at or (self.ends_at is not None and now >= self.ends_at):
            return False
        if not self.days or self.window_start is None or self.window_end is None:
            return True
        local = now.astimezone(ZoneInfo(self.tz or "UTC"))
        for days_back in (0, 1):  # today's window, or yesterday's running past midnight
            day = local.date() - timedelta(days=days_back)
            if DAYS[day.weekday()] not in self.days:
                continue
            start = datetime.combine(day, self.window_start, local.tzinfo)
            end = datetime.combine(day, self.window_end, local.tzinfo)
            if end <= start:
                end += timedelta(days=1)
            if start <= local < end:
                return True
        return False


def load_mutes(con: duckdb.DuckDBPyConnection, now: datetime) -> list[Mute]:
    """The mutes not removed and not expired at ``now`` (windows may still be between runs)."""
    rows = con.execute(
        """SELECT silence_id, vendor_id, rule, severity, tier, starts_at, ends_at,
            coalesce(days, []), window_start, window_end, tz
        FROM silences WHERE removed_at IS NULL AND (ends_at IS NULL OR ends_at > ?)
        ORDER BY created_at, silence_id""",
        [now],
    ).fetchall()
    mutes = []
    for sid, vendor, rule, severity, tier, starts, ends, days, start, end, tz in rows:
        mutes.append(
            Mute(sid, vendor, rule, severity, tier, starts, ends, tuple(days), start, end, tz)
        )
    return mutes


def muting(
    mutes: list[Mute],
    now: datetime,
    *,
    vendor_id: str,
    rule: str,
    severity: str | None,
    tier: str | None,
) -> Mute | None:
    """The first mute active at ``now`` that matches the alert, if any."""
    for mute in mutes:
        if mute.matches(vendor_id=vendor_id, rule=rule, severity=severity, tier=tier) and (
            mute.active(now)
        ):
            return mute
    return None


def mute(con: duckdb.DuckDBPyConnection, batch: Batch) -> Batch:
    """The mute stage (see the module docstring)."""
    mutes = load_mutes(con, batch.now)
    holds: dict[tuple[str, str], Hold] = {}
    for row in batch.alerts:
        vendor, rule = row["vendor_id"], row["rule"]
        severity, tier = row["severity"], row["tier"]
        found = muting(mutes, batch.now, vendor_id=vendor, rule=rule, severity=severity, tier=tier)
        silence_id = None if found is None else found.silence_id
        if silence_id != row["muted_by"]:
            con.execute(
                "UPDATE alert_state SET muted_by = ? WHERE vendor_id = ? AND rule = ?",
                [silence_id, vendor, rule],
            )
        if found is not None:
            holds[(vendor, rule)] = Hold("window" if found.days else "silence", found.silence_id)
    passed, held = [], list(batch.held)
    for candidate in batch.candidates:
        row = candidate.row
        hold = None if candidate.feed else holds.get((row["vendor_id"], row["rule"]))
        if not candidate.feed and candidate.change == "repeat" and row["acked_by"] is not None:
            hold = Hold("acknowledged", row["acked_by"])
        if hold is None:
            passed.append(candidate)
        else:
            held.append(replace(candidate, hold=hold))
    return batch.with_(candidates=tuple(passed), held=tuple(held))
