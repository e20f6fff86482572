"""Data for the Data quality and Rules pages: the engine's own health, over the snapshot.

Same contract as :mod:`dashboard.data` (whose connection cache it shares): snapshot path
first, cached per path and parameters, parameterized SQL on a cursor of its own.

* dead letters (:func:`dead_letter_reasons`, :func:`dead_letters`, :func:`dead_letter_raw`):
  the snapshot holds the first ``RAW_PREVIEW_BYTES`` of each record, never the whole;
* consumer lag: :func:`consumer_offsets` is what the engine has stored (the next offset per
  topic and partition); :func:`end_offsets` asks Kafka, read-only, with a short timeout and a
  10-second cache, and returns an :class:`EndOffsets` with ``error`` set instead of raising;
* :func:`backtest` replays one rule of a policy read-only on the snapshot (temporary tables
  only, on the query's own cursor). The snapshot has no raw response events, so SLO
  burn-rate alerts cannot be replayed (see ``SLO_NOTE``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import streamlit as st

from dashboard.data import _LATEST_PROFILE, _frame, _open
from dashboard.settings import DashboardConfig
from ingest.connection import kafka_client_options
from metrics.backtest import BacktestReport
from metrics.backtest import backtest as run_backtest
from metrics.policy import Policy

KAFKA_TIMEOUT_MS = 1500
LAG_CACHE_SECONDS = 10
SLO_NOTE = (
    "SLO burn-rate alerts are not replayed: they need the raw response events, which the "
    "read model does not hold."
)
_QUERY_CACHE = {"max_entries": 256, "ttl": 3600, "show_spinner": False}


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def dead_letter_reasons(path: str) -> pd.DataFrame:
    """Dead letters grouped by topic, the field named in the reason (``(record)`` when the
    reason names none, e.g. not UTF-8) and reason: count, first and last received; newest
    group first."""
    return _frame(
        path,
        """SELECT topic,
            CASE WHEN regexp_matches(reason, '^[A-Za-z_][\\w.\\[\\]]*: ')
                 THEN split_part(reason, ':', 1) ELSE '(record)' END AS field,
            reason, count(*) AS dead_letters, min(received_at) AS first_received,
            max(received_at) AS last_received
        FROM dead_letters GROUP BY ALL ORDER BY last_received DESC, dead_letters DESC, reason""",
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def dead_letters(path: str, limit: int) -> pd.DataFrame:
    """The newest ``limit`` dead letters (no bytes): where they were, why, the key as text,
    the record's size."""
    return _frame(
        path,
        """SELECT received_at, topic, "partition", "offset", reason,
            CAST(key AS VARCHAR) AS key, raw_bytes
        FROM dead_letters ORDER BY received_at DESC, topic, "partition", "offset" DESC
        LIMIT $limit""",
        {"limit": limit},
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def dead_letter_raw(path: str, topic: str, partition: int, offset: int) -> bytes | None:
    """The stored preview (first bytes) of one dead letter's raw value; None without one."""
    frame = _frame(
        path,
        """SELECT raw_preview FROM dead_letters
        WHERE topic = $topic AND "partition" = $partition AND "offset" = $offset LIMIT 1""",
        {"topic": topic, "partition": partition, "offset": offset},
    )
    if frame.empty or frame["raw_preview"].iloc[0] is None:
        return None
    return bytes(frame["raw_preview"].iloc[0])


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def consumer_offsets(path: str) -> pd.DataFrame:
    """The next offset the engine will read per topic and partition, and when it stored it."""
    return _frame(
        path,
        """SELECT topic, "partition", next_offset, updated_at FROM consumer_offsets
        ORDER BY topic, "partition"
        """,
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def last_events(path: str) -> pd.DataFrame:
    """Per vendor and event type: events stored, the last one's time and when it arrived."""
    return _frame(
        path,
        f"""WITH profile AS ({_LATEST_PROFILE})
        SELECT e.vendor_id, p.name, e.type, e.events, e.last_at, e.last_ingested_at
        FROM last_events e LEFT JOIN profile p USING (vendor_id)
        ORDER BY e.vendor_id, e.type""",
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def quiet_vendors(path: str) -> pd.DataFrame:
    """Vendors not reporting (``silent`` or ``no_data`` in ``vendor_status``), the longest
    quiet first, with the hours since their last response."""
    return _frame(
        path,
        f"""WITH profile AS ({_LATEST_PROFILE})
        SELECT s.vendor_id, p.name, p.tier, s.reporting_status, s.last_response_at,
            s.hours_since_last_response, s.last_event_at
        FROM vendor_status s LEFT JOIN profile p USING (vendor_id)
        WHERE s.reporting_status <> 'reporting'
        ORDER BY s.reporting_status = 'silent' DESC, s.hours_since_last_response DESC NULLS LAST,
            s.vendor_id""",
    )


@dataclass(frozen=True)
class EndOffsets:
    """Kafka's end offsets by (topic, partition), or the reason they are unknown."""

    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    error: str | None = None


@st.cache_data(ttl=LAG_CACHE_SECONDS, max_entries=16, show_spinner=False)
def end_offsets(
    _settings: DashboardConfig, bootstrap: str, partitions: tuple[tuple[str, int], ...]
) -> EndOffsets:
    """Ask Kafka for the end offsets of ``partitions`` (read-only: no group, no commit).
    ``bootstrap`` is the cache key (the settings, with their secrets, are not hashed)."""
    if not partitions:
        return EndOffsets()
    from kafka import KafkaConsumer, TopicPartition
    from kafka.errors import KafkaError

    try:
        consumer = KafkaConsumer(
            **kafka_client_options(_settings),
            enable_auto_commit=False,
            request_timeout_ms=KAFKA_TIMEOUT_MS + 500,
            bootstrap_timeout_ms=KAFKA_TIMEOUT_MS,
        )
    except KafkaError as exc:
        return EndOffsets(error=f"broker unreachable ({type(exc).__name__}) at {bootstrap}")
    try:
        wanted = [TopicPartition(t, p) for t, p in partitions]
        found = consumer.end_offsets(wanted, timeout_ms=KAFKA_TIMEOUT_MS)
        return EndOffsets({(tp.topic, tp.partition): int(o) for tp, o in found.items()})
    except KafkaError as exc:
        return EndOffsets(error=f"broker unreachable ({type(exc).__name__}) at {bootstrap}")
    finally:
        consumer.close()


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def policy_versions(path: str) -> pd.DataFrame:
    """Every recorded policy version, the one in force first (latest ``effective_from``),
    with its validated content (JSON) and where it came from (``file``, ``control:<id>``)."""
    return _frame(
        path,
        """SELECT version, label, source, effective_from, recorded_at, content
        FROM policy_history ORDER BY effective_from DESC, recorded_at DESC""",
    )


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def live_firings(path: str, start: date, end: date) -> pd.DataFrame:
    """Transitions to firing the engine recorded (``rule_steps``) with a period in the range."""
    return _frame(
        path,
        """SELECT vendor_id, rule, period, severity FROM rule_steps
        WHERE changed AND state = 'firing' AND period BETWEEN $start AND $end
        ORDER BY vendor_id, period, rule""",
        {"start": start, "end": end},
    )


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Replaying the rule…")
def backtest(
    path: str, policy_json: str, rule: str, start: date, end: date, tz: str
) -> BacktestReport:
    """Replay rule ``rule`` of the policy (its validated JSON) over ``[start, end]`` on the
    snapshot, read-only. Only that rule is replayed (rules are judged independently, so its
    alerts are those the whole policy would raise for it; SLOs are left out, see
    ``SLO_NOTE``): a tenth of the work of replaying the whole policy."""
    policy = Policy.model_validate_json(policy_json)
    alone = policy.model_copy(update={"rules": {rule: policy.rules[rule]}, "slo": {}})
    cursor = _open(path).connection.cursor()
    try:
        return run_backtest(cursor, alone, start=start, end=end, tz=tz)
    finally:
        cursor.close()
