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

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from metrics import slo
from metrics.evidence import evidence_for
from metrics.hysteresis import BreachState, BreachStatus, Observation, Severity, Step, advance
from metrics.policy import SCORE_METRICS, EffectiveRule, Policy
from metrics.policy_history import PolicyTimeline
from metrics.service import DAILY, MONTHLY, Grain

DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS rule_steps (
    vendor_id VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    grain VARCHAR NOT NULL,
    period DATE NOT NULL,
    state VARCHAR NOT NULL,
    severity VARCHAR,
    value DOUBLE,
    sample BIGINT,
    warn DOUBLE,
    critical DOUBLE,
    clear DOUBLE,
    breaching_periods INTEGER NOT NULL,
    clearing_periods INTEGER NOT NULL,
    changed BOOLEAN NOT NULL,
    reason VARCHAR NOT NULL,
    policy_version VARCHAR NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS alert_log (
    alert_id VARCHAR NOT NULL,
    vendor_id VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    grain VARCHAR NOT NULL,
    period DATE NOT NULL,
    state VARCHAR NOT NULL,
    severity VARCHAR,
    value DOUBLE,
    warn DOUBLE,
    critical DOUBLE,
    clear DOUBLE,
    reason VARCHAR NOT NULL,
    policy_version VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    evidence VARCHAR NOT NULL
)""",
)


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
_STEP_SCHEMA = pa.schema(
    [
        ("vendor_id", pa.string()),
        ("rule", pa.string()),
        ("metric", pa.string()),
        ("grain", pa.string()),
        ("period", pa.date32()),
        ("state", pa.string()),
        ("severity", pa.string()),
        ("value", pa.float64()),
        ("sample", pa.int64()),
        ("warn", pa.float64()),
        ("critical", pa.float64()),
        ("clear", pa.float64()),
        ("breaching_periods", pa.int32()),
        ("clearing_periods", pa.int32()),
        ("changed", pa.bool_()),
        ("reason", pa.string()),
        ("policy_version", pa.string()),
    ]
)


def _observation(row: dict[str, Any], metric: str, period: date) -> Observation:
    value = row.get(metric)
    sample = row["responses_30d"] if metric in SCORE_METRICS else row.get("responses")
    return Observation(period, None if value is None else float(value), sample)


_SLA_KEYS = ("sla_latency_p95_ms", "sla_success_rate_min", "sla_defects_per_1k_max")


def _sla_of(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(k) for k in _SLA_KEYS)


def _effective(policy: Policy, name: str, row: dict[str, Any]) -> EffectiveRule | None:
    sla = dict(zip(_SLA_KEYS, _sla_of(row), strict=True))
    return policy.effective_rule(name, vendor_id=row["vendor_id"], tier=row.get("tier"), sla=sla)


def evaluate_rows(
    rows: Iterable[dict[str, Any]],
    grain: str,
    timeline: PolicyTimeline,
    starts: dict[tuple[str, str], BreachStatus],
) -> list[tuple[dict[str, Any], EffectiveRule, Step, str]]:
    """Advance every applicable rule of ``grain`` over ``rows`` (ordered by vendor, period),
    continuing from ``starts[(vendor, rule)]``. Returns (row, rule, step, policy version)."""
    status = dict(starts)
    out = []
    versions: dict[int, str] = {}
    names: dict[int, list[str]] = {}
    resolved: dict[tuple[Any, ...], list[EffectiveRule]] = {}
    for row in rows:
        policy = timeline.at(row["period_end_epoch"])
        if id(policy) not in versions:
            versions[id(policy)] = str(policy.version)
            names[id(policy)] = [n for n, spec in policy.rules.items() if spec.grain == grain]
        version = versions[id(policy)]
        terms = (id(policy), row["vendor_id"], row.get("tier"), *_sla_of(row))
        applicable = resolved.get(terms)
        if applicable is None:  # the rules that apply to this vendor under these terms
            candidates = (_effective(policy, n, row) for n in names[id(policy)])
            applicable = resolved[terms] = [r for r in candidates if r is not None]
        for rule in applicable:
            name = rule.name
            key = (row["vendor_id"], name)
            current = status.get(key, _OK)
            observation = _observation(row, rule.metric, row["day"])
            if current.state is BreachState.OK and _stays_ok(rule, observation):
                continue  # the common case: nothing happened, nothing to record
            step = advance(rule, current, observation)
            if step.severity is not None and row.get("act_by") is not None:
                judged_on = datetime.fromtimestamp(row["period_end_epoch"], UTC).date()
                escalated = rule.escalated(
                    step.severity, days_to_act_by=(row["act_by"] - judged_on).days
                )
                if escalated != step.severity:
                    step = _with_severity(step, escalated, status.get(key))
            status[key] = step.status
            out.append((row, rule, step, version))
    return out


_OK = BreachStatus()


def _stays_ok(rule: EffectiveRule, observation: Observation) -> bool:
    """From ``ok``, an observation that holds (insufficient) or is not breaching stays ``ok``."""
    value, sample = observation.value, observation.sample
    if value is None or value != value or (sample is not None and sample < rule.min_sample):
        return True
    return rule.level(value) == "ok"


def _with_severity(step: Step, severity: Severity, previous: BreachStatus | None) -> Step:
    changed = previous is None or previous.severity != severity or previous.state != step.state
    reason = f"{step.reason}; escalated to {severity}: the act-by date is near"
    return replace(step, severity=severity, changed=changed, reason=reason)


def fetch_rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    result = con.execute(sql, params) if params else con.execute(sql)
    names = [d[0] for d in result.description]
    return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


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
        rows = fetch_rows(con, sql, {"tz": tz} if "$tz" in sql else {})
        results = evaluate_rows(rows, grain, timeline, starts)
        if grain == "day":
            figures = slo.window_figures(con, timeline.policies, as_of)
            results += slo.evaluate_slos(rows, timeline.at, figures, starts)
        _store_steps(con, results, grain)
        recorded += _announce(con, results, grain, recorded_at)
    return recorded


def _store_steps(con: duckdb.DuckDBPyConnection, results: list[Any], grain: str) -> None:
    if not results:
        return
    columns: dict[str, list[Any]] = defaultdict(list)
    for row, rule, step, version in results:
        for name, value in (
            ("vendor_id", row["vendor_id"]),
            ("rule", rule.name),
            ("metric", rule.metric),
            ("grain", grain),
            ("period", step.period),
            ("state", step.state.value),
            ("severity", step.severity),
            ("value", step.value),
            ("sample", _observation(row, rule.metric, step.period).sample),
            ("warn", rule.warn),
            ("critical", rule.critical),
            ("clear", rule.clear),
            ("breaching_periods", step.breaching_periods),
            ("clearing_periods", step.clearing_periods),
            ("changed", step.changed),
            ("reason", step.reason),
            ("policy_version", version),
        ):
            columns[name].append(value)
    batch = pa.table(columns, schema=_STEP_SCHEMA)
    con.register("_rule_steps_batch", batch)
    try:
        con.execute("INSERT INTO rule_steps BY NAME SELECT * FROM _rule_steps_batch")
    finally:
        con.unregister("_rule_steps_batch")


def _run_ups(
    con: duckdb.DuckDBPyConnection, grain: str, firsts: dict[tuple[str, str], date], n: int
) -> dict[tuple[str, str], list[Step]]:
    """Per (vendor, rule), the last ``n`` stored steps before ``firsts[key]`` (the first period
    this run judged), in one query: an incremental run judges only the periods from the first
    one touched, but a transition's evidence shows the whole run-up."""
    keys = list(firsts)
    rows = con.execute(
        """WITH wanted AS (
            SELECT unnest(?) AS vendor_id, unnest(?) AS rule, unnest(?) AS before)
        SELECT r.vendor_id, r.rule, r.period, r.state, r.severity, r.value,
            r.breaching_periods, r.clearing_periods, r.changed, r.reason
        FROM rule_steps r JOIN wanted w USING (vendor_id, rule)
        WHERE r.grain = ? AND r.period < w.before
        QUALIFY row_number() OVER (PARTITION BY r.vendor_id, r.rule ORDER BY r.period DESC) <= ?
        ORDER BY r.vendor_id, r.rule, r.period""",
        [[k[0] for k in keys], [k[1] for k in keys], [firsts[k] for k in keys], grain, n],
    ).fetchall()
    found: dict[tuple[str, str], list[Step]] = defaultdict(list)
    for vendor, rule, period, state, severity, value, breaching, clearing, changed, why in rows:
        step = Step(period, BreachState(state), severity, value, breaching, clearing, changed, why)
        found[(vendor, rule)].append(step)
    return found


def alert_id(vendor_id: str, rule: str, period: date, state: str, severity: str | None) -> str:
    """A transition's identity: the same transition is recorded once, however often replayed."""
    key = f"{vendor_id}|{rule}|{period.isoformat()}|{state}|{severity or ''}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def _announce(
    con: duckdb.DuckDBPyConnection, results: list[Any], grain: str, recorded_at: datetime
) -> int:
    candidates = [
        (row, rule, step, version)
        for row, rule, step, version in results
        if step.changed and step.state in (BreachState.FIRING, BreachState.RESOLVED)
    ]
    if not candidates:
        return 0
    ids = [
        alert_id(r["vendor_id"], rule.name, s.period, s.state.value, s.severity)
        for r, rule, s, _ in candidates
    ]
    known = {
        row[0]
        for row in con.execute(
            "SELECT alert_id FROM alert_log WHERE alert_id IN (SELECT unnest(?))", [ids]
        ).fetchall()
    }
    history: dict[tuple[str, str], list[Step]] = defaultdict(list)
    for row, rule, step, _ in results:
        history[(row["vendor_id"], rule.name)].append(step)
    fresh = [(i, c) for i, c in zip(ids, candidates, strict=True) if i not in known]
    if not fresh:
        return 0
    firsts = {
        (r["vendor_id"], rule.name): history[(r["vendor_id"], rule.name)][0].period
        for _, (r, rule, _, _) in fresh
    }
    window = max(max(rule.for_periods, rule.clear_periods) + 2 for _, (_, rule, _, _) in fresh)
    run_ups = _run_ups(con, grain, firsts, window)
    for identity, (row, rule, step, version) in fresh:
        key = (row["vendor_id"], rule.name)
        evidence = evidence_for(con, row, rule.metric, rule, run_ups[key] + history[key])
        con.execute(
            "INSERT INTO alert_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                identity,
                row["vendor_id"],
                rule.name,
                rule.metric,
                grain,
                step.period,
                step.state.value,
                step.severity,
                step.value,
                rule.warn,
                rule.critical,
                rule.clear,
                step.reason,
                version,
                recorded_at,
                orjson.dumps(evidence, default=str).decode(),
            ],
        )
    return len(fresh)
