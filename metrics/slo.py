"""SLO error budgets with multi-window burn-rate alerts (the Google SRE workbook's scheme).

For each ``[slo.NAME]`` of the policy in force at a day's end and each of its windows, the
engine judges every complete UTC day at its end instant E:

* budget = 1 - objective (the SLO's, or the vendor's SLA ``success_rate_min`` for ``"sla"``);
* burn(H) = error rate over the H hours before E / budget, where the error rate is the share of
  failed responses (``success_rate``) or of responses not within the SLA latency target
  (``sla_attainment``);
* the window breaches when both burn(long_hours) and burn(short_hours) exceed ``burn_rate``;
  its value is the smaller of the two burns, so the step's figure says how fast the budget
  burns in the window that limits the alert.

Each window is a rule named ``NAME.<long>h/<short>h`` judged by the same state machine as the
threshold rules (dwell 1, clear at the burn rate): it fires on the first day both windows burn
too fast and resolves on the first day they don't. A window with no responses holds.

The figures of a window of H hours ending at day D's end are summed from the projections: the
H // 24 whole days up to D from ``vendor_daily`` (running totals, so each window is a difference
of two), plus the last H % 24 hours of the day before those, from the responses themselves
(outside the SLA = with a target - within it, as in ``sla_attainment``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from metrics.effective_rule import EffectiveRule
from metrics.hysteresis import BreachStatus, Observation
from metrics.judge import (
    FloatArray,
    Judged,
    Series,
    Track,
    judge,
    policy_segments,
    python_values,
)
from metrics.policy import BurnWindow, Policy
from metrics.policy_history import PolicyTimeline
from metrics.tables import SLA_TARGETS

_WINDOW_FIGURES = """
WITH
ends AS (  -- the days rules.SERIES["day"] judges
    SELECT v.vendor_id, v.day FROM vendor_daily v
    WHERE v.complete AND EXISTS (
        SELECT 1 FROM _rule_dirty r WHERE r.vendor_id = v.vendor_id AND v.day >= r.from_day)
),
running AS (  -- running totals from the earliest day a window reaches back to
    SELECT v.vendor_id, v.day,
        sum(v.responses) OVER w AS responses, sum(v.failures) OVER w AS failures,
        sum(v.sla_responses - v.within_sla) OVER w AS outside_sla,
        sum(v.sla_responses) OVER w AS with_target
    FROM vendor_daily v JOIN _rule_dirty r ON r.vendor_id = v.vendor_id
        AND v.day >= r.from_day - CAST($max_hours // 24 AS INTEGER)
    WINDOW w AS (PARTITION BY v.vendor_id ORDER BY v.day ROWS UNBOUNDED PRECEDING)
),
tail_hours AS (  -- only the last hours of each day that a window's remainder needs
    SELECT r.vendor_id, epoch_us(r.occurred_at) // 3600000000 AS hour,
        count(*) AS responses,
        count(*) FILTER (WHERE NOT r.success) AS failures,
        {outside_sla} AS outside_sla,
        {with_target} AS with_target
    FROM response_times r
    -- a join, not IN (...): DuckDB built its hash table on the responses for the semi-join
    JOIN (
        SELECT vendor_id,
            timezone('UTC', CAST(from_day AS TIMESTAMP)) - to_hours(CAST($max_hours AS BIGINT))
                AS tail_from
        FROM _rule_dirty
    ) d ON d.vendor_id = r.vendor_id AND r.occurred_at >= d.tail_from
    {profile_join}
    WHERE r.occurred_at < $as_of
        AND (epoch_us(r.occurred_at) // 3600000000) % 24 >= 24 - $max_tail
    GROUP BY ALL
),
tails AS (
    SELECT h.vendor_id, CAST(DATE '1970-01-01' + CAST(h.hour // 24 AS INTEGER) AS DATE) AS day,
        t.tail, sum(h.responses) AS responses, sum(h.failures) AS failures,
        sum(h.outside_sla) AS outside_sla, sum(h.with_target) AS with_target
    FROM tail_hours h JOIN (SELECT unnest($tails) AS tail) t ON h.hour % 24 >= 24 - t.tail
    GROUP BY ALL
)
SELECT e.vendor_id, e.day, w.hours,
    CAST(upto.responses - coalesce(before.responses, 0) + coalesce(t.responses, 0) AS BIGINT),
    CAST(upto.failures - coalesce(before.failures, 0) + coalesce(t.failures, 0) AS BIGINT),
    CAST(upto.outside_sla - coalesce(before.outside_sla, 0) + coalesce(t.outside_sla, 0)
        AS BIGINT),
    CAST(upto.with_target - coalesce(before.with_target, 0) + coalesce(t.with_target, 0)
        AS BIGINT)
FROM ends e
CROSS JOIN (SELECT unnest($hours) AS hours) w
JOIN running upto ON upto.vendor_id = e.vendor_id AND upto.day = e.day
LEFT JOIN running before ON before.vendor_id = e.vendor_id
    AND before.day = e.day - CAST(w.hours // 24 AS INTEGER)
LEFT JOIN tails t ON t.vendor_id = e.vendor_id AND t.tail = w.hours % 24
    AND t.day = e.day - CAST(w.hours // 24 AS INTEGER)
ORDER BY e.vendor_id, e.day, w.hours
"""
_OUTSIDE_SLA = (  # only responses that had a latency target count, as in sla_attainment
    "count(*) FILTER (WHERE p.sla_latency_p95_ms IS NOT NULL"
    " AND NOT (r.success AND r.latency_ms <= p.sla_latency_p95_ms))"
)
_PROFILE_JOIN = """LEFT JOIN _sla_targets p ON p.vendor_id = r.vendor_id
        AND r.occurred_at >= p.valid_from AND r.occurred_at < p.valid_to"""

IntColumn = Sequence[int] | npt.NDArray[np.int64]
Counts = tuple[IntColumn, IntColumn, IntColumn, IntColumn]


@dataclass(frozen=True)
class WindowFigures:
    """``counts[hours]`` = (responses, failures, outside_sla, with_target) of the window of that
    many hours ending at each day's end, one value per day in ``vendor_ids`` / ``days`` order
    (the order of ``rules.SERIES["day"]``)."""

    vendor_ids: list[str]
    days: list[date]
    counts: dict[int, Counts]

    def aligned_with(self, series: Series) -> bool:
        return self.vendor_ids == series.column("vendor_id") and self.days == series.column("day")


def burn_window_rule(slo_name: str, metric: str, window: BurnWindow) -> EffectiveRule:
    """The daily rule that judges one burn-rate window of an SLO on ``metric``: above the
    window's burn rate it breaches at the window's severity, and clears at or below it."""
    return EffectiveRule(
        name=window.rule_name(slo_name),
        metric=f"{metric}_burn_rate",
        grain="day",
        direction="above",
        warn=window.burn_rate if window.severity == "warn" else None,
        critical=window.burn_rate if window.severity == "critical" else None,
        clear=window.burn_rate,
    )


def window_hours(policies: Iterable[Policy]) -> list[int]:
    """Every window length (hours) any SLO of ``policies`` uses, ascending."""
    return sorted(
        {
            h
            for policy in policies
            for slo in policy.slo.values()
            for window in slo.windows
            for h in (window.long_hours, window.short_hours)
        }
    )


def window_figures(
    con: duckdb.DuckDBPyConnection, policies: Iterable[Policy], as_of: Any
) -> WindowFigures:
    """The figures of every window length any SLO of ``policies`` uses, for the complete days
    of ``vendor_daily`` from ``_rule_dirty.from_day`` on (``vendor_daily`` must be current)."""
    policies = list(policies)
    hours = window_hours(policies)
    if not hours:
        return WindowFigures([], [], {})
    tails = sorted({h % 24 for h in hours} - {0}) or [0]
    params = {
        "hours": hours,
        "max_hours": max(hours),
        "tails": tails,
        "max_tail": max(tails),
        "as_of": as_of,
    }
    needs_target = any(
        slo.metric == "sla_attainment" for policy in policies for slo in policy.slo.values()
    )
    sql = _WINDOW_FIGURES.format(  # the profile join only when an SLO needs the latency target
        outside_sla=_OUTSIDE_SLA if needs_target else "0",
        with_target="count(p.sla_latency_p95_ms)" if needs_target else "0",
        profile_join=_PROFILE_JOIN if needs_target else "",
    )
    if needs_target:
        con.execute(SLA_TARGETS)
    table = con.sql(sql, params=params).to_arrow_table()
    width = len(hours)
    # counts as numpy (no Python int per figure); vendor and day once per row, not per window
    figures = [np.asarray(table.column(i).to_numpy(), dtype=np.int64) for i in range(3, 7)]
    counts: dict[int, Counts] = {
        h: (
            figures[0][offset::width],
            figures[1][offset::width],
            figures[2][offset::width],
            figures[3][offset::width],
        )
        for offset, h in enumerate(hours)
    }
    firsts = pa.array(range(0, table.num_rows, width), type=pa.int64())
    keys = table.select([0, 1]).take(firsts)
    return WindowFigures(python_values(keys.column(0)), python_values(keys.column(1)), counts)


def _burn(figures: tuple[int, int, int, int] | None, metric: str, budget: float) -> float | None:
    if figures is None:
        return None
    responses, failures, outside, with_target = figures
    if metric == "success_rate":
        return None if responses == 0 else failures / responses / budget
    return None if with_target == 0 else outside / with_target / budget


def _burns(counts: Counts, metric: str, budget: float, start: int, stop: int) -> FloatArray:
    """:func:`_burn` of rows ``[start, stop)`` in numpy, NaN where it is None."""
    responses, failures, outside, with_target = (
        np.asarray(c[start:stop], dtype=np.float64) for c in counts
    )
    errors, total = (failures, responses) if metric == "success_rate" else (outside, with_target)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, errors / total / budget, np.nan)


def evaluate_slos(
    series: Series,
    timeline: PolicyTimeline,
    figures: WindowFigures,
    starts: Mapping[tuple[str, str], BreachStatus],
) -> list[Judged]:
    """Judge every SLO window for each daily row of ``series`` (``rules.SERIES["day"]``, the
    rows ``figures`` was computed for); same output as :func:`metrics.rules.evaluate_rows`."""
    if not len(series) or not figures.counts:
        return []
    if not figures.aligned_with(series):
        raise RuntimeError("SLO window figures do not match the daily series")
    days = series.column("day")
    rules: dict[tuple[int, str], EffectiveRule] = {}
    tracks = []
    for segment in policy_segments(series, timeline, ("vendor_id", "sla_success_rate_min")):
        start, stop, index = segment.start, segment.stop, segment.policy_index
        version, (vendor, target) = segment.version, segment.values
        order = 0
        for name, slo in segment.policy.slo.items():
            objective = slo.objective_for({"sla_success_rate_min": target})
            for window in slo.windows:
                order += 1
                if objective is None:
                    continue
                budget = 1 - objective
                label = window.rule_name(name)
                rule = rules.get((index, label))
                if rule is None:
                    rule = rules[(index, label)] = burn_window_rule(name, slo.metric, window)
                long = figures.counts[window.long_hours]
                short = figures.counts[window.short_hours]
                fastest = np.minimum(
                    _burns(long, slo.metric, budget, start, stop),
                    _burns(short, slo.metric, budget, start, stop),
                )
                candidates = [int(i) + start for i in np.flatnonzero(fastest > window.burn_rate)]
                observe = _observer(days, (long, short), slo.metric, budget)
                tracks.append(
                    Track((vendor, label), rule, start, stop, order, version, candidates, observe)
                )
    return judge(series, tracks, starts)


def _observer(
    days: list[date], windows: tuple[Counts, Counts], metric: str, budget: float
) -> Callable[[int], Observation]:
    """A row's observation: the smaller burn of the two windows (None if either has none)."""

    def observe(index: int) -> Observation:
        burns = [
            _burn(
                (
                    int(counts[0][index]),
                    int(counts[1][index]),
                    int(counts[2][index]),
                    int(counts[3][index]),
                ),
                metric,
                budget,
            )
            for counts in windows
        ]
        value = None if None in burns else min(b for b in burns if b is not None)
        return Observation(days[index], value, None)

    return observe
