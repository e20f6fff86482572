"""Rule evaluation: the breach state of every rule for every vendor, period by period.

Contract:

* ``rule_steps`` is a projection (``rebuild`` recomputes it): one row per vendor, rule and
  *complete* period in which the rule was not simply ``ok`` (pending, firing, resolved, or the
  first ``ok`` after a resolution), with the state machine's step
  (:mod:`metrics.hysteresis`) and the thresholds and policy version that produced it. Each
  period is judged under the policy in force at its end (``policy_history``) with the rule
  resolved for the vendor's tier and SLA in force at that end, so a rule change never rewrites
  the judgement of earlier periods, and an as-of replay reproduces the flags of that time.
* ``alert_log`` is append-only and never rebuilt: every transition (to firing, a severity
  change while firing, to resolved) is recorded once, with its evidence, when a run first
  sees it (``recorded_at``). Late events that change the past add records; none is rewritten.
* Deadline-aware escalation: a firing ``warn`` becomes ``critical`` while the vendor's act-by
  date (``end_date`` - notice - in-house lead time) is within the rule's
  ``escalate_within_days``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import duckdb
import numpy as np

from ingest.columns import (
    bigint,
    boolean,
    col,
    create_table,
    date,
    double,
    integer,
    text,
    timestamp,
)
from metrics import slo
from metrics.alert_log import alert_id, record_transitions
from metrics.effective_rule import EffectiveRule
from metrics.hysteresis import BreachState, BreachStatus, Observation
from metrics.judge import (
    Judged,
    Series,
    Track,
    days_to_act_by,
    judge,
    leaves_ok,
    policy_segments,
)
from metrics.policy_catalogue import SAMPLE_COLUMNS
from metrics.policy_history import PolicyTimeline
from metrics.service import DAILY, MONTHLY, Grain
from metrics.tables import insert_batch

_JUDGED = (
    col("vendor_id", text),
    col("rule", text),
    col("metric", text),
    col("grain", text),
    col("period", date),
    col("state", text),
    col("severity", text, null=True),
    col("value", double, null=True),
)
"""What a judged period is: the vendor, rule, metric, period, state and value (both tables)."""
_BANDS = tuple(col(name, double, null=True) for name in ("warn", "critical", "clear"))
_STAMP = (
    col("reason", text),
    col("policy_version", text),
)
RULE_STEP_COLUMNS = (
    *_JUDGED,
    col("sample", bigint, null=True),
    *_BANDS,
    col("breaching_periods", integer),
    col("clearing_periods", integer),
    col("changed", boolean),
    *_STAMP,
)
"""``rule_steps``: one step of the state machine per vendor, rule and period."""
ALERT_LOG_COLUMNS = (
    col("alert_id", text),
    *_JUDGED,
    *_BANDS,
    *_STAMP,
    col("recorded_at", timestamp),
    col("evidence", text),
)
"""``alert_log``: one transition, when a run first saw it, with its evidence (JSON)."""
DDL: tuple[str, ...] = (
    create_table("rule_steps", RULE_STEP_COLUMNS),
    create_table("alert_log", ALERT_LOG_COLUMNS),
)


__all__ = ["DDL", "SERIES", "alert_id", "evaluate_rows", "evaluate_rules", "fetch_series"]


def _series_sql(grain: Grain, scores_on: str, from_column: str) -> str:
    """The complete periods of ``grain`` to judge for the vendors in ``_rule_dirty``, with the
    scores of ``scores_on`` (a day), and the profile terms in force at each period's end."""
    end = grain.end("f.period")
    return f"""
SELECT f.* EXCLUDE ({grain.name}), f.period AS day, s.quality_score, s.security_score, s.cost_score,
    s.backsourcing_score, s.responses_30d, p.tier, p.sla_latency_p95_ms,
    p.sla_success_rate_min, p.sla_defects_per_1k_max, p.act_by,
    epoch({grain.start("f.period")}) AS period_start_epoch,
    epoch({end}) AS period_end_epoch
FROM (SELECT *, {grain.name} AS period FROM {grain.table}) f
LEFT JOIN vendor_scores s ON s.vendor_id = f.vendor_id AND s.day = {scores_on}
LEFT JOIN profile_terms p ON p.vendor_id = f.vendor_id
    AND p.valid_from < {end} AND p.valid_to >= {end}
WHERE f.complete AND EXISTS (
    SELECT 1 FROM _rule_dirty r WHERE r.vendor_id = f.vendor_id AND f.period >= r.{from_column})
ORDER BY f.vendor_id, f.period"""


# What a rule judges, per grain: the projection's row, its scores (a month is scored by its
# last day), and the terms in force at the period's end.
SERIES = {
    "day": _series_sql(DAILY, "f.period", "from_day"),
    "month": _series_sql(
        MONTHLY, "CAST(f.period + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE)", "from_month"
    ),
}


def evaluate_rows(
    series: Series,
    grain: str,
    timeline: PolicyTimeline,
    starts: Mapping[tuple[str, str], BreachStatus],
) -> list[Judged]:
    """Advance every applicable rule of ``grain`` over ``series`` (a :data:`SERIES` result,
    ordered by vendor, period), continuing from ``starts[(vendor, rule)]``: one
    (row, rule, step, policy version) per step, rows in order, rules in policy order; from
    ``ok``, a row that stays ``ok`` records nothing (:mod:`metrics.judge`)."""
    if not len(series):
        return []
    act_by = days_to_act_by(series)
    observers: dict[str, Callable[[int], Observation]] = {}
    resolved: dict[tuple[Any, ...], list[EffectiveRule]] = {}
    tracks = []
    for segment in policy_segments(series, timeline, ("vendor_id", "tier", *_SLA_KEYS)):
        start, stop, policy = segment.start, segment.stop, segment.policy
        vendor, tier, *targets = segment.values
        key = (segment.policy_index, *segment.values)
        applicable = resolved.get(key)
        if applicable is None:  # the rules that apply to this vendor under these terms
            sla = dict(zip(_SLA_KEYS, targets, strict=True))
            names = [n for n, spec in policy.rules.items() if spec.grain == grain]
            candidates = (
                policy.effective_rule(n, vendor_id=vendor, tier=tier, sla=sla) for n in names
            )
            applicable = resolved[key] = [r for r in candidates if r is not None]
        for order, rule in enumerate(applicable):
            if rule.metric not in observers:
                observers[rule.metric] = _observer(series, rule.metric)
            tracks.append(
                Track(
                    key=(vendor, rule.name),
                    rule=rule,
                    start=start,
                    stop=stop,
                    order=order,
                    version=segment.version,
                    candidates=_leaving_ok(series, rule, start, stop),
                    observe=observers[rule.metric],
                    act_by=act_by,
                )
            )
    return judge(series, tracks, starts)


_SLA_KEYS = ("sla_latency_p95_ms", "sla_success_rate_min", "sla_defects_per_1k_max")


def _sample_column(metric: str) -> str:
    return SAMPLE_COLUMNS.get(metric, "responses")


def _observer(series: Series, metric: str) -> Callable[[int], Observation]:
    """A row's observation of ``metric``: its value as a float, the responses behind it."""
    values = series.column(metric) if metric in series.names else None
    sample_name = _sample_column(metric)
    samples = series.column(sample_name) if sample_name in series.names else None
    periods = series.column("day")

    def observe(index: int) -> Observation:
        value = None if values is None else values[index]
        sample = None if samples is None else samples[index]
        return Observation(periods[index], None if value is None else float(value), sample)

    return observe


def _leaving_ok(series: Series, rule: EffectiveRule, start: int, stop: int) -> list[int]:
    """The rows of ``[start, stop)`` at which ``rule`` can leave ``ok`` (see judge.leaves_ok)."""
    if rule.metric not in series.names:
        return []
    sample_name = _sample_column(rule.metric)
    samples = series.floats(sample_name)[start:stop] if sample_name in series.names else None
    mask = leaves_ok(rule, series.floats(rule.metric)[start:stop], samples)
    return [int(i) + start for i in np.flatnonzero(mask)]


def fetch_series(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> Series:
    """The rows of ``sql`` as a :class:`Series` (columnar: most rows are never looked at)."""
    return Series(con.sql(sql, params=params or None).to_arrow_table())


def evaluate_rules(
    con: duckdb.DuckDBPyConnection,
    *,
    tz: str,
    as_of: datetime,
    recorded_at: datetime,
    timeline: PolicyTimeline,
) -> int:
    """Re-judge, for the vendors in ``_dirty``, every complete period from the one containing
    ``touched_at`` on, each under ``timeline``'s policy in force at its end; append new
    transitions to ``alert_log``. Returns transitions recorded."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _rule_dirty AS
        SELECT vendor_id, CAST(timezone('UTC', touched_at) AS DATE) AS from_day,
            CAST(date_trunc('month', timezone(?, touched_at)) AS DATE) AS from_month
        FROM _dirty""",
        [tz],
    )
    recorded = 0
    for grain, sql in SERIES.items():
        start_col = "from_day" if grain == "day" else "from_month"
        con.execute(
            f"""DELETE FROM rule_steps r USING _rule_dirty d WHERE r.vendor_id = d.vendor_id
            AND r.grain = ? AND r.period >= d.{start_col}""",
            [grain],
        )
        starts = {
            (v, rule): BreachStatus(BreachState(state), sev, breaching, clearing, period)
            for v, rule, state, sev, breaching, clearing, period in con.execute(
                """SELECT vendor_id, rule, state, severity, breaching_periods,
                    clearing_periods, period
                FROM rule_steps
                WHERE grain = ? AND vendor_id IN (SELECT vendor_id FROM _rule_dirty)
                QUALIFY row_number() OVER (
                    PARTITION BY vendor_id, rule ORDER BY period DESC) = 1""",
                [grain],
            ).fetchall()
        }
        series = fetch_series(con, sql, {"tz": tz} if "$tz" in sql else {})
        if grain == "day":
            # DuckDB sums the SLO windows (releasing the GIL) while Python judges the threshold
            # rules: the connection is used by the worker alone until its result is taken
            with ThreadPoolExecutor(max_workers=1) as worker:
                pending = worker.submit(slo.window_figures, con, timeline.policies, as_of)
                results = evaluate_rows(series, grain, timeline, starts)
                figures = pending.result()
            results += slo.evaluate_slos(series, timeline, figures, starts)
        else:
            results = evaluate_rows(series, grain, timeline, starts)
        _store_steps(con, results, grain)
        recorded += record_transitions(con, results, grain, recorded_at)
    return recorded


def _store_steps(con: duckdb.DuckDBPyConnection, results: list[Judged], grain: str) -> None:
    if not results:
        return
    rows, rules, steps, versions = zip(*results, strict=True)
    columns: dict[str, list[Any]] = {
        "vendor_id": [row["vendor_id"] for row in rows],
        "rule": [rule.name for rule in rules],
        "metric": [rule.metric for rule in rules],
        "grain": [grain] * len(results),
        "period": [step.period for step in steps],
        "state": [step.state.value for step in steps],
        "severity": [step.severity for step in steps],
        "value": [step.value for step in steps],
        "sample": [
            row.get(_sample_column(rule.metric)) for row, rule in zip(rows, rules, strict=True)
        ],
        "warn": [rule.warn for rule in rules],
        "critical": [rule.critical for rule in rules],
        "clear": [rule.clear for rule in rules],
        "breaching_periods": [step.breaching_periods for step in steps],
        "clearing_periods": [step.clearing_periods for step in steps],
        "changed": [step.changed for step in steps],
        "reason": [step.reason for step in steps],
        "policy_version": list(versions),
    }
    insert_batch(con, "rule_steps", RULE_STEP_COLUMNS, columns)
