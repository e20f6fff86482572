"""Data access over the read-model snapshot: the only place in the dashboard with SQL.

Contract:

* :func:`current_snapshot` reads the snapshot ``CURRENT`` names (see :mod:`readmodel.contract`)
  and returns what it describes; :class:`~readmodel.contract.NoSnapshot` when there is none.
  Its read-only connection is cached per snapshot path (``st.cache_resource``), so a new
  publication is picked up at the next rerun, and released (closed) once newer ones pushed it
  out of the cache;
* every query function takes the snapshot path first and caches its result per path and
  parameters (``st.cache_data``): a snapshot never changes, so a cached answer is never stale;
* each query runs on its own cursor (DuckDB: one cursor per thread; sessions are threads);
* results are pandas DataFrames; money columns hold ``Decimal`` (never a binary float);
  timestamps are time zone-aware; figures the engine left NULL stay missing, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from ingest.kinds import KINDS
from metrics.explain import explain_vendor
from readmodel.contract import Snapshot, open_snapshot, read_current

CACHED_CONNECTIONS = 4
"""Snapshot connections kept open (the engine keeps 3 files by default)."""

_QUERY_CACHE = {"max_entries": 512, "ttl": 3600, "show_spinner": False}


@dataclass(frozen=True)
class SnapshotInfo:
    """The snapshot a page reads: its file (the cache key of every query) and its times."""

    path: str
    published_at: datetime
    as_of: datetime | None

    @property
    def as_of_day(self) -> date | None:
        """The UTC day of :attr:`as_of` (None before the first metrics run)."""
        return self.as_of.date() if self.as_of else None


def _close(snapshot: Snapshot) -> None:
    snapshot.connection.close()


@st.cache_resource(max_entries=CACHED_CONNECTIONS, on_release=_close, show_spinner=False)
def _open(path: str) -> Snapshot:
    return open_snapshot(Path(path))


def current_snapshot(directory: Path) -> SnapshotInfo:
    """The snapshot ``directory/CURRENT`` names; NoSnapshot when nothing was published yet."""
    snapshot = read_current(directory, lambda path: _open(str(path)))
    return SnapshotInfo(str(snapshot.path), snapshot.published_at, snapshot.as_of)


def _frame(path: str, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    cursor = _open(path).connection.cursor()
    try:
        return cursor.sql(sql, params=params).to_arrow_table().to_pandas()
    finally:
        cursor.close()


_LATEST_PROFILE = """
SELECT vendor_id, name, service, tier FROM profile_terms
QUALIFY row_number() OVER (PARTITION BY vendor_id ORDER BY valid_from DESC, occurred_at DESC) = 1
"""


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def vendor_board(path: str, as_of_day: date | None) -> pd.DataFrame:
    """One row per vendor, sorted by backsourcing score (highest first, unscored last):
    current profile, ``status`` (breach / warn / silent / no data / ok, in that precedence),
    the latest scores and two sparklines of the 30 days up to ``as_of_day``
    (``latency_p95_trend``, ``backsourcing_trend``; a day without data is a gap)."""
    return _frame(
        path,
        f"""
        WITH vendors AS (
            SELECT vendor_id FROM profile_terms UNION SELECT vendor_id FROM vendor_status
            UNION SELECT DISTINCT vendor_id FROM vendor_scores
        ),
        profile AS ({_LATEST_PROFILE}),
        latest AS (
            SELECT vendor_id, day AS scored_day, quality_score, security_score, cost_score,
                backsourcing_score
            FROM vendor_scores
            QUALIFY row_number() OVER (PARTITION BY vendor_id ORDER BY day DESC) = 1
        ),
        firing AS (
            SELECT vendor_id, count(*) AS firing_alerts,
                bool_or(severity = 'critical') AS critical
            FROM alerts WHERE state = 'firing' GROUP BY vendor_id
        ),
        window_days AS (SELECT CAST($as_of AS DATE) - 29 AS first, CAST($as_of AS DATE) AS last),
        latency AS (
            SELECT vendor_id, list(latency_p95_ms ORDER BY day) AS latency_p95_trend
            FROM vendor_daily, window_days WHERE day BETWEEN first AND last GROUP BY vendor_id
        ),
        backsourcing AS (
            SELECT vendor_id, list(backsourcing_score ORDER BY day) AS backsourcing_trend
            FROM vendor_scores, window_days WHERE day BETWEEN first AND last GROUP BY vendor_id
        )
        SELECT v.vendor_id, p.name, p.service, p.tier,
            CASE WHEN f.critical THEN 'breach'
                 WHEN f.firing_alerts > 0 THEN 'warn'
                 WHEN s.reporting_status = 'silent' THEN 'silent'
                 WHEN s.reporting_status = 'no_data' OR s.reporting_status IS NULL
                      OR l.scored_day IS NULL THEN 'no data'
                 ELSE 'ok' END AS status,
            coalesce(f.firing_alerts, 0) AS firing_alerts,
            l.quality_score, l.security_score, l.cost_score, l.backsourcing_score, l.scored_day,
            lat.latency_p95_trend, b.backsourcing_trend,
            s.reporting_status, s.last_response_at
        FROM vendors v
        LEFT JOIN profile p USING (vendor_id)
        LEFT JOIN latest l USING (vendor_id)
        LEFT JOIN firing f USING (vendor_id)
        LEFT JOIN vendor_status s USING (vendor_id)
        LEFT JOIN latency lat USING (vendor_id)
        LEFT JOIN backsourcing b USING (vendor_id)
        ORDER BY l.backsourcing_score DESC NULLS LAST, v.vendor_id
        """,
        {"as_of": as_of_day},
    )


_ALERT_COLUMNS = """a.vendor_id, p.name, p.tier, a.rule, a.metric, a.grain, a.state, a.severity,
    a.period, a.value, a.warn, a.critical, a.reason, a.since, a.changed_at, a.acked_by, a.acked_at,
    a.ack_comment, a.muted_by, a.last_notified_at, a.alert_id, a.policy_version"""


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def alert_states(path: str) -> pd.DataFrame:
    """Every (vendor, rule) ever alerted with its current state and a ``board`` column:
    ``active`` (firing, not acknowledged, not silenced), ``acknowledged`` (firing, acknowledged),
    ``silenced`` (muted by a silence or window) or ``cleared``; critical first, then oldest."""
    return _frame(
        path,
        f"""
        WITH profile AS ({_LATEST_PROFILE})
        SELECT {_ALERT_COLUMNS},
            CASE WHEN a.muted_by IS NOT NULL THEN 'silenced'
                 WHEN a.state = 'firing' AND a.acked_by IS NOT NULL THEN 'acknowledged'
                 WHEN a.state = 'firing' THEN 'active'
                 ELSE 'cleared' END AS board
        FROM alerts a LEFT JOIN profile p USING (vendor_id)
        ORDER BY a.severity = 'critical' DESC, a.severity = 'warn' DESC, a.since, a.vendor_id,
            a.rule
        """,
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def alert_history(path: str, vendor_id: str | None, limit: int) -> pd.DataFrame:
    """Alert transitions (``alert_log``), newest first, with their ``evidence`` JSON text;
    of one vendor, or of all when ``vendor_id`` is None."""
    return _frame(
        path,
        """SELECT alert_id, vendor_id, rule, metric, grain, period, state, severity, value,
            warn, critical, clear, reason, policy_version, recorded_at, evidence
        FROM alert_log WHERE $vendor IS NULL OR vendor_id = $vendor
        ORDER BY recorded_at DESC, period DESC, alert_id LIMIT $limit""",
        {"vendor": vendor_id, "limit": limit},
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def notifications(path: str, limit: int) -> pd.DataFrame:
    """Messages to people and systems with their delivery status, newest first."""
    return _frame(
        path,
        """SELECT created_at, channel, vendor_id, kind, status, attempts, delivered_at,
            next_attempt_at, last_error, summary, array_to_string(alert_ids, ', ') AS alert_ids,
            notification_id
        FROM notifications ORDER BY created_at DESC, notification_id LIMIT $limit""",
        {"limit": limit},
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def silences(path: str) -> pd.DataFrame:
    """Silences and maintenance windows not removed, newest first."""
    return _frame(
        path,
        """SELECT silence_id, vendor_id, rule, severity, tier, starts_at, ends_at,
            array_to_string(days, ',') AS days, window_start, window_end, tz, created_by,
            created_at, comment
        FROM silences WHERE removed_at IS NULL ORDER BY created_at DESC, silence_id""",
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def vendor_profile(path: str, vendor_id: str) -> pd.DataFrame:
    """The vendor's profiles, newest first, each with the interval it was in force
    (``valid_to`` missing: still in force), its contract terms and derived dates."""
    return _frame(
        path,
        """SELECT name, service, tier, valid_from,
            CASE WHEN isinf(valid_to) THEN NULL ELSE valid_to END AS valid_to,
            contract_start_date, contract_end_date, notice_period_days, notice_deadline, act_by,
            auto_renew, monthly_fee, contract_currency, termination_fee, sla_latency_p95_ms,
            sla_success_rate_min, sla_defects_per_1k_max, sla_service_credit_pct,
            insourcing_monthly_cost, insourcing_one_time_cost, insourcing_lead_time_days,
            insourcing_currency, event_id
        FROM profile_terms WHERE vendor_id = $vendor ORDER BY valid_from DESC""",
        {"vendor": vendor_id},
    )


_DAILY_COLUMNS = ", ".join(
    dict.fromkeys(
        [
            *("status", "responses", "defects_opened", "open_critical_incidents"),
            "records_exposed",
            *(column for kind in KINDS for spec in kind.charts for column in spec.series),
        ]
    )
)


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def vendor_daily(path: str, vendor_id: str, since: date | None) -> pd.DataFrame:
    """The vendor's daily figures from ``since`` (all when None): the columns the registered
    kinds' charts draw, and more; ``day`` is the UTC day's start as a UTC instant, for charts."""
    return _frame(
        path,
        f"""SELECT timezone('UTC', CAST(day AS TIMESTAMP)) AS day, {_DAILY_COLUMNS}
        FROM vendor_daily WHERE vendor_id = $vendor AND ($since IS NULL OR day >= $since)
        ORDER BY day""",
        {"vendor": vendor_id, "since": since},
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def vendor_costs(path: str, vendor_id: str) -> pd.DataFrame:
    """Per month: the invoiced amount, net effective cost, contracted fee and the in-house
    estimate in force (only when in the contract's currency), all ``Decimal``."""
    return _frame(
        path,
        """SELECT timezone('UTC', CAST(m.month AS TIMESTAMP)) AS month, m.currency,
            m.invoiced_amount, m.net_effective_cost, m.contracted_fee, m.service_credit_due,
            CASE WHEN p.insourcing_currency = m.currency THEN p.insourcing_monthly_cost END
                AS inhouse_monthly_cost,
            m.variance_pct, m.cost_status
        FROM vendor_monthly m
        LEFT JOIN profile_terms p ON p.event_id = m.profile_event_id
        WHERE m.vendor_id = $vendor ORDER BY m.month""",
        {"vendor": vendor_id},
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def rule_thresholds(path: str, vendor_id: str) -> pd.DataFrame:
    """Per rule judged for the vendor: its metric, grain and latest warn/critical/clear."""
    return _frame(
        path,
        """SELECT rule, metric, grain, warn, critical, clear, policy_version
        FROM rule_steps WHERE vendor_id = $vendor
        QUALIFY row_number() OVER (PARTITION BY rule ORDER BY period DESC) = 1
        ORDER BY rule""",
        {"vendor": vendor_id},
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def breach_periods(path: str, vendor_id: str) -> pd.DataFrame:
    """Runs of consecutive firing periods per rule as [``start``, ``end``) UTC instants, with
    the worst severity of the run."""
    return _frame(
        path,
        """
        WITH firing AS (
            SELECT rule, metric, grain, period, severity,
                CASE WHEN grain = 'month' THEN date_diff('month', DATE '2000-01-01', period)
                     ELSE date_diff('day', DATE '2000-01-01', period) END
                - row_number() OVER (PARTITION BY rule ORDER BY period) AS run
            FROM rule_steps WHERE vendor_id = $vendor AND state = 'firing'
        )
        SELECT rule, metric, grain,
            timezone('UTC', CAST(min(period) AS TIMESTAMP)) AS start,
            timezone('UTC', CAST(CASE WHEN grain = 'month' THEN max(period) + INTERVAL 1 MONTH
                 ELSE max(period) + INTERVAL 1 DAY END AS TIMESTAMP)) AS "end",
            CASE WHEN bool_or(severity = 'critical') THEN 'critical' ELSE 'warn' END AS severity
        FROM firing GROUP BY rule, metric, grain, run ORDER BY start
        """,
        {"vendor": vendor_id},
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def explanation(path: str, vendor_id: str, day: date) -> list[str] | None:
    """``vendorwatch explain``'s lines for the vendor as of ``day``; None without scores."""
    cursor = _open(path).connection.cursor()
    try:
        return explain_vendor(cursor, vendor_id, day)
    finally:
        cursor.close()
