"""The dashboard benchmark's data: a published read model filled directly with SQL.

The benchmark measures the dashboard, not the metrics job (the metrics benchmark does that),
so the engine's *output* is filled directly with SQL at the real schema (the DDL of
``metrics``, ``alerting`` and the event store, and the real ``publish``): V vendors (default
1,000) with profiles (four tiers, six services, SLA targets, contract dates, fee, in-house
estimate; every tenth vendor renegotiated a year ago, so it has two profile versions), and D
days (default 730) of plausible figures per vendor:

* ``vendor_daily`` (V x D rows: 1,500-2,500 responses a day, latency percentiles around the
  SLA, failures, defects, the odd incident, a rare day without data), ``vendor_monthly``
  (aggregated from it, with invoices vs the contracted fee, service credits), ``vendor_scores``
  (V x D rows, every column the explain text reads), ``vendor_cost_trends``, ``vendor_status``
  (1 % of vendors silent, 0.5 % with a profile and no data at all);
* breach episodes -> ``rule_steps``, ``alert_log`` and ``alert_state`` (``alert_sql``
  describes them); breach days have breaching daily figures, so charts, bands and alerts agree.

Generating raw events and running the real ``MetricsJob`` instead would need 1,000 x 730 days
x >= 50 responses (``min_sample``) = 36.5M+ responses just to get judged days; the metrics
benchmark already covers that path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from alerting.planner import ensure_tables
from bench.dashboard.alert_sql import ALERT_LOG, ALERT_STATE, EPISODES, RULE_STEPS, STEPS
from control import apply as control
from ingest.store import EventStore
from metrics import policy_history, rules, scores
from metrics.policy import default_policy
from metrics.tables import DDL as METRICS_DDL
from readmodel.publish import publish
from vendorwatch.clock import utc_now

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)

_U = "(hash({key}) % 1000003) / 1000003.0"  # a uniform [0, 1) draw, deterministic per key


def _u(*parts: str) -> str:
    return _U.format(key=", ".join(parts))


_VENDORS = f"""
CREATE OR REPLACE TEMP TABLE _bench_vendors AS
SELECT CAST(v AS INTEGER) AS v, printf('vendor-%04d', v) AS vendor_id,
    ['critical', 'high', 'medium', 'low'][v % 4 + 1] AS tier,
    ['helpdesk', 'it_operations', 'fulfilment', 'payroll', 'claims', 'hosting'][v // 4 % 6 + 1]
        AS service,
    800 + v % 5 * 200 AS sla_p95, 20000 + v % 50 * 1000 AS fee,
    {_u("v", "'bias'")} AS bias
FROM range($vendors) t(v)
"""

_PROVENANCE = "'{}' AS raw, 1 AS schema_version, 'bench' AS source, $start AS ingested_at"

_PROFILES = f"""
INSERT INTO vendor_profiles BY NAME
SELECT 'vp-' || v.vendor_id || '-' || r AS event_id, v.vendor_id,
    CASE r WHEN 0 THEN $start - INTERVAL 30 DAY ELSE $as_of - INTERVAL 365 DAY END AS occurred_at,
    'Vendor ' || v.v || ' (' || replace(v.service, '_', ' ') || ')' AS name, v.service, v.tier,
    CAST(DATE '2024-01-01' + to_months(v.v % 12) AS DATE) AS contract_start_date,
    CAST(DATE '2027-01-01' + to_months(v.v % 24) - INTERVAL 1 DAY AS DATE)
        AS contract_end_date,
    90 AS notice_period_days, CAST(v.fee * (1 + 0.05 * r) AS DECIMAL(18,2)) AS monthly_fee,
    'EUR' AS contract_currency, 60000.00 AS termination_fee, v.v % 3 <> 0 AS auto_renew,
    v.sla_p95 AS sla_latency_p95_ms, 0.995 AS sla_success_rate_min,
    2.0 AS sla_defects_per_1k_max, 5 AS sla_service_credit_pct,
    CAST(v.fee * (0.8 + v.v % 7 * 0.07) AS DECIMAL(18,2)) AS insourcing_monthly_cost,
    150000.00 AS insourcing_one_time_cost, 120 AS insourcing_lead_time_days,
    'EUR' AS insourcing_currency, 'bench.registry' AS topic, 0 AS "partition",
    v.v * 2 + r AS "offset", {_PROVENANCE}
FROM _bench_vendors v, range(2) t(r)
WHERE r = 0 OR v.v % 10 = 0
"""

# Breach episodes: (vendor, rule) runs of pending days, firing days and (unless still firing)
# the resolving day. Historical ones never overlap (>= 173 days apart, all before day D - 30).
_DAILY = f"""
INSERT INTO vendor_daily BY NAME
WITH base AS (
    SELECT v.vendor_id, v.v, v.sla_p95, v.bias, CAST($first_day AS DATE) + d AS day,
        {_u("v.v", "d", "1")} AS u1, {_u("v.v", "d", "2")} AS u2, {_u("v.v", "d", "3")} AS u3,
        {_u("v.v", "d", "4")} AS u4, {_u("v.v", "d", "5")} AS u5, {_u("v.v", "d", "6")} AS u6
    FROM _bench_vendors v, (SELECT CAST(range AS INTEGER) AS d FROM range($days)) t
    WHERE v.v % 200 <> 199
),
judged AS (
    SELECT b.*, e.severity AS breach,
        CAST(1500 + 1000 * b.u1 AS BIGINT) AS n,
        (b.v % 100 = 57 AND b.day >= CAST($as_of AS DATE) - 3) OR b.u1 < 0.002 AS empty
    FROM base b
    LEFT JOIN _bench_episodes e ON e.vendor_id = b.vendor_id AND e.grain = 'day'
        AND b.day BETWEEN e.fire_day - 2 AND e.last_day
),
figures AS (
    SELECT *,
        CASE WHEN empty THEN 0 ELSE n END AS responses,
        CASE WHEN empty THEN 0 ELSE CAST(n * (0.002 + 0.004 * u2) AS BIGINT) END AS failures,
        sla_p95 * CASE breach WHEN 'critical' THEN 1.55 + 0.3 * u4 WHEN 'warn' THEN 1.1 + 0.3 * u4
            ELSE 0.55 + 0.25 * u4 + 0.1 * bias END AS p95,
        CASE WHEN u5 < 0.5 THEN 0 ELSE CAST(6 * (u5 - 0.5) * (1 + bias) AS BIGINT) END AS defects,
        CAST(u6 < 0.04 AS BIGINT) AS inc_low, CAST(u6 < 0.015 AS BIGINT) AS inc_medium,
        CAST(u6 < 0.004 AS BIGINT) AS inc_high, CAST(u6 < 0.001 AS BIGINT) AS inc_critical
    FROM judged
)
SELECT vendor_id, day, CASE WHEN empty THEN 'no_data' ELSE 'ok' END AS status,
    day < CAST($as_of AS DATE) AS complete, responses, failures,
    CASE WHEN NOT empty THEN 1 - failures / responses END AS success_rate,
    CASE WHEN NOT empty THEN round(sla_p95 * (0.25 + 0.1 * u3), 1) END AS latency_p50_ms,
    CASE WHEN NOT empty THEN round(p95, 1) END AS latency_p95_ms,
    CASE WHEN NOT empty THEN round(p95 * (1.3 + 0.2 * u3), 1) END AS latency_p99_ms,
    responses AS sla_responses,
    CAST(responses * CASE WHEN breach IS NULL THEN 0.975 + 0.02 * u2 ELSE 0.9 + 0.04 * u2 END
        AS BIGINT) AS within_sla,
    CASE WHEN NOT empty THEN CASE WHEN breach IS NULL THEN 0.975 + 0.02 * u2
        ELSE 0.9 + 0.04 * u2 END END AS sla_attainment,
    CASE WHEN empty THEN 0 ELSE defects END AS defects_opened,
    0 AS defects_opened_minor, CASE WHEN empty THEN 0 ELSE defects END AS defects_opened_major,
    0 AS defects_opened_critical, CASE WHEN empty THEN 0 ELSE defects END AS defect_units,
    CASE WHEN empty THEN 0 ELSE defects END AS defects_resolved,
    CASE WHEN NOT empty THEN 1000.0 * defects / responses END AS defects_per_1k,
    CASE WHEN defects > 0 THEN 4 + 40 * u3 END AS defect_resolve_hours_mean,
    inc_low + inc_medium + inc_high + inc_critical AS incidents_opened,
    inc_low AS incidents_opened_low, inc_medium AS incidents_opened_medium,
    inc_high AS incidents_opened_high, inc_critical AS incidents_opened_critical,
    inc_low + inc_medium + inc_high + inc_critical AS incidents_resolved,
    0 AS open_critical_incidents,
    CASE WHEN inc_low + inc_medium + inc_high + inc_critical > 0 THEN 2 + 30 * u4 END
        AS incident_resolve_hours_mean,
    inc_critical * CAST(500 * u5 AS BIGINT) AS records_exposed
FROM figures
"""

_MONTHLY = """
INSERT INTO vendor_monthly BY NAME
WITH months AS (
    SELECT d.vendor_id, CAST(date_trunc('month', d.day) AS DATE) AS month,
        bool_and(d.complete) AND count(*) = day(last_day(min(d.day))) AS complete,
        sum(d.responses) AS responses, sum(d.failures) AS failures,
        avg(d.latency_p50_ms) AS latency_p50_ms, max(d.latency_p95_ms) AS latency_p95_ms,
        max(d.latency_p99_ms) AS latency_p99_ms, sum(d.sla_responses) AS sla_responses,
        sum(d.within_sla) AS within_sla, sum(d.defects_opened) AS defects_opened,
        sum(d.defects_opened_major) AS defects_opened_major,
        sum(d.defect_units) AS defect_units, sum(d.defects_resolved) AS defects_resolved,
        avg(d.defect_resolve_hours_mean) AS defect_resolve_hours_mean,
        sum(d.incidents_opened_low) AS incidents_opened_low,
        sum(d.incidents_opened_medium) AS incidents_opened_medium,
        sum(d.incidents_opened_high) AS incidents_opened_high,
        sum(d.incidents_opened_critical) AS incidents_opened_critical,
        sum(d.incidents_resolved) AS incidents_resolved,
        avg(d.incident_resolve_hours_mean) AS incident_resolve_hours_mean,
        sum(d.records_exposed) AS records_exposed
    FROM vendor_daily d GROUP BY ALL
),
terms AS (
    SELECT m.*, v.v, v.fee, v.sla_p95, e.severity AS cost_breach,
        p.event_id AS profile_event_id, p.monthly_fee, p.sla_service_credit_pct,
        (hash(v.v, m.month) % 1000003) / 1000003.0 AS u
    FROM months m
    JOIN _bench_vendors v USING (vendor_id)
    LEFT JOIN _bench_episodes e ON e.vendor_id = m.vendor_id AND e.grain = 'month'
        AND m.month BETWEEN e.fire_day AND e.last_day
    JOIN profile_terms p ON p.vendor_id = m.vendor_id
        AND p.valid_from < CAST(m.month + INTERVAL 1 MONTH AS TIMESTAMPTZ)
        AND p.valid_to >= CAST(m.month + INTERVAL 1 MONTH AS TIMESTAMPTZ)
),
money AS (
    SELECT *, responses = 0 AS empty,
        CAST(monthly_fee * CAST(CASE WHEN cost_breach IS NOT NULL THEN 1.08 + 0.05 * u
            ELSE 0.97 + 0.06 * u END AS DECIMAL(9,4)) AS DECIMAL(18,4)) AS invoiced,
        latency_p95_ms > sla_p95 AS breached
    FROM terms
)
SELECT vendor_id, month, CASE WHEN empty THEN 'no_data' ELSE 'ok' END AS status, complete,
    responses, failures,
    CASE WHEN NOT empty THEN 1 - failures / responses END AS success_rate,
    latency_p50_ms, latency_p95_ms, latency_p99_ms, sla_responses, within_sla,
    CASE WHEN NOT empty THEN within_sla / sla_responses END AS sla_attainment,
    defects_opened, 0 AS defects_opened_minor, defects_opened_major,
    0 AS defects_opened_critical, defect_units, defects_resolved,
    CASE WHEN NOT empty THEN 1000.0 * defects_opened / responses END AS defects_per_1k,
    defect_resolve_hours_mean,
    incidents_opened_low + incidents_opened_medium + incidents_opened_high
        + incidents_opened_critical AS incidents_opened,
    incidents_opened_low, incidents_opened_medium, incidents_opened_high,
    incidents_opened_critical, incidents_resolved, 0 AS open_critical_incidents,
    incident_resolve_hours_mean, records_exposed,
    profile_event_id, 'EUR' AS currency, 1 AS invoices, 0 AS corrected_invoices,
    0 AS unconverted_invoices, invoiced AS invoiced_amount,
    CAST(0 AS DECIMAL(18,4)) AS credit_note_amount, CAST(responses AS DOUBLE) AS units,
    CAST(invoiced / nullif(responses, 0) AS DECIMAL(18,4)) AS cost_per_unit,
    monthly_fee AS contracted_fee,
    CAST(100 * (invoiced - monthly_fee) / monthly_fee AS DOUBLE) AS variance_pct,
    breached AS sla_breached,
    CASE WHEN breached THEN ['latency_p95_ms'] ELSE [] END AS sla_breaches,
    CAST(CASE WHEN breached THEN monthly_fee * sla_service_credit_pct / 100 ELSE 0 END
        AS DECIMAL(18,4)) AS service_credit_due,
    CAST(invoiced - CASE WHEN breached THEN monthly_fee * sla_service_credit_pct / 100
        ELSE 0 END AS DECIMAL(18,4)) AS net_effective_cost,
    'ok' AS cost_status
FROM money
"""

_SCORES = f"""
INSERT INTO vendor_scores BY NAME
WITH s AS (
    SELECT d.vendor_id, d.day, v.v, v.bias, v.sla_p95, v.fee, d.latency_p95_ms,
        {_u("v.v", "d.day", "'s'")} AS u,
        EXISTS (SELECT 1 FROM _bench_episodes e WHERE e.vendor_id = d.vendor_id
            AND e.grain = 'day' AND d.day BETWEEN e.fire_day AND e.last_day) AS breach
    FROM vendor_daily d JOIN _bench_vendors v USING (vendor_id)
),
c AS (
    SELECT *,
        greatest(0, least(100, 85 - 30 * bias + 6 * u - CASE WHEN breach THEN 30 ELSE 0 END))
            AS quality,
        greatest(0, least(100, 95 - 25 * bias * u)) AS security,
        greatest(0, least(100, 90 - 45 * bias + 5 * u)) AS cost
    FROM s
)
SELECT vendor_id, day, $policy_version AS policy_version, 'ok' AS quality_status,
    CAST(60000 + 1000 * u AS BIGINT) AS responses_30d,
    coalesce(latency_p95_ms, sla_p95 * 0.7) AS latency_p95_30d_ms,
    coalesce(latency_p95_ms, sla_p95 * 0.7) / sla_p95 AS latency_ratio,
    0.6 + 0.8 * bias AS error_budget_ratio, 0.3 + bias AS defect_ratio,
    quality AS latency_score, least(100, quality + 5) AS reliability_score,
    greatest(0, quality - 5) AS defect_score, quality AS quality_score,
    CAST(bias > 0.95 AS BIGINT) AS incidents_critical_90d,
    CAST(bias > 0.8 AS BIGINT) AS incidents_high_90d, 1 AS incidents_medium_90d,
    3 AS incidents_low_90d, 0 AS open_critical_incidents,
    CAST(bias > 0.95 AS BIGINT) * 120 AS records_exposed_90d, security AS security_score,
    6 AS cost_months, 'EUR' AS currency, CAST(fee * (1 + 0.1 * bias) AS DECIMAL(18,4)) AS run_rate,
    CAST(fee AS DECIMAL(18,4)) AS contracted_fee, 10 * bias AS variance_pct,
    CAST(fee * (0.8 + v % 7 * 0.07) AS DECIMAL(18,4)) AS inhouse_monthly_cost,
    0.8 + v % 7 * 0.07 AS inhouse_ratio, 2 * bias - 0.5 AS cost_trend_pct,
    0.05 + 0.5 * u AS cost_trend_p_value, cost AS variance_score, cost AS inhouse_score,
    cost AS cost_trend_score, cost AS cost_score,
    0.45 * (100 - quality) + 0.25 * (100 - security) + 0.30 * (100 - cost) AS backsourcing_score
FROM c
"""

_COST_TRENDS = """
INSERT INTO vendor_cost_trends BY NAME
SELECT vendor_id, month, 6 AS months_used,
    CASE WHEN variance_pct > 5 THEN 'up' ELSE 'flat' END AS direction,
    CAST(invoiced_amount AS DOUBLE) * 0.002 AS slope, 0.2 AS relative_slope_pct, 0.4 AS p_value
FROM vendor_monthly
"""

_STATUS = """
INSERT INTO vendor_status BY NAME
SELECT v.vendor_id, CAST($as_of AS TIMESTAMPTZ) AS as_of,
    CASE WHEN v.v % 200 = 199 THEN NULL
         WHEN v.v % 100 = 57 THEN $as_of - INTERVAL 4 DAY
         ELSE $as_of - INTERVAL 3 MINUTE END AS last_response_at,
    CASE WHEN v.v % 200 = 199 THEN $start - INTERVAL 30 DAY ELSE last_response_at END
        AS last_event_at,
    (epoch(CAST($as_of AS TIMESTAMPTZ)) - epoch(last_response_at)) / 3600
        AS hours_since_last_response,
    CASE WHEN v.v % 200 = 199 THEN 'no_data' WHEN v.v % 100 = 57 THEN 'silent'
         ELSE 'reporting' END AS reporting_status
FROM _bench_vendors v
"""


# Each episode's periods: 2 pending, the firing ones, then the resolving one (if resolved).
@dataclass(frozen=True)
class Store:
    """A published read model and the vendor page to open on it."""

    directory: Path
    vendors: int
    days: int
    vendor_id: str
    alert_id: str
    fill_s: float
    publish_s: float
    rows: dict[str, int]


def build(workdir: Path, vendors: int, days: int) -> Store:
    """Fill an engine database with SQL (see this module's docstring) and publish a snapshot."""
    first_day = (AS_OF - timedelta(days=days)).date()
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    policy_version = str(default_policy().version)
    store = EventStore(workdir / f"dashboard-bench-{vendors}.duckdb")
    con = store.connection
    try:
        started = time.perf_counter()
        for statement in (
            *METRICS_DDL,
            *scores.DDL,
            *rules.DDL,
            *policy_history.DDL,
            *control.DDL,
        ):
            con.execute(statement)
        ensure_tables(con)
        con.execute(
            "CREATE TABLE IF NOT EXISTS vendor_status (vendor_id VARCHAR, as_of TIMESTAMPTZ, "
            "last_response_at TIMESTAMPTZ, last_event_at TIMESTAMPTZ, "
            "hours_since_last_response DOUBLE, reporting_status VARCHAR)"
        )
        policy_history.record_policy(con, default_policy(), effective_from=start, source="file")
        con.execute("INSERT OR REPLACE INTO metrics_state VALUES ('as_of', ?)", [AS_OF.isoformat()])
        params: dict[str, Any] = {
            "vendors": vendors,
            "days": days,
            "start": start,
            "first_day": first_day,
            "as_of": AS_OF,
            "policy_version": policy_version,
        }
        for sql in (
            _VENDORS,
            _PROFILES,
            EPISODES,
            _DAILY,
            _MONTHLY,
            _SCORES,
            _COST_TRENDS,
            _STATUS,
            STEPS,
            RULE_STEPS,
            ALERT_LOG,
            ALERT_STATE,
        ):
            con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
        con.execute("CHECKPOINT")
        fill_s = time.perf_counter() - started
        rows = {
            table: _scalar(con, f"SELECT count(*) FROM {table}")
            for table in ("vendor_daily", "vendor_scores", "rule_steps", "alert_log", "alerts")
        }
        vendor_id, alert_id = con.execute(
            """SELECT vendor_id, alert_id FROM alerts
            WHERE state = 'firing' AND rule = 'latency_p95' ORDER BY vendor_id LIMIT 1"""
        ).fetchall()[0]
        started = time.perf_counter()
        directory = workdir / f"readmodel-{vendors}"
        publish(con, directory, utc_now())
        publish_s = time.perf_counter() - started
    finally:
        store.close()
    return Store(directory, vendors, days, vendor_id, alert_id, fill_s, publish_s, rows)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return 0 if row is None else int(row[0])
