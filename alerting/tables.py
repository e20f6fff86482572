"""Alerting's tables and its two query views, ``alerts`` and ``notifications``.

None of these is a projection: ``rebuild`` never drops them. They hold what people were told
and what they asked for, which no recomputation can reproduce.

* ``alert_state`` — one row per (vendor, rule) ever in ``alert_log``: the latest transition
  (``alert_id``) and the firing episode it belongs to, what people were last told
  (``notified_alert_id``: that transition's state and severity are in ``alert_log``), what the
  alerts topic last carried (``published_alert_id``), the
  acknowledgement of the current state and the silence muting it now (``muted_by``).
* ``notification_outbox`` — every planned message, written in the transaction that decided it:
  one row per (message, channel), with the exact body to send, its ``status``
  (``pending`` → ``delivered`` | ``dead``), attempts and the next attempt time.
* ``delivery_attempts`` — every attempt: when, outcome, detail (HTTP status, SMTP reply, error).
* ``silences`` — silences with expiry and recurring maintenance windows (``days`` set), each
  from a control command; ``removed_at`` once unsilenced.
"""

from __future__ import annotations

DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS alert_state (
    vendor_id VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    alert_id VARCHAR NOT NULL,
    episode_id VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    severity VARCHAR,
    period DATE NOT NULL,
    since TIMESTAMPTZ NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    notified_alert_id VARCHAR,
    last_notified_at TIMESTAMPTZ,
    published_alert_id VARCHAR,
    acked_by VARCHAR,
    acked_at TIMESTAMPTZ,
    ack_comment VARCHAR,
    muted_by VARCHAR,
    PRIMARY KEY (vendor_id, rule)
)""",
    """CREATE TABLE IF NOT EXISTS notification_outbox (
    notification_id VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    vendor_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    alert_ids VARCHAR[] NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    body VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error VARCHAR,
    delivered_at TIMESTAMPTZ,
    PRIMARY KEY (notification_id, channel)
)""",
    """CREATE TABLE IF NOT EXISTS delivery_attempts (
    notification_id VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    attempt INTEGER NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    seconds DOUBLE NOT NULL,
    outcome VARCHAR NOT NULL,
    detail VARCHAR NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS silences (
    silence_id VARCHAR PRIMARY KEY,
    vendor_id VARCHAR,
    rule VARCHAR,
    severity VARCHAR,
    tier VARCHAR,
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ,
    days VARCHAR[],
    window_start TIME,
    window_end TIME,
    tz VARCHAR,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    comment VARCHAR,
    removed_by VARCHAR,
    removed_at TIMESTAMPTZ
)""",
    # What fired, its current state, who acknowledged it and what mutes it.
    """CREATE OR REPLACE VIEW alerts AS
SELECT s.vendor_id, s.rule, l.metric, l.grain, s.state, s.severity, s.period,
    l.value, l.warn, l.critical, l.clear, l.reason, l.policy_version, s.since, s.changed_at,
    s.acked_by, s.acked_at, s.ack_comment, s.muted_by, s.last_notified_at,
    s.alert_id, s.episode_id, l.evidence
FROM alert_state s JOIN alert_log l ON l.alert_id = s.alert_id""",
    # Who was told what, through which channel, when, and how delivery went.
    """CREATE OR REPLACE VIEW notifications AS
SELECT o.notification_id, o.channel, o.vendor_id, o.kind, o.alert_ids, o.created_at,
    o.status, o.attempts, o.delivered_at, o.last_error, o.next_attempt_at,
    json_extract_string(o.body, '$.summary') AS summary
FROM notification_outbox o""",
)
