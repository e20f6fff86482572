"""The planning chain stage by stage: what each stage hands on, and why a notification is held
(the hold's reason), over a real store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import duckdb
import pytest

from alerting.group import group
from alerting.mutes import mute
from alerting.pipeline import Batch, Hold, run
from alerting.plan import plan
from alerting.planner import PLANNING, plan_notifications
from tests.alerting.store import HOUR, T0, Alerts, alert_store, settings

D1 = date(2026, 11, 1)


@pytest.fixture
def alerts() -> Iterator[Alerts]:
    yield from alert_store()


def through_mute(alerts: Alerts, now: datetime) -> Batch:
    """The batch as the mute stage leaves it (plan and mute only: nothing is told)."""
    return run(alerts.con, Batch(now=now, settings=alerts.config, policy=None), (plan, mute))


def test_an_acknowledged_alerts_reminder_is_held_with_who_acknowledged(alerts: Alerts) -> None:
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    alerts.plan(T0)
    alerts.command(T0 + HOUR, type="ack", vendor_id="v1", rule="latency_p95", issued_by="sam")
    batch = through_mute(alerts, T0 + 5 * HOUR)  # a reminder is due after 4 h
    assert batch.candidates == ()
    (held,) = batch.held
    assert held.change == "repeat"
    assert held.hold == Hold("acknowledged", "sam")
    assert held.hold.reason == "acknowledged by sam"
    # an acknowledgement is not a silence: the run's summary counts no held notification
    assert plan_notifications(alerts.con, T0 + 5 * HOUR, alerts.config).held == 0


def test_silences_and_windows_hold_with_their_id_and_count_as_held(alerts: Alerts) -> None:
    alerts.silence(T0, {"vendor_id": "v1"}, silence_id="s1", ends_at="2026-11-03T00:00:00Z")
    alerts.silence(
        T0,
        {"vendor_id": "v2"},
        silence_id="monday-morning",
        every={"days": ["mon"], "start": "08:00", "end": "10:00", "tz": "UTC"},
    )
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    alerts.transition("v2", "latency_p95", D1, "firing", "warn", T0)
    alerts.transition("v3", "latency_p95", D1, "firing", "warn", T0)
    batch = through_mute(alerts, T0)  # T0 is Monday 09:00
    holds = {c.row["vendor_id"]: c.hold for c in batch.held}
    assert holds == {"v1": Hold("silence", "s1"), "v2": Hold("window", "monday-morning")}
    window = holds["v2"]
    assert window is not None
    assert window.reason == "muted by maintenance window monday-morning"
    assert [c.row["vendor_id"] for c in batch.candidates] == ["v3"]
    muted = alerts.con.execute(
        "SELECT vendor_id, muted_by FROM alert_state ORDER BY vendor_id"
    ).fetchall()
    assert muted == [("v1", "s1"), ("v2", "monday-morning"), ("v3", None)]  # recorded by the stage
    outcome = plan_notifications(alerts.con, T0, alerts.config)
    assert (outcome.messages, outcome.held) == (1, 2)


def test_the_alerts_topic_feed_passes_mutes_and_goes_first(alerts: Alerts) -> None:
    alerts.config = settings(publish_topic=True)
    alerts.silence(T0, {"vendor_id": "v1"}, ends_at="2026-11-03T00:00:00Z")
    alerts.transition("v1", "latency_p95", D1, "firing", "warn", T0)
    alerts.transition("v2", "latency_p95", D1, "firing", "critical", T0)
    batch = group(alerts.con, through_mute(alerts, T0))
    assert [(c.row["vendor_id"], c.feed) for c in batch.candidates] == [
        ("v1", True),
        ("v2", True),
        ("v2", False),
    ]
    assert [(m.channel, m.vendor.vendor_id) for m in batch.messages] == [
        ("alerts-topic", "v1"),
        ("alerts-topic", "v2"),
        ("ops", "v2"),
    ]
    assert [r["vendor_id"] for r in batch.told] == ["v2"]  # the feed is not telling people
    assert batch.messages[2].news[0].evidence.thresholds.critical == 1500.0  # typed evidence


def test_the_chain_runs_its_stages_in_order_on_copies() -> None:
    seen: list[str] = []

    def stage(name: str):  # type: ignore[no-untyped-def]
        def apply(con: duckdb.DuckDBPyConnection, batch: Batch) -> Batch:
            seen.append(name)
            return batch.with_(told=(*batch.told, {"stage": name}))

        return apply

    first = Batch(now=datetime(2026, 11, 2, tzinfo=UTC), settings=settings(), policy=None)
    con = duckdb.connect()
    last = run(con, first, [stage("a"), stage("b")])
    assert seen == ["a", "b"]
    assert [r["stage"] for r in last.told] == ["a", "b"]
    assert first.told == ()  # stages never mutate what they were given
    assert [s.__name__ for s in PLANNING] == ["plan", "mute", "group", "to_outbox"]
