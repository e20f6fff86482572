"""Dashboard benchmark: server-side render time of the Overview and a Vendor page (issue #5).

**The data.** The benchmark measures the dashboard, not the metrics job (the metrics benchmark
does that), so the engine's *output* is filled directly with SQL at the real schema (the
DDL of ``metrics``, ``alerting`` and the event store, and the real ``publish``): V vendors
(default 1,000) with profiles (four tiers, six services, SLA targets, contract dates, fee,
in-house estimate; every tenth vendor renegotiated a year ago, so it has two profile
versions), and D days (default 730) of plausible figures per vendor:

* ``vendor_daily`` (V x D rows: 1,500-2,500 responses a day, latency percentiles around the
  SLA, failures, defects, the odd incident, a rare day without data), ``vendor_monthly``
  (aggregated from it, with invoices vs the contracted fee, service credits), ``vendor_scores``
  (V x D rows, every column the explain text reads), ``vendor_cost_trends``, ``vendor_status``
  (1 % of vendors silent, 0.5 % with a profile and no data at all);
* breach episodes -> ``rule_steps`` (pending, firing, resolved days with thresholds and
  reasons), ``alert_log`` (a firing and a resolved transition each, with an evidence JSON
  document shaped like the metrics job's: thresholds, the run of values, a sample of 10
  events) and ``alert_state``: 40 % of vendors have one to four resolved ``latency_p95``
  episodes in the past; 5 % (``v % 20 == 3``) are firing now (half critical, a third of those
  also ``cost_variance`` for the last two months; some acknowledged). Breach days have breaching
  daily figures, so charts, bands and alerts agree.

Generating raw events and running the real ``MetricsJob`` instead would need 1,000 x 730 days
x >= 50 responses (``min_sample``) = 36.5M+ responses just to get judged days; the metrics
benchmark already covers that path.

**The measurement** (``streamlit.testing.v1.AppTest``, the app test harness, in this process;
the app reads its settings from the ``VENDORWATCH_*`` environment, as under ``vendorwatch
dashboard``, pointed at the published snapshot). A page is selected like
``tests/dashboard/apptest.py``'s ``open_page`` (the private ``_page_hash`` = ``calc_hash`` of
the URL path, as a browser's ``/<url_path>`` request resolves to). Timed: ``AppTest.run()``
only, i.e. the whole script run (settings, navigation, the page: queries, pandas, altair, the
elements' protobufs including the dataframes' Arrow serialisation) plus the harness turning
the deltas into its element tree; no browser, no websocket. Before anything is timed, one
untimed render of each page on the small snapshot imports every module (server start-up).
Per page and snapshot:

* **cold**: a new session's render right after ``st.cache_data`` / ``st.cache_resource`` were
  cleared — the first render of a newly published snapshot: its connection is opened and every
  query runs (the caches are keyed by snapshot path, and the engine publishes every
  ``read_model.every_seconds``); N renders, each after clearing, p50 and max (one first render
  alone is too noisy to report);
* **session** (the target figure): a fresh ``AppTest`` per render (a user opening the page:
  a new session) with the server's caches warm; N renders, p50 and p95;
* **rerun**: ``run()`` again on the same session (a widget interaction), N renders, p50.

Pages: ``overview``; ``vendor`` (``?vendor_id=V&alert_id=A``: a vendor with a firing alert,
its evidence expanded, the default 90-day charts); and, for context, ``vendor, all days``:
the same page switched to the whole two years (its timed run is the one after switching the
period, so even "session" and "cold" there are reruns of a session that opened the page; cold
means only that series' query was not cached).

The target (<= 500 ms each) applies to the session p50 of ``overview`` and ``vendor`` on the
big snapshot: what a person opening the page waits for on a running server. A same-run
baseline on a 10-vendor snapshot (same days, same generator) gives ratios; its renders are
interleaved with the big snapshot's (the app reads the environment on every run), so a change
in machine load hits both alike. Also reported: the harness floor (a one-line script in a new
session, and rerun), which every figure includes, and the load average: these are wall-clock
times, and on a shared machine other processes move them. p95 =
``statistics.quantiles(n=20, method="inclusive")[18]``.

With ``profile=True`` one more cold and one session render per page are timed by category
(cached query functions, chart building, ``st.dataframe`` / ``st.altair_chart`` calls, which
serialise frames and validate and convert charts) to show where the time goes.
"""

from __future__ import annotations

import functools
import logging
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

import vendorwatch
from alerting.planner import ensure_tables
from control import apply as control
from ingest.store import EventStore
from metrics import policy_history, rules, scores
from metrics.policy import default_policy
from metrics.tables import DDL as METRICS_DDL
from readmodel.publish import publish
from vendorwatch.clock import utc_now
from vendorwatch.settings import (
    DashboardSettings,
    ReadModelSettings,
    Settings,
    settings_environment,
)

TARGET_MS = 500.0
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
BASELINE_VENDORS = 10
APP = Path(vendorwatch.__file__).resolve().parent / "dashboard_app.py"
TIMEOUT_S = 120.0

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
_EPISODES = """
CREATE OR REPLACE TEMP TABLE _bench_episodes AS
WITH raw AS (
    SELECT v.vendor_id, v.v, v.sla_p95, v.fee, 'latency_p95' AS rule,
        'latency_p95_ms' AS metric, 'day' AS grain, 'day' AS unit,
        CAST($first_day AS DATE) + CAST(v.v * 37 % 100 + e * 173 + 20 AS INTEGER) AS fire_day,
        CAST(3 + (v.v + e) % 6 AS INTEGER) AS firing_days,
        CASE WHEN (v.v + e) % 3 = 0 THEN 'critical' ELSE 'warn' END AS severity, true AS resolved
    FROM _bench_vendors v, (SELECT CAST(range AS INTEGER) AS e FROM range(4)) t
    WHERE v.v % 5 IN (1, 3) AND e <= v.v % 4 AND v.v % 200 <> 199
        AND v.v * 37 % 100 + e * 173 + 20 < $days - 30
    UNION ALL
    SELECT vendor_id, v, sla_p95, fee, 'latency_p95', 'latency_p95_ms', 'day', 'day',
        CAST($as_of AS DATE) - (4 + v % 9), 4 + v % 9,
        CASE WHEN v % 40 = 3 THEN 'critical' ELSE 'warn' END, false
    FROM _bench_vendors WHERE v % 20 = 3
    UNION ALL
    SELECT vendor_id, v, sla_p95, fee, 'cost_variance', 'variance_pct', 'month', 'month',
        CAST(date_trunc('month', CAST($as_of AS DATE) - INTERVAL 2 MONTH) AS DATE), 2,
        'warn', false
    FROM _bench_vendors WHERE v % 20 = 3 AND v % 3 = 0
)
SELECT *, md5(vendor_id || rule || fire_day) AS episode_id,
    CASE WHEN unit = 'day' THEN fire_day - 2
         ELSE CAST(fire_day - INTERVAL 1 MONTH AS DATE) END AS first_day,
    CASE WHEN unit = 'day' THEN fire_day + firing_days - 1
         ELSE CAST(fire_day + to_months(firing_days - 1) AS DATE) END AS last_day,
    CASE WHEN rule = 'latency_p95' THEN sla_p95 * 1.0 ELSE 5.0 END AS warn,
    CASE WHEN rule = 'latency_p95' THEN sla_p95 * 1.5 ELSE 15.0 END AS critical,
    CASE WHEN rule = 'latency_p95' THEN sla_p95 * 0.9 ELSE 5.0 END AS clear
FROM raw
"""

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
_STEPS = """
CREATE OR REPLACE TEMP TABLE _bench_steps AS
SELECT e.*, p.i,
    CASE WHEN e.unit = 'day' THEN e.first_day + CAST(p.i AS INTEGER)
         ELSE CAST(e.first_day + to_months(p.i) AS DATE) END AS period,
    CASE WHEN p.i < CASE WHEN e.unit = 'day' THEN 2 ELSE 1 END THEN 'pending'
         WHEN p.i < n_before + e.firing_days THEN 'firing' ELSE 'resolved' END AS state
FROM (SELECT *, CASE WHEN unit = 'day' THEN 2 ELSE 1 END AS n_before FROM _bench_episodes) e,
    LATERAL (SELECT unnest(range(e.n_before + e.firing_days + CAST(e.resolved AS INTEGER)))
        AS i) p
"""

_RULE_STEPS = """
INSERT INTO rule_steps BY NAME
SELECT vendor_id, rule, metric, grain, period, state,
    CASE WHEN state = 'firing' THEN severity END AS severity,
    CASE WHEN state = 'resolved' THEN clear * 0.95
         WHEN state = 'firing' AND severity = 'critical' THEN critical * 1.05
         ELSE warn * 1.08 END AS value,
    CASE WHEN grain = 'day' THEN 2000 ELSE 60000 END AS sample, warn, critical, clear,
    CASE WHEN state = 'resolved' THEN 0 ELSE least(i + 1, 99) END AS breaching_periods,
    CAST(state = 'resolved' AS INTEGER) * 2 AS clearing_periods,
    state <> 'pending' AND (state = 'resolved' OR i = n_before) AS changed,
    CASE state WHEN 'pending' THEN metric || ' above warn ' || round(warn, 1) || ', dwell '
            || (i + 1) || ' of 3'
        WHEN 'firing' THEN metric || ' ' || severity || ' for ' || (i + 1 - n_before + 1)
            || ' period(s): value above ' || round(CASE severity WHEN 'critical' THEN critical
            ELSE warn END, 1)
        ELSE metric || ' back at or below clear ' || round(clear, 1) || ' for 2 periods' END
        AS reason,
    $policy_version AS policy_version
FROM _bench_steps
"""

_ALERT_LOG = """
INSERT INTO alert_log BY NAME
SELECT substr(md5(vendor_id || rule || period || state), 1, 16) AS alert_id, vendor_id, rule,
    metric, grain, period, state, CASE WHEN state = 'firing' THEN severity END AS severity,
    CASE WHEN state = 'firing' THEN warn * 1.08 ELSE clear * 0.95 END AS value,
    warn, critical, clear,
    CASE WHEN state = 'firing' THEN metric || ' above ' || round(warn, 1) || ' for 3 periods'
         ELSE metric || ' back at or below ' || round(clear, 1) || ' for 2 periods' END AS reason,
    $policy_version AS policy_version,
    CAST(CASE WHEN grain = 'day' THEN period + 1 ELSE period + INTERVAL 1 MONTH END
        AS TIMESTAMPTZ) + INTERVAL 5 MINUTE AS recorded_at,
    CAST(to_json({
        'metric': metric,
        'period': {'start': strftime(period, '%Y-%m-%dT00:00:00Z'),
            'end': strftime(CASE WHEN grain = 'day' THEN period + 1
                ELSE period + INTERVAL 1 MONTH END, '%Y-%m-%dT00:00:00Z')},
        'thresholds': {'direction': 'above', 'warn': warn, 'critical': critical, 'clear': clear,
            'for_periods': 3, 'clear_periods': 2, 'min_sample': 0},
        'values': list_transform(range(5), lambda k: {
            'period': CAST(period - CAST(4 - k AS INTEGER) AS VARCHAR),
            'value': round(warn * (0.9 + 0.05 * k), 1),
            'sample': 2000, 'state': CASE WHEN k < 2 THEN 'ok' WHEN k < 4 THEN 'pending'
                ELSE state END}),
        'events': {'table': CASE WHEN grain = 'day' THEN 'response_times' ELSE 'cost_invoices'
                END,
            'count': CASE WHEN grain = 'day' THEN 2000 ELSE 1 END,
            'sample': list_transform(range(CASE WHEN grain = 'day' THEN 10 ELSE 1 END),
                lambda k: {'event_id': 'rt-' || vendor_id || '-' || period || '-' || k,
                    'occurred_at': CAST(period AS VARCHAR) || 'T0' || k || ':12:00Z',
                    'topic': 'vendor.response_times', 'partition': k % 3,
                    'offset': 1000000 + k, 'latency_ms': round(warn * (2.5 - 0.1 * k), 1),
                    'success': true})}
    }) AS VARCHAR) AS evidence
FROM _bench_steps
WHERE (state = 'firing' AND i = n_before) OR state = 'resolved'
"""

_ALERT_STATE = """
INSERT INTO alert_state BY NAME
SELECT l.vendor_id, l.rule, l.alert_id, e.episode_id, l.state, l.severity, l.period,
    f.recorded_at AS since, l.recorded_at AS changed_at,
    l.alert_id AS notified_alert_id, l.recorded_at AS last_notified_at,
    CASE WHEN l.state = 'firing' AND v.v % 60 = 23 THEN 'ops-anna' END AS acked_by,
    CASE WHEN l.state = 'firing' AND v.v % 60 = 23 THEN l.recorded_at + INTERVAL 1 HOUR END
        AS acked_at,
    CASE WHEN l.state = 'firing' AND v.v % 60 = 23 THEN 'vendor notified' END AS ack_comment
FROM alert_log l
JOIN _bench_vendors v USING (vendor_id)
JOIN _bench_episodes e ON e.vendor_id = l.vendor_id AND e.rule = l.rule
    AND l.period BETWEEN e.first_day AND CASE WHEN e.grain = 'day' THEN e.last_day + 1
        ELSE CAST(e.last_day + INTERVAL 1 MONTH AS DATE) END
JOIN alert_log f ON f.vendor_id = l.vendor_id AND f.rule = l.rule AND f.state = 'firing'
    AND f.period BETWEEN e.first_day AND e.last_day
QUALIFY row_number() OVER (PARTITION BY l.vendor_id, l.rule ORDER BY l.period DESC) = 1
"""


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
    """Fill an engine database with SQL (see the module docstring) and publish a snapshot."""
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
            _EPISODES,
            _DAILY,
            _MONTHLY,
            _SCORES,
            _COST_TRENDS,
            _STATUS,
            _STEPS,
            _RULE_STEPS,
            _ALERT_LOG,
            _ALERT_STATE,
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


def _settings_variables(directory: Path) -> dict[str, str]:
    """The ``VENDORWATCH_*`` variables of demo-mode settings reading ``directory``."""
    settings = Settings(
        read_model=ReadModelSettings(dir=directory, stale_after=timedelta(days=1)),
        dashboard=DashboardSettings(mode="demo"),
    )
    return {k: v for k, v in settings_environment(settings).items() if k.startswith("VENDORWATCH_")}


def _use(variables: dict[str, str]) -> None:
    """Make ``load_settings()`` in this process (the app's next run) read ``variables``."""
    for name in [n for n in os.environ if n.startswith("VENDORWATCH_")]:
        del os.environ[name]
    os.environ.update(variables)


@contextmanager
def _restored_environment() -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith("VENDORWATCH_")}
    try:
        yield
    finally:
        _use(saved)


@dataclass(frozen=True)
class Page:
    """A page as a user opens it: URL path and query; ``period``: then switched to it."""

    url_path: str
    query: dict[str, str]
    period: str | None = None


def _new_session(script: Path = APP) -> AppTest:
    return AppTest.from_file(str(script), default_timeout=TIMEOUT_S)


def _render(at: AppTest, page: Page, *, fresh: bool = True) -> float:
    """Seconds of one ``run()`` of ``page`` in the session. ``fresh``: the session opens the
    page first (as tests/dashboard/apptest.py's ``open_page`` does); with a ``period``, the
    opening run is untimed and the run after switching the period is timed."""
    if fresh:
        at._page_hash = calc_hash(page.url_path)
        at.query_params.clear()
        at.query_params.update(page.query)
        if page.period is not None:
            at.run()
            _check(at, Page(page.url_path, page.query))
            at.segmented_control(key="period").set_value(page.period)
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    _check(at, page)
    return elapsed


def _check(at: AppTest, page: Page) -> None:
    """Fail loudly rather than time an error page."""
    if at.exception:
        raise RuntimeError(f"/{page.url_path} raised: {at.exception[0].message}")
    if at.error:
        raise RuntimeError(f"/{page.url_path} shows an error: {at.error[0].value}")
    titles = [t.value for t in at.title]
    if page.url_path == "overview" and "Overview" not in titles:
        raise RuntimeError(f"/overview did not render its board: titles {titles}")
    if page.url_path == "vendor":
        why = [m.value for m in at.markdown if str(m.value).startswith("**Why:**")]
        if "Vendor" not in titles or not why:
            raise RuntimeError("/vendor did not render the alert's evidence")
        if page.period is not None and at.segmented_control(key="period").value != page.period:
            raise RuntimeError(f"/vendor did not switch to the period {page.period!r}")


def _clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def _p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


@dataclass(frozen=True)
class PageTimes:
    """Milliseconds: cold renders, new-session renders and reruns of one session."""

    cold_ms: list[float]
    session_ms: list[float]
    rerun_ms: list[float]

    @property
    def cold_p50(self) -> float:
        return statistics.median(self.cold_ms)

    @property
    def session_p50(self) -> float:
        return statistics.median(self.session_ms)

    @property
    def session_p95(self) -> float:
        return _p95(self.session_ms)

    @property
    def rerun_p50(self) -> float:
        return statistics.median(self.rerun_ms)


@dataclass(frozen=True)
class Target:
    """A page on one snapshot: the environment pointing at the snapshot, and the page."""

    variables: dict[str, str]
    page: Page


def _time_pages(targets: list[Target], runs: int) -> list[PageTimes]:
    """Time each target (see the module docstring), interleaved render by render, so that a
    change in machine load hits every target alike and their ratios stay fair."""

    def render(target: Target, at: AppTest | None = None) -> float:
        _use(target.variables)
        if at is None:
            return _render(_new_session(), target.page) * 1e3
        return _render(at, target.page, fresh=False) * 1e3

    colds: list[list[float]] = [[] for _ in targets]
    sessions: list[list[float]] = [[] for _ in targets]
    for _ in range(runs):
        for index, target in enumerate(targets):
            _clear_caches()
            colds[index].append(render(target))
    for _ in range(runs):
        for index, target in enumerate(targets):
            sessions[index].append(render(target))
    apps = []
    for target in targets:
        _use(target.variables)
        apps.append(_new_session())
        _render(apps[-1], target.page)
    reruns: list[list[float]] = [[] for _ in targets]
    for _ in range(runs):
        for index, (target, at) in enumerate(zip(targets, apps, strict=True)):
            reruns[index].append(render(target, at))
    return [PageTimes(*times) for times in zip(colds, sessions, reruns, strict=True)]


def _pages(store: Store) -> dict[str, Page]:
    """The timed pages: the two the target names, and the Vendor page switched to all days."""
    query = {"vendor_id": store.vendor_id, "alert_id": store.alert_id}
    return {
        "overview": Page("overview", {}),
        "vendor": Page("vendor", query),
        "vendor, all days": Page("vendor", query, period="all"),
    }


FLOOR_SCRIPT = 'import streamlit as st\n\nst.title("floor")\n'


def _floor(workdir: Path, runs: int) -> tuple[float, float]:
    """The harness's own cost (ms, p50): a one-line script in a new session, and rerun."""
    script = workdir / "dashboard-floor.py"
    script.write_text(FLOOR_SCRIPT, encoding="utf-8")
    session, rerun = [], []
    for _ in range(runs):
        at = _new_session(script)
        started = time.perf_counter()
        at.run()
        session.append(time.perf_counter() - started)
        started = time.perf_counter()
        at.run()
        rerun.append(time.perf_counter() - started)
    return statistics.median(session) * 1e3, statistics.median(rerun) * 1e3


@contextmanager
def _quiet_streamlit() -> Iterator[None]:
    """Streamlit warns about bare mode when its caches are cleared from this thread."""
    from streamlit import config, logger

    level = config.get_option("logger.level")  # AppTest re-applies it on every run
    config.set_option("logger.level", "error")
    logger.set_log_level(logging.ERROR)
    try:
        yield
    finally:
        config.set_option("logger.level", level)
        logger.set_log_level(str(level).upper())


# --- where the time goes (profile=True) ------------------------------------------------------


@dataclass
class Breakdown:
    """Milliseconds per category within one render; ``other`` = the rest of the run."""

    total_ms: float = 0.0
    parts: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def describe(self) -> str:
        other = self.total_ms - sum(self.parts.values())
        shown = sorted(self.parts.items(), key=lambda kv: -kv[1])
        text = ", ".join(f"{name} {ms:.0f}" for name, ms in shown if ms >= 1)
        return f"{self.total_ms:.0f} ms = {text}, other (app shell, page code, harness) {other:.0f}"


def _timed(
    breakdown: Breakdown, name: str, function: Callable[..., Any], depth: list[int]
) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        depth[0] += 1
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:  # only the outermost timed call counts
                breakdown.parts[name] += (time.perf_counter() - started) * 1e3

    return wrapper


@contextmanager
def _instrumented(breakdown: Breakdown) -> Iterator[None]:
    """Time the page's building blocks: every cached query in dashboard.data, the chart
    builders, and the Streamlit calls that serialise frames and charts."""
    from dashboard import charts, data

    depth = [0]
    patches: list[tuple[object, str, object]] = []

    def patch(owner: object, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)
        patches.append((owner, attribute, original))
        setattr(owner, attribute, _timed(breakdown, name, original, depth))

    for function in (
        "vendor_board",
        "alert_states",
        "alert_history",
        "vendor_profile",
        "vendor_daily",
        "vendor_costs",
        "rule_thresholds",
        "breach_periods",
        "explanation",
        "current_snapshot",
    ):
        patch(data, function, f"data.{function}")
    for function in ("time_series", "stacked_bars", "monthly_costs"):
        patch(charts, function, "charts (altair build)")
    for element in (st, DeltaGenerator):
        patch(element, "dataframe", "st.dataframe")
        patch(element, "altair_chart", "st.altair_chart")
    try:
        yield
    finally:
        for owner, attribute, original in reversed(patches):
            setattr(owner, attribute, original)


def _profile(page: Page) -> tuple[Breakdown, Breakdown]:
    """One cold and one new-session render of ``page``, broken down (the timed run only)."""
    found: list[Breakdown] = []
    for cold in (True, False):
        if cold:
            _clear_caches()
        at = _new_session()
        if page.period is not None:  # the untimed opening run, outside the breakdown
            _render(at, Page(page.url_path, page.query))
            at.segmented_control(key="period").set_value(page.period)
        breakdown = Breakdown()
        with _instrumented(breakdown):
            breakdown.total_ms = _render(at, page, fresh=page.period is None) * 1e3
        found.append(breakdown)
    return found[0], found[1]


# --- the benchmark ---------------------------------------------------------------------------


@dataclass
class DashboardFigures:
    """Milliseconds per page (``big``: V vendors, ``small``: the 10-vendor baseline)."""

    vendors: int
    days: int
    runs: int
    big: dict[str, PageTimes]
    small: dict[str, PageTimes]
    store: Store
    floor_ms: tuple[float, float]
    load: tuple[float, float]
    profiles: dict[str, tuple[Breakdown, Breakdown]] = field(default_factory=dict)

    @property
    def meets(self) -> bool:
        """The target: the session p50 of the two pages the issue names."""
        return all(self.big[name].session_p50 <= TARGET_MS for name in ("overview", "vendor"))

    def details(self) -> str:
        rows = self.store.rows
        lines = [
            f"  store: {rows['vendor_daily']:,} daily rows, {rows['alert_log']:,} alert "
            f"transitions, {rows['alerts']:,} (vendor, rule) alerts; filled in "
            f"{self.store.fill_s:.1f} s, published in {self.store.publish_s:.1f} s; vendor "
            f"page: {self.store.vendor_id} with alert_id {self.store.alert_id}",
            f"  harness floor (a one-line script): new session p50 {self.floor_ms[0]:.0f} ms, "
            f"rerun p50 {self.floor_ms[1]:.0f} ms; load average {self.load[0]:.1f} before, "
            f"{self.load[1]:.1f} after ({os.cpu_count()} CPUs: figures are wall-clock times)",
        ]
        for name, times in self.big.items():
            small = self.small[name]
            lines.append(
                f"  {name}: cold p50 {times.cold_p50:.0f} / max {max(times.cold_ms):.0f} ms; "
                f"session p50 {times.session_p50:.0f} / "
                f"p95 {times.session_p95:.0f} ms; rerun p50 {times.rerun_p50:.0f} ms | "
                f"{BASELINE_VENDORS} vendors: cold p50 {small.cold_p50:.0f}, session p50 "
                f"{small.session_p50:.0f}, rerun p50 {small.rerun_p50:.0f} ms | ratio: session "
                f"{times.session_p50 / small.session_p50:.2f}, cold "
                f"{times.cold_p50 / small.cold_p50:.2f}"
            )
        for name, (cold, session) in self.profiles.items():
            lines.append(f"  {name}, cold: {cold.describe()}")
            lines.append(f"  {name}, session: {session.describe()}")
        return "\n".join(lines)

    @property
    def verdict(self) -> str:
        overview, vendor = self.big["overview"], self.big["vendor"]
        return (
            f"dashboard: overview cold p50 {overview.cold_p50:.0f} ms, warm p50 "
            f"{overview.session_p50:.0f} ms; vendor cold p50 {vendor.cold_p50:.0f} ms, warm p50 "
            f"{vendor.session_p50:.0f} ms ({self.vendors:,} vendors x {self.days} days; "
            f"target <= {TARGET_MS:.0f} ms each, on warm p50 = a new session with warm server "
            f"caches): {'MET' if self.meets else 'NOT MET'}"
        )


def run(
    workdir: Path,
    vendors: int = 1000,
    days: int = 730,
    runs: int = 10,
    *,
    profile: bool = False,
) -> DashboardFigures:
    """Build both snapshots, time every page on each (see the module docstring)."""
    small_store = build(workdir, BASELINE_VENDORS, days)
    big_store = build(workdir, vendors, days)
    load_before = os.getloadavg()[0]
    small_variables = _settings_variables(small_store.directory)
    big_variables = _settings_variables(big_store.directory)
    small_pages, big_pages = _pages(small_store), _pages(big_store)
    with _quiet_streamlit(), _restored_environment():
        _use(small_variables)
        for page in small_pages.values():  # start-up: imports, untimed
            _render(_new_session(), page)
        floor = _floor(workdir, runs)
        small, big = {}, {}
        for name in big_pages:
            small[name], big[name] = _time_pages(
                [
                    Target(small_variables, small_pages[name]),
                    Target(big_variables, big_pages[name]),
                ],
                runs,
            )
        _use(big_variables)
        profiles = {name: _profile(page) for name, page in big_pages.items()} if profile else {}
        _clear_caches()  # close the snapshots' connections
    load = (load_before, os.getloadavg()[0])
    return DashboardFigures(vendors, days, runs, big, small, big_store, floor, load, profiles)
