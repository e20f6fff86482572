"""Backtest a candidate policy: which alerts would have fired, per vendor, over a date range.

:func:`backtest` replays the stored projections (``vendor_daily``, ``vendor_monthly``,
``vendor_scores``) under one candidate policy from each vendor's first complete period, and
reports the transitions to firing (and severity changes while firing) whose period lies in
``[start, end]``, next to what the live policy history flagged in the same range. It only
reads: it works on a read-only connection and touches no live state.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

from metrics import slo
from metrics.hysteresis import BreachState
from metrics.policy import Policy
from metrics.policy_history import PolicyTimeline
from metrics.rules import SERIES, evaluate_rows, fetch_series

_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class WouldFire:
    """One transition the candidate policy produces."""

    vendor_id: str
    rule: str
    period: date
    severity: str
    value: float | None
    reason: str


@dataclass(frozen=True)
class BacktestReport:
    policy_version: str
    start: date | None
    end: date | None
    would_fire: list[WouldFire]
    live_counts: Counter[str]

    def lines(self) -> list[str]:
        """The report in plain words, vendor by vendor."""
        window = f"{self.start or 'the beginning'} .. {self.end or 'the last complete period'}"
        out = [f"backtest of {self.policy_version} over {window}"]
        by_vendor: dict[str, list[WouldFire]] = {}
        for alert in self.would_fire:
            by_vendor.setdefault(alert.vendor_id, []).append(alert)
        vendors = sorted(set(by_vendor) | set(self.live_counts))
        if not vendors:
            out.append("  no alert would have fired, and none fired live")
        for vendor in vendors:
            fired = by_vendor.get(vendor, [])
            out.append(
                f"  {vendor}: {len(fired)} alert(s) would fire "
                f"(live policy: {self.live_counts.get(vendor, 0)})"
            )
            out.extend(f"    {a.period} {a.rule} {a.severity}: {a.reason}" for a in fired)
        return out


def backtest(
    con: duckdb.DuckDBPyConnection,
    policy: Policy,
    *,
    start: date | None,
    end: date | None,
    tz: str,
) -> BacktestReport:
    """Replay ``policy`` over the stored projections (see the module docstring)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _rule_dirty AS
        SELECT vendor_id, min(day) AS from_day, CAST(date_trunc('month', min(day)) AS DATE)
            AS from_month
        FROM vendor_daily GROUP BY vendor_id"""
    )
    timeline = PolicyTimeline([], [policy])
    would_fire = []
    for grain, sql in SERIES.items():
        series = fetch_series(con, sql, {"tz": tz} if "$tz" in sql else {})
        judged = evaluate_rows(series, grain, timeline, {})
        if grain == "day":  # the SLO burn-rate windows too, as the live engine judges them
            figures = slo.window_figures(con, [policy], _END_OF_TIME)
            judged += slo.evaluate_slos(series, timeline, figures, {})
        for row, rule, step, _ in judged:
            in_range = (start is None or step.period >= start) and (
                end is None or step.period <= end
            )
            if in_range and step.changed and step.state is BreachState.FIRING and step.severity:
                would_fire.append(
                    WouldFire(
                        row["vendor_id"],
                        rule.name,
                        step.period,
                        step.severity,
                        step.value,
                        step.reason,
                    )
                )
    live = Counter(
        vendor
        for (vendor,) in con.execute(
            """SELECT vendor_id FROM rule_steps WHERE changed AND state = 'firing'
            AND period >= coalesce(?, DATE '0001-01-01')
            AND period <= coalesce(?, DATE '9999-12-31')""",
            [start, end],
        ).fetchall()
    )
    would_fire.sort(key=lambda a: (a.vendor_id, a.period, a.rule))
    return BacktestReport(str(policy.version), start, end, would_fire, live)
