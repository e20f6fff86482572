"""Deciding who is told what: from ``alert_log`` to messages in the outbox.

:func:`plan_notifications` runs inside the metrics run's transaction, right after the rules
recorded their transitions, so a state change and the messages it causes commit together (the
outbox): a crash loses neither, and never one without the other. Contract, per (vendor, rule):

* **Level, not edge.** The alert's state is its latest transition in ``alert_log``; people are
  told when it differs from what they were last told (``notified_*``). A first run over years
  of history therefore sends the current state once, not every old transition, and an alert
  that fired and cleared before anyone was told is not announced at all.
* **Dedup.** One state is told once per channel; re-evaluations of an unchanged state say
  nothing.
* **Grouping.** Every alert of one vendor told in one pass goes in one message per channel.
* **Repeat.** A firing alert nobody acknowledged is re-sent every ``repeat_interval``.
* **Resolve.** A notified alert that clears is told as resolved (``send_resolved``).
* **Acknowledge** stops repeats until the state changes (any new transition clears it).
* **Retired rules:** an alert whose rule the policy in force no longer has is not repeated
  (nothing will ever judge it again, so it would remind forever); it stays in ``alerts``.
* **Silences and maintenance windows** hold messages back while active; an alert that changed
  meanwhile is told when the mute ends if its state still differs from what was told.
* **Routes** choose channels by vendor, tier, rule and severity; an alert no route matches
  stays untold (and is told if a route is added while it still matters).
* The alerts topic (``publish_topic``) carries every state change, one event per alert,
  regardless of routes, mutes and acknowledgements.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import orjson

from alerting.config import TOPIC_CHANNEL, AlertingSettings
from alerting.mutes import load_mutes, muted_by
from alerting.payload import AlertNews, Change, VendorInfo, notification_id, render
from alerting.tables import DDL
from metrics import policy_history, rules
from metrics.policy import Policy

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


def alert_rows(
    con: duckdb.DuckDBPyConnection, where: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    """Alert states with their latest transition and the vendor's current profile."""
    result = con.execute(f"{_ALERT_ROWS} WHERE {where} ORDER BY s.vendor_id, s.rule", params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


_RANK = {None: 0, "warn": 1, "critical": 2}


@dataclass(frozen=True)
class PlanOutcome:
    """What one planning pass decided."""

    messages: int
    published: int
    held: int


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


def news_of(row: dict[str, Any], change: Change) -> AlertNews:
    evidence = orjson.loads(row["evidence"])
    limits = evidence.get("thresholds", {})
    return AlertNews(
        alert_id=row["alert_id"],
        vendor_id=row["vendor_id"],
        rule=row["rule"],
        metric=row["metric"],
        grain=row["grain"],
        period=row["period"].isoformat(),
        state=row["state"],
        severity=row["severity"],
        change=change,
        value=row["value"],
        thresholds={k: limits.get(k) for k in ("direction", "warn", "critical", "clear")},
        policy_version=row["policy_version"],
        reason=row["reason"],
        since=row["since"],
        acknowledged_by=row["acked_by"],
        values=evidence.get("values", []),
    )


def vendor_of(row: dict[str, Any]) -> VendorInfo:
    return VendorInfo(row["vendor_id"], row["name"], row["tier"], row["service"])


def enqueue(
    con: duckdb.DuckDBPyConnection,
    settings: AlertingSettings,
    channel: str,
    vendor: VendorInfo,
    news: list[AlertNews],
    now: datetime,
) -> None:
    """Put one message in the outbox (once: the same news at the same instant is one row)."""
    identity = notification_id(channel, vendor.vendor_id, news, now)
    body = render(identity=identity, vendor=vendor, news=news, created_at=now, links=settings.link)
    con.execute(
        """INSERT INTO notification_outbox VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, NULL,
            NULL) ON CONFLICT DO NOTHING""",
        [
            identity,
            channel,
            vendor.vendor_id,
            orjson.loads(body)["kind"],
            [n.alert_id for n in news],
            now,
            body,
            now,
        ],
    )


def plan_notifications(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    settings: AlertingSettings,
    policy: Policy | None = None,
) -> PlanOutcome:
    """One planning pass at ``now`` (see the module docstring); the caller owns the
    transaction. ``policy``: the one in force at ``now`` (default: read from
    ``policy_history``; none recorded: every rule counts as in force)."""
    ensure_tables(con)
    con.execute(_SYNC)
    rows = alert_rows(con, _CANDIDATES)
    if policy is None:
        timeline = policy_history.policy_timeline(con)
        policy = timeline.at(now.timestamp()) if timeline.policies else None
    in_force = policy.alert_names() if policy is not None else None
    mutes = load_mutes(con, now)
    messages: dict[tuple[str, str], list[AlertNews]] = defaultdict(list)
    vendors: dict[str, VendorInfo] = {}
    told: list[dict[str, Any]] = []
    published = held = 0
    for row in rows:
        vendor, rule = row["vendor_id"], row["rule"]
        mute = muted_by(
            mutes, now, vendor_id=vendor, rule=rule, severity=row["severity"], tier=row["tier"]
        )
        if mute != row["muted_by"]:
            con.execute(
                "UPDATE alert_state SET muted_by = ? WHERE vendor_id = ? AND rule = ?",
                [mute, vendor, rule],
            )
        if row["alert_id"] != row["published_alert_id"]:
            published += _publish(con, settings, row, now)
        change: Change | None = None
        if row["alert_id"] != row["notified_alert_id"]:
            change = change_since(
                row["state"], row["severity"], row["notified_state"], row["notified_severity"]
            )
            if change == "resolved" and not settings.send_resolved:
                change = None
            if change is None:  # nothing people need to hear: remember the state silently
                _mark_told(con, row, now=None)
                continue
        elif _repeat_due(row, now, settings) and (in_force is None or rule in in_force):
            change = "repeat"
        if change is None:
            continue
        if mute is not None:
            held += 1
            continue
        channels = settings.channels_for(
            vendor_id=vendor, tier=row["tier"], rule=rule, severity=row["severity"]
        )
        if not channels:
            continue
        vendors[vendor] = vendor_of(row)
        for channel in channels:
            messages[(vendor, channel)].append(news_of(row, change))
        told.append(row)
    for (vendor, channel), news in messages.items():
        enqueue(con, settings, channel, vendors[vendor], news, now)
    for row in told:
        _mark_told(con, row, now=now)
    return PlanOutcome(messages=len(messages), published=published, held=held)


def _repeat_due(row: dict[str, Any], now: datetime, settings: AlertingSettings) -> bool:
    last = row["last_notified_at"]
    return (
        row["state"] == "firing"
        and row["notified_state"] == "firing"
        and row["acked_by"] is None
        and last is not None
        and last + settings.repeat_interval <= now
    )


def _mark_told(con: duckdb.DuckDBPyConnection, row: dict[str, Any], now: datetime | None) -> None:
    """Record the current state as told; ``now`` None: nothing was sent (keep the last time)."""
    con.execute(
        """UPDATE alert_state SET notified_alert_id = ?,
            last_notified_at = coalesce(?, last_notified_at)
        WHERE vendor_id = ? AND rule = ?""",
        [row["alert_id"], now, row["vendor_id"], row["rule"]],
    )


def _publish(
    con: duckdb.DuckDBPyConnection, settings: AlertingSettings, row: dict[str, Any], now: datetime
) -> int:
    change = change_since(
        row["state"], row["severity"], row["published_state"], row["published_severity"]
    )
    if settings.publish_topic and change is not None:
        enqueue(con, settings, TOPIC_CHANNEL, vendor_of(row), [news_of(row, change)], now)
    con.execute(
        "UPDATE alert_state SET published_alert_id = ? WHERE vendor_id = ? AND rule = ?",
        [row["alert_id"], row["vendor_id"], row["rule"]],
    )
    return int(settings.publish_topic and change is not None)
