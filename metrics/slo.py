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
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from metrics.effective_rule import EffectiveRule
from metrics.hysteresis import BreachStatus, Observation, Step, advance
from metrics.policy import Policy

_OUTSIDE_SLA = (  # only responses that had a latency target count, as in sla_attainment
    "count(*) FILTER (WHERE p.sla_latency_p95_ms IS NOT NULL"
    " AND NOT (r.success AND r.latency_ms <= p.sla_latency_p95_ms))"
)
_PROFILE_JOIN = """LEFT JOIN profile_terms p ON p.vendor_id = r.vendor_id
        AND r.occurred_at >= p.valid_from AND r.occurred_at < p.valid_to"""
_WINDOW_FIGURES = """
WITH
hourly AS (
    SELECT r.vendor_id, epoch_us(r.occurred_at) // 3600000000 AS hour,
        count(*) AS responses,
        count(*) FILTER (WHERE NOT r.success) AS failures,
        {outside_sla} AS outside_sla,
        {with_target} AS with_target
    FROM response_times r
    {profile_join}
    WHERE r.occurred_at < $as_of AND r.vendor_id IN (SELECT vendor_id FROM _rule_dirty)
        AND r.occurred_at >= (SELECT timezone('UTC', CAST(min(from_day) AS TIMESTAMP))
            - to_hours(CAST($max_hours AS BIGINT)) FROM _rule_dirty)
    GROUP BY ALL
),
running AS (  -- running totals per vendor, so a window is a difference of two of them
    SELECT vendor_id, hour,
        sum(responses) OVER w AS responses, sum(failures) OVER w AS failures,
        sum(outside_sla) OVER w AS outside_sla, sum(with_target) OVER w AS with_target
    FROM hourly
    WINDOW w AS (PARTITION BY vendor_id ORDER BY hour ROWS UNBOUNDED PRECEDING)
),
ends AS (
    SELECT v.vendor_id, v.day, w.hours,
        epoch_us(timezone('UTC', CAST(v.day + 1 AS TIMESTAMP))) // 3600000000 AS end_hour,
        epoch_us(timezone('UTC', CAST(v.day + 1 AS TIMESTAMP))) // 3600000000 - w.hours
            AS start_hour
    FROM vendor_daily v
    JOIN _rule_dirty d ON d.vendor_id = v.vendor_id AND v.day >= d.from_day
    CROSS JOIN (SELECT unnest($hours) AS hours) w
    WHERE v.complete
),
upto_end AS (
    SELECT e.*, r.responses, r.failures, r.outside_sla, r.with_target
    FROM ends e ASOF LEFT JOIN running r
        ON r.vendor_id = e.vendor_id AND r.hour < e.end_hour
),
upto_start AS (
    SELECT e.vendor_id, e.day, e.hours, r.responses, r.failures, r.outside_sla, r.with_target
    FROM ends e ASOF LEFT JOIN running r
        ON r.vendor_id = e.vendor_id AND r.hour < e.start_hour
)
SELECT a.vendor_id, a.day, a.hours,
    coalesce(a.responses, 0) - coalesce(b.responses, 0),
    coalesce(a.failures, 0) - coalesce(b.failures, 0),
    coalesce(a.outside_sla, 0) - coalesce(b.outside_sla, 0),
    coalesce(a.with_target, 0) - coalesce(b.with_target, 0)
FROM upto_end a JOIN upto_start b USING (vendor_id, day, hours)
"""


def window_figures(
    con: duckdb.DuckDBPyConnection, policies: Iterable[Policy], as_of: Any
) -> dict[tuple[str, Any, int], tuple[int, int, int, int]]:
    """``(vendor, day, hours) -> (responses, failures, outside_sla, with_target)`` for every
    window length any SLO of ``policies`` uses, for the days in ``_rule_dirty``."""
    hours = sorted(
        {
            h
            for policy in policies
            for slo in policy.slo.values()
            for window in slo.windows
            for h in (window.long_hours, window.short_hours)
        }
    )
    if not hours:
        return {}
    params = {"hours": hours, "max_hours": max(hours), "as_of": as_of}
    needs_target = any(
        slo.metric == "sla_attainment" for policy in policies for slo in policy.slo.values()
    )
    sql = _WINDOW_FIGURES.format(  # the profile join only when an SLO needs the latency target
        outside_sla=_OUTSIDE_SLA if needs_target else "0",
        with_target="count(p.sla_latency_p95_ms)" if needs_target else "0",
        profile_join=_PROFILE_JOIN if needs_target else "",
    )
    return {
        (vendor, day, h): (int(n), int(f), int(o), int(t))
        for vendor, day, h, n, f, o, t in con.execute(sql, params).fetchall()
    }


def _burn(figures: tuple[int, int, int, int] | None, metric: str, budget: float) -> float | None:
    if figures is None:
        return None
    responses, failures, outside, with_target = figures
    if metric == "success_rate":
        return None if responses == 0 else failures / responses / budget
    return None if with_target == 0 else outside / with_target / budget


def evaluate_slos(
    rows: Iterable[dict[str, Any]],
    policy_at: Any,
    figures: dict[tuple[str, Any, int], tuple[int, int, int, int]],
    starts: dict[tuple[str, str], BreachStatus],
) -> list[tuple[dict[str, Any], EffectiveRule, Step, str]]:
    """Judge every SLO window for each daily row (ordered by vendor, day); same output shape as
    :func:`metrics.rules.evaluate_rows`."""
    status = dict(starts)
    out = []
    rules: dict[tuple[int, str], EffectiveRule] = {}
    versions: dict[int, str] = {}
    objectives: dict[tuple[int, str, Any], float | None] = {}
    for row in rows:
        policy: Policy = policy_at(row["period_end_epoch"])
        if id(policy) not in versions:
            versions[id(policy)] = str(policy.version)
        target = row.get("sla_success_rate_min")
        for name, slo in policy.slo.items():
            objective_key = (id(policy), name, target)
            if objective_key not in objectives:
                objectives[objective_key] = slo.objective_for({"sla_success_rate_min": target})
            objective = objectives[objective_key]
            if objective is None:
                continue
            budget = 1 - objective
            for window in slo.windows:
                label = window.rule_name(name)
                key = (row["vendor_id"], label)
                burns = [
                    _burn(figures.get((row["vendor_id"], row["day"], h)), slo.metric, budget)
                    for h in (window.long_hours, window.short_hours)
                ]
                value = None if None in burns else min(b for b in burns if b is not None)
                rule = rules.get((id(policy), label))
                if rule is None:
                    rule = rules[(id(policy), label)] = EffectiveRule(
                        name=label,
                        metric=f"{slo.metric}_burn_rate",
                        grain="day",
                        direction="above",
                        warn=window.burn_rate if window.severity == "warn" else None,
                        critical=window.burn_rate if window.severity == "critical" else None,
                        clear=window.burn_rate,
                    )
                current = status.get(key, BreachStatus())
                if current.state == "ok" and (value is None or value <= window.burn_rate):
                    continue
                step = advance(rule, current, Observation(row["day"], value, None))
                status[key] = step.status
                out.append((row, rule, step, versions[id(policy)]))
    return out
