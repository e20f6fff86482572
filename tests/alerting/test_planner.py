"""Who is told what, and when: dedup, grouping, repeats, resolve, acknowledge, silences and
maintenance windows, routing — each with an injected clock, over alert transitions written
into a real store the way the rules write them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from alerting.config import TOPIC_CHANNEL
from metrics.policy import default_policy
from metrics.policy_history import record_policy
from tests.alerting.store import HOUR, T0, Alerts, alert_store, settings


@pytest.fixture
def alerts() -> Iterator[Alerts]:
    yield from alert_store()


D1, D2, D3 = date(2026, 10, 30), date(2026, 10, 31), date(2026, 11, 1)


def rules_of(message: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(a["rule"], a["change"], a["severity"]) for a in message["alerts"]]


def test_a_new_breach_is_told_once_and_unchanged_states_say_nothing(alerts: Alerts) -> None:
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    (message,) = alerts.plan(T0)
    assert message["channel"] == "ops"
    assert message["kind"] == "firing"
    assert message["vendor"]["vendor_id"] == "v1"
    assert rules_of(message) == [("latency_p95", "new", "warn")]
    assert message["alerts"][0]["thresholds"]["critical"] == 1500.0
    assert message["alerts"][0]["policy_version"] == "default@1"
    assert message["alerts"][0]["evidence_url"].endswith(
        "vendor_id=v1&alert_id=" + message["alerts"][0]["alert_id"]
    )
    assert alerts.plan(T0 + HOUR) == []  # dedup: re-evaluation of the same state
    assert alerts.plan(T0 + 2 * HOUR) == []


def test_simultaneous_breaches_of_one_vendor_are_one_message_per_channel(alerts: Alerts) -> None:
    alerts.config = settings(routes=[{"channels": ["ops", "managers"]}])
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    alerts.transition("v1", "success_rate", D1, "firing", "critical", T0)
    alerts.transition("v2", "latency_p95", D1, "firing", "warn", T0)
    messages = alerts.plan(T0)
    by_key = {(m["channel"], m["vendor"]["vendor_id"]): m for m in messages}
    assert sorted(by_key) == [("managers", "v1"), ("managers", "v2"), ("ops", "v1"), ("ops", "v2")]
    assert sorted(rules_of(by_key[("ops", "v1")])) == [
        ("latency_p95", "new", "warn"),
        ("success_rate", "new", "critical"),
    ]
    assert by_key[("ops", "v1")]["firing"] == 2
    assert "2 alerts firing" in by_key[("ops", "v1")]["summary"]


def test_repeats_while_firing_then_escalation_and_resolution(alerts: Alerts) -> None:
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    alerts.plan(T0)
    assert alerts.plan(T0 + 3 * HOUR) == []  # inside the repeat interval
    (repeat,) = alerts.plan(T0 + 4 * HOUR)
    assert repeat["kind"] == "repeat"
    assert rules_of(repeat) == [("latency_p95", "repeat", "warn")]
    assert alerts.plan(T0 + 5 * HOUR) == []  # the interval runs from the reminder
    alerts.transition("v1", "latency_p95", D2, "firing", "critical", T0 + 6 * HOUR)
    (escalated,) = alerts.plan(T0 + 6 * HOUR)
    assert rules_of(escalated) == [("latency_p95", "escalated", "critical")]
    alerts.transition("v1", "latency_p95", D3, "resolved", "critical", T0 + 7 * HOUR, value=800)
    (resolved,) = alerts.plan(T0 + 7 * HOUR)
    assert resolved["kind"] == "resolved"
    assert resolved["status"] == "resolved"
    assert rules_of(resolved) == [("latency_p95", "resolved", "critical")]
    assert alerts.plan(T0 + 20 * HOUR) == []  # no reminders for a resolved alert


def test_history_is_told_as_its_current_state_only(alerts: Alerts) -> None:
    """A first run over old history records many transitions; people hear the present."""
    alerts.transition("v1", "latency_p95", date(2026, 3, 1), "firing", "warn", T0)
    alerts.transition("v1", "latency_p95", date(2026, 3, 9), "resolved", "warn", T0)
    alerts.transition("v1", "latency_p95", date(2026, 6, 1), "firing", "critical", T0)
    alerts.transition("v2", "latency_p95", date(2026, 4, 1), "firing", "warn", T0)
    alerts.transition("v2", "latency_p95", date(2026, 4, 9), "resolved", "warn", T0)
    (message,) = alerts.plan(T0)
    assert message["vendor"]["vendor_id"] == "v1"  # v2 fired and cleared before anyone knew
    assert rules_of(message) == [("latency_p95", "new", "critical")]


def test_an_acknowledgement_stops_repeats_until_the_state_changes(alerts: Alerts) -> None:
    first = alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    alerts.plan(T0)
    assert alerts.command(
        T0 + HOUR, type="ack", vendor_id="v1", rule="latency_p95", comment="on it"
    ).startswith("applied")
    assert alerts.plan(T0 + 10 * HOUR) == []  # no reminder while acknowledged
    rows = alerts.con.execute("SELECT acked_by, ack_comment FROM alerts").fetchall()
    assert rows == [("sam", "on it")]
    alerts.transition("v1", "latency_p95", D2, "firing", "critical", T0 + 11 * HOUR)
    (escalated,) = alerts.plan(T0 + 11 * HOUR)
    assert rules_of(escalated) == [("latency_p95", "escalated", "critical")]
    assert escalated["alerts"][0]["acknowledged_by"] is None  # the change cleared the ack
    (repeat,) = alerts.plan(T0 + 15 * HOUR)
    assert repeat["kind"] == "repeat"
    stale = alerts.command(
        T0 + 16 * HOUR, type="ack", vendor_id="v1", rule="latency_p95", alert_id=first
    )
    assert stale.startswith("rejected: alert_id: the alert changed since")
    assert alerts.command(T0 + 16 * HOUR, type="ack", vendor_id="v1", rule="nope").startswith(
        "rejected: rule: no firing alert nope for v1"
    )


def test_a_silence_holds_news_back_until_it_expires(alerts: Alerts) -> None:
    detail = alerts.silence(
        T0,
        {"vendor_id": "v1"},
        ends_at=(T0 + 2 * HOUR).isoformat(),
        comment="vendor maintenance",
    )
    assert detail.startswith("applied: silence c0")
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    alerts.transition("v2", "latency_p95", D1, "firing", "warn", T0)
    (message,) = alerts.plan(T0)
    assert message["vendor"]["vendor_id"] == "v2"  # the silence matches v1 only
    muted = alerts.con.execute("SELECT muted_by FROM alerts WHERE vendor_id = 'v1'").fetchall()
    assert muted == [("c0",)]
    assert alerts.plan(T0 + HOUR) == []
    (late,) = alerts.plan(T0 + 2 * HOUR)  # expired: the held news is told now
    assert late["vendor"]["vendor_id"] == "v1"
    assert rules_of(late) == [("latency_p95", "new", "warn")]


def test_an_alert_that_fires_and_clears_under_a_silence_is_never_told(alerts: Alerts) -> None:
    alerts.silence(T0, {"rule": "latency_p95"}, ends_at="2026-11-03T00:00:00Z")
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    assert alerts.plan(T0) == []
    alerts.transition("v1", "latency_p95", D2, "resolved", "warn", T0 + HOUR)
    assert alerts.plan(T0 + HOUR) == []
    assert alerts.plan(datetime(2026, 11, 3, 1, tzinfo=UTC)) == []


def test_unsilence_ends_a_silence_now(alerts: Alerts) -> None:
    alerts.silence(T0, {"vendor_id": "v1"}, silence_id="s1", ends_at="2026-11-09T00:00:00Z")
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    assert alerts.plan(T0) == []
    assert alerts.command(T0 + HOUR, type="unsilence", silence_id="s1").startswith("applied")
    assert len(alerts.plan(T0 + HOUR)) == 1
    again = alerts.command(T0 + HOUR, type="unsilence", silence_id="s1")
    assert again == "rejected: silence_id: 's1' was removed already"


def test_a_weekly_maintenance_window_mutes_only_inside_it(alerts: Alerts) -> None:
    """Every Sunday 02:00-04:00 UTC; T0 is a Monday, so the next window is Nov 8th."""
    alerts.silence(
        T0,
        {"vendor_id": "v1"},
        silence_id="sunday-maintenance",
        every={"days": ["sun"], "start": "02:00", "end": "04:00", "tz": "UTC"},
    )
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    inside = datetime(2026, 11, 8, 2, 30, tzinfo=UTC)
    assert alerts.plan(inside) == []
    assert alerts.plan(datetime(2026, 11, 8, 3, 59, tzinfo=UTC)) == []
    (message,) = alerts.plan(datetime(2026, 11, 8, 4, 0, tzinfo=UTC))  # the window closed
    assert rules_of(message) == [("latency_p95", "new", "warn")]
    assert alerts.plan(datetime(2026, 11, 15, 3, 0, tzinfo=UTC)) == []  # repeat held next Sunday
    (repeat,) = alerts.plan(datetime(2026, 11, 15, 4, 0, tzinfo=UTC))
    assert repeat["kind"] == "repeat"


def test_a_maintenance_window_past_midnight_in_a_time_zone(alerts: Alerts) -> None:
    alerts.silence(
        T0,
        {"tier": "low"},
        every={"days": ["sat"], "start": "23:00", "end": "01:00", "tz": "Europe/Berlin"},
    )
    alerts.profile("v1", "low")
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    # Saturday Nov 7th 23:30 Berlin (CET, UTC+1) = 22:30 UTC; Sunday 00:30 Berlin = 23:30 UTC
    assert alerts.plan(datetime(2026, 11, 7, 22, 30, tzinfo=UTC)) == []
    assert alerts.plan(datetime(2026, 11, 7, 23, 30, tzinfo=UTC)) == []
    assert len(alerts.plan(datetime(2026, 11, 8, 0, 0, tzinfo=UTC))) == 1  # 01:00 Berlin


def test_routes_pick_channels_by_tier_and_severity(alerts: Alerts) -> None:
    alerts.config = settings(
        routes=[
            {"channels": ["ops"], "tiers": ["critical", "high"]},
            {"channels": ["managers"], "severities": ["critical"]},
        ]
    )
    alerts.profile("gold", "critical")
    alerts.profile("bronze", "low")
    alerts.transition("gold", "latency_p95", D1, "firing", "warn", T0)
    alerts.transition("bronze", "latency_p95", D1, "firing", "warn", T0)
    alerts.transition("bronze", "success_rate", D1, "firing", "critical", T0)
    routed = sorted(
        (m["channel"], m["vendor"]["vendor_id"], len(m["alerts"])) for m in alerts.plan(T0)
    )
    assert routed == [("managers", "bronze", 1), ("ops", "gold", 1)]
    gold = next(m for m in alerts.plan(T0 + 4 * HOUR) if m["vendor"]["vendor_id"] == "gold")
    assert gold["vendor"]["tier"] == "critical"
    assert gold["vendor"]["name"] == "Vendor gold"


def test_the_alerts_topic_feed_carries_every_change_and_acks(alerts: Alerts) -> None:
    alerts.config = settings(publish_topic=True)
    alerts.silence(T0, {"vendor_id": "v1"}, ends_at="2026-11-09T00:00:00Z")
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    feed = [m for m in alerts.plan(T0) if m["channel"] == TOPIC_CHANNEL]
    assert [rules_of(m) for m in feed] == [[("latency_p95", "new", "warn")]]  # despite silence
    alerts.command(T0 + HOUR, type="ack", vendor_id="v1", rule="latency_p95")
    acked = alerts.con.execute(
        "SELECT body FROM notification_outbox WHERE channel = ? ORDER BY rowid", [TOPIC_CHANNEL]
    ).fetchall()[-1][0]
    event = orjson.loads(acked)
    assert event["kind"] == "acknowledged"
    assert event["alerts"][0]["acknowledged_by"] == "sam"
    alerts.transition("v1", "latency_p95", D2, "resolved", "warn", T0 + 2 * HOUR)
    feed = [m for m in alerts.plan(T0 + 2 * HOUR) if m["channel"] == TOPIC_CHANNEL]
    assert [rules_of(m) for m in feed] == [[("latency_p95", "resolved", "warn")]]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"type": "silence", "ends_at": "2026-11-09T00:00:00Z", "matchers": {}},
            "matchers: give at least one",
        ),
        ({"type": "silence", "matchers": {"vendor_id": "v1"}}, "ends_at: required unless"),
        (
            {
                "type": "silence",
                "matchers": {"severity": "fatal"},
                "ends_at": "2026-11-09T00:00:00Z",
            },
            "matchers.severity",
        ),
        (
            {"type": "silence", "matchers": {"vendor_id": "v1"}, "ends_at": "2026-11-01T00:00:00Z"},
            "ends_at: 2026-11-01T00:00:00+00:00 has already passed",
        ),
        (
            {
                "type": "silence",
                "matchers": {"vendor_id": "v1"},
                "every": {"days": ["sun"], "start": "02:00", "end": "02:00"},
            },
            "every: start and end are equal",
        ),
        (
            {
                "type": "silence",
                "matchers": {"vendor_id": "v1"},
                "every": {"days": ["sunday"], "start": "02:00", "end": "03:00"},
            },
            "every.days.0",
        ),
        ({"type": "unsilence", "silence_id": "never"}, "silence_id: no silence 'never'"),
        ({"type": "ack", "vendor_id": "v1"}, "rule: Field required"),
    ],
)
def test_bad_commands_are_rejected_naming_the_field(
    alerts: Alerts, fields: dict[str, Any], reason: str
) -> None:
    outcome = alerts.command(T0, **fields)
    assert outcome.startswith("rejected: ")
    assert reason in outcome


def test_an_alert_of_a_rule_the_policy_no_longer_has_is_not_repeated(alerts: Alerts) -> None:
    """Nothing will judge a removed rule again: reminding every 4 h would go on forever."""
    policy = default_policy()
    record_policy(alerts.con, policy, effective_from=T0 - 10 * HOUR, source="file")
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    alerts.transition("v1", "retired_rule", D1, "firing", "warn", T0)
    (first,) = alerts.plan(T0)
    assert sorted(rules_of(first)) == [
        ("latency_p95", "new", "warn"),
        ("retired_rule", "new", "warn"),
    ]
    (repeat,) = alerts.plan(T0 + 4 * HOUR)
    assert rules_of(repeat) == [("latency_p95", "repeat", "warn")]
    slo_window = next(iter(policy.alert_names() - set(policy.rules)))
    alerts.transition("v2", slo_window, D1, "firing", "critical", T0)
    alerts.plan(T0)
    (window_repeat,) = [m for m in alerts.plan(T0 + 8 * HOUR) if m["vendor"]["vendor_id"] == "v2"]
    assert rules_of(window_repeat) == [(slo_window, "repeat", "critical")]
