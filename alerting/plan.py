"""The plan stage: from ``alert_log`` to candidate notifications.

Contract, per (vendor, rule):

* **Level, not edge.** The alert's state is its latest transition in ``alert_log`` (synced
  into ``alert_state``); people are told when it differs from what they were last told
  (``notified_*``). A first run over years of history therefore sends the current state once,
  not every old transition, and an alert that fired and cleared before anyone was told is not
  announced at all (it is remembered as told, silently).
* **Dedup.** One state is told once; re-evaluations of an unchanged state say nothing.
* **Repeat.** A firing alert is due a reminder every ``repeat_interval`` after it was last
  told (whether an acknowledgement stops it is the mute stage's call).
* **Resolve.** A notified alert that clears is told as resolved (``send_resolved``).
* **Retired rules:** an alert whose rule the policy in force no longer has is not repeated
  (nothing will ever judge it again, so it would remind forever); it stays in ``alerts``.
* **The alerts topic** (``publish_topic``) gets a ``feed`` candidate for every state change,
  compared with what the topic last carried (``published_*``).
"""

from __future__ import annotations

from typing import Any, Literal

import duckdb

from alerting.payload import AlertNews, Change, VendorInfo
from alerting.pipeline import AlertRow, Batch, Candidate
from alerting.tables import DDL
from metrics import policy_history, rules
from metrics.evidence_model import parse_evidence

_LATEST = """
SELECT * FROM alert_log
QUALIFY row_number() OVER (
    PARTITION BY vendor_id, rule ORDER BY period DESC, recorded_at DESC, alert_id DESC) = 1
"""

# A new latest transition replaces the state; a firing one after none or a resolution opens a
# new episode; any change clears the acknowledgement.
_SYNC = f"""
INSERT INTO alert_state (vendor_id, rule, alert_id, episode_id, state, severity, period, since,
    changed_at)
SELECT l.vendor_id, l.rule, l.alert_id,
    CASE WHEN l.state = 'firing' AND coalesce(s.state, 'resolved') = 'resolved'
        THEN l.alert_id ELSE coalesce(s.episode_id, l.alert_id) END,
    l.state, l.severity, l.period,
    CASE WHEN l.state = 'firing' AND coalesce(s.state, 'resolved') = 'resolved'
        THEN l.recorded_at ELSE coalesce(s.since, l.recorded_at) END,
    l.recorded_at
FROM ({_LATEST}) l LEFT JOIN alert_state s USING (vendor_id, rule)
WHERE s.alert_id IS DISTINCT FROM l.alert_id
ON CONFLICT (vendor_id, rule) DO UPDATE SET
    alert_id = excluded.alert_id, episode_id = excluded.episode_id, state = excluded.state,
    severity = excluded.severity, period = excluded.period, since = excluded.since,
    changed_at = excluded.changed_at, acked_by = NULL, acked_at = NULL, ack_comment = NULL
"""

# The state, what was last told (``n``) and last published (``pb``), and the current profile.
_ALERT_ROWS = """
SELECT s.*, l.metric, l.grain, l.value, l.reason, l.policy_version, l.evidence,
    n.state AS notified_state, n.severity AS notified_severity,
    pb.state AS published_state, pb.severity AS published_severity,
    p.name, p.tier, p.service
FROM alert_state s
JOIN alert_log l ON l.alert_id = s.alert_id
LEFT JOIN alert_log n ON n.alert_id = s.notified_alert_id
LEFT JOIN alert_log pb ON pb.alert_id = s.published_alert_id
LEFT JOIN profile_terms p ON p.vendor_id = s.vendor_id AND p.valid_to = 'infinity'::TIMESTAMPTZ
"""

# The alerts that may need a word: firing ones (repeats, mutes) and any not yet told.
_CANDIDATES = """s.state = 'firing' OR s.muted_by IS NOT NULL
    OR s.alert_id IS DISTINCT FROM s.notified_alert_id
    OR s.alert_id IS DISTINCT FROM s.published_alert_id"""

_RANK = {None: 0, "warn": 1, "critical": 2}
_OBJECTS = ("alert_log", "alert_state", "notification_outbox", "delivery_attempts", "silences")
_VIEWS = ("alerts", "notifications")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Alerting's tables and views, and ``alert_log`` they read (if no metrics run created it
    yet). Called on every planning pass and command, it writes the catalog only when something
    is missing, so it never conflicts with another thread's transaction."""
    (present,) = con.execute(
        """SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name IN ?)
            + (SELECT count(*) FROM duckdb_views() WHERE view_name IN ?)""",
        [list(_OBJECTS), list(_VIEWS)],
    ).fetchall()[0]
    if present == len(_OBJECTS) + len(_VIEWS):
        return
    for statement in (*rules.DDL, *DDL):
        con.execute(statement)


def alert_rows(
    con: duckdb.DuckDBPyConnection, where: str, params: list[Any] | None = None
) -> list[AlertRow]:
    """Alert states with their latest transition and the vendor's current profile."""
    result = con.execute(f"{_ALERT_ROWS} WHERE {where} ORDER BY s.vendor_id, s.rule", params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


def change_since(
    state: str, severity: str | None, told_state: str | None, told_severity: str | None
) -> Change | None:
    """What is new compared with what was last told; None if nothing worth a word."""
    if state == "resolved":
        return "resolved" if told_state == "firing" else None
    if told_state != "firing":
        return "new"
    if _RANK[severity] > _RANK[told_severity]:
        return "escalated"
    if _RANK[severity] < _RANK[told_severity]:
        return "deescalated"
    return None


def news_of(row: AlertRow, change: Change) -> AlertNews:
    """The alert as a notification tells it; its evidence parsed once, here."""
    return AlertNews(
        **{name: row[name] for name in _AS_STORED},
        period=row["period"].isoformat(),
        change=change,
        acknowledged_by=row["acked_by"],
        evidence=parse_evidence(row["evidence"]),
    )


_AS_STORED = (
    "alert_id", "vendor_id", "rule", "metric", "grain", "state", "severity", "value",
    "policy_version", "reason", "since",
)  # fmt: skip
"""The news' fields read from the alert's row under the same name."""


def vendor_of(row: AlertRow) -> VendorInfo:
    return VendorInfo(row["vendor_id"], row["name"], row["tier"], row["service"])


def plan(con: duckdb.DuckDBPyConnection, batch: Batch) -> Batch:
    """The plan stage (see the module docstring): sync ``alert_state``, then one candidate per
    alert with something to say to people, and one ``feed`` candidate per change the alerts
    topic has not carried. The caller owns the transaction."""
    ensure_tables(con)
    con.execute(_SYNC)
    rows = alert_rows(con, _CANDIDATES)
    settings, now, policy = batch.settings, batch.now, batch.policy
    if policy is None:
        timeline = policy_history.policy_timeline(con)
        policy = timeline.at(now.timestamp()) if timeline.policies else None
    in_force = policy.alert_names() if policy is not None else None
    candidates: list[Candidate] = []
    for row in rows:
        if row["alert_id"] != row["published_alert_id"]:
            published = change_since(
                row["state"], row["severity"], row["published_state"], row["published_severity"]
            )
            if settings.publish_topic and published is not None:
                candidates.append(Candidate(row, published, feed=True))
            _remember(con, row, "published_alert_id")
        change: Change | None = None
        if row["alert_id"] != row["notified_alert_id"]:
            change = change_since(
                row["state"], row["severity"], row["notified_state"], row["notified_severity"]
            )
            if change == "resolved" and not settings.send_resolved:
                change = None
            if change is None:  # nothing people need to hear: remember the state silently
                _remember(con, row, "notified_alert_id")
                continue
        elif _repeat_due(row, batch) and (in_force is None or row["rule"] in in_force):
            change = "repeat"
        if change is not None:
            candidates.append(Candidate(row, change))
    return batch.with_(policy=policy, alerts=tuple(rows), candidates=tuple(candidates))


def _repeat_due(row: AlertRow, batch: Batch) -> bool:
    last = row["last_notified_at"]
    return (
        row["state"] == "firing"
        and row["notified_state"] == "firing"
        and last is not None
        and last + batch.settings.repeat_interval <= batch.now
    )


def _remember(
    con: duckdb.DuckDBPyConnection,
    row: AlertRow,
    column: Literal["notified_alert_id", "published_alert_id"],
) -> None:
    """Record the current state as told (``notified_alert_id``, keeping the last time told) or
    as carried by the topic (``published_alert_id``) — without a message."""
    con.execute(
        f"UPDATE alert_state SET {column} = ? WHERE vendor_id = ? AND rule = ?",
        [row["alert_id"], row["vendor_id"], row["rule"]],
    )
