"""The alert side of the dashboard benchmark's synthetic snapshot (see ``snapshot``).

Breach episodes -> ``rule_steps`` (pending, firing, resolved days with thresholds and reasons),
``alert_log`` (a firing and a resolved transition each, with an evidence JSON document shaped
like the metrics job's: thresholds, the run of values, a sample of 10 events) and
``alert_state``: 40 % of vendors have one to four resolved ``latency_p95`` episodes in the
past; 5 % (``v % 20 == 3``) are firing now (half critical, a third of those also
``cost_variance`` for the last two months; some acknowledged). Breach days have breaching daily
figures, so charts, bands and alerts agree.

``EPISODES`` runs after the vendors (``_bench_vendors``) and before the daily figures, which
read it; ``STEPS``, ``RULE_STEPS``, ``ALERT_LOG`` and ``ALERT_STATE`` run last, in that order.
Parameters: ``$first_day``, ``$days``, ``$as_of``, ``$policy_version``.
"""

from __future__ import annotations

# Breach episodes: (vendor, rule) runs of pending days, firing days and (unless still firing)
# the resolving day. Historical ones never overlap (>= 173 days apart, all before day D - 30).
EPISODES = """
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

# Each episode's periods: 2 pending, the firing ones, then the resolving one (if resolved).
STEPS = """
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

RULE_STEPS = """
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

ALERT_LOG = """
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

ALERT_STATE = """
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
