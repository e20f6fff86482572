"""The outbox is drained at least once: retries with backoff and jitter against a real local
receiver, dead letters that stay visible, order per channel, identical bytes on every retry."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import orjson
import pytest

from alerting.channels.webhook import WebhookChannel, WebhookChannelConfig, verify
from alerting.dispatcher import Dispatcher
from tests.alerting.servers import HttpReceiver, Reply
from tests.alerting.store import HOUR, T0, Alerts, alert_store, settings

SECRET = "s3cret-for-tests"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def alerts() -> Iterator[Alerts]:
    yield from alert_store()


def queued_firing(
    alerts: Alerts, receiver: HttpReceiver, timeout: float = 2.0, **config: Any
) -> tuple[Clock, Dispatcher]:
    """A dispatcher to ``receiver`` (signed, the clock at T0) and one firing alert queued."""
    clock = Clock(T0)
    hook = WebhookChannelConfig(
        type="webhook", url=receiver.url, secret=SECRET, timeout_seconds=timeout
    )
    alerts.config = settings(channels={"ops": hook}, **config)
    channel = WebhookChannel("ops", hook)
    dispatcher = Dispatcher(
        alerts.con.cursor(),
        alerts.config,
        {"ops": channel},
        now_getter=clock,
        rng=random.Random(7),
    )
    alerts.transition("v1", "latency_p95", date(2026, 11, 1), "firing", "warn", T0)
    alerts.plan(T0)
    return clock, dispatcher


def outbox(alerts: Alerts) -> list[tuple[Any, ...]]:
    return alerts.con.execute(
        "SELECT status, attempts, last_error, next_attempt_at FROM notifications"
    ).fetchall()


def test_a_failing_receiver_gets_retries_with_backoff_then_the_message(
    alerts: Alerts, http_receiver: HttpReceiver
) -> None:
    clock, dispatcher = queued_firing(alerts, http_receiver)
    http_receiver.script(500, 503)
    delays = []
    for _ in range(2):
        (attempt,) = dispatcher.deliver_due()
        assert not attempt.delivered
        ((status, _, error, next_at),) = outbox(alerts)
        assert status == "pending"
        assert "HTTP 50" in error
        delays.append(next_at - clock.now)
        assert dispatcher.deliver_due() == []  # not due yet
        clock.now = next_at
    (attempt,) = dispatcher.deliver_due()
    assert attempt.delivered
    # exponential backoff (2 s, then 4 s) scaled by jitter in [0.5, 1]
    assert timedelta(seconds=1) <= delays[0] <= timedelta(seconds=2)
    assert timedelta(seconds=2) <= delays[1] <= timedelta(seconds=4)
    assert outbox(alerts)[0][:3] == ("delivered", 3, None)
    requests = http_receiver.wait_for(3)
    assert len({r.body for r in requests}) == 1  # byte-identical on every retry
    assert len({r.header("Idempotency-Key") for r in requests}) == 1
    assert all(verify(r.body, SECRET, r.header("X-Vendorwatch-Signature")) for r in requests)
    attempts = alerts.con.execute(
        "SELECT attempt, outcome FROM delivery_attempts ORDER BY attempt"
    ).fetchall()
    assert attempts == [(1, "failed"), (2, "failed"), (3, "delivered")]


def test_after_max_attempts_the_message_is_dead_lettered_visibly(
    alerts: Alerts, http_receiver: HttpReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    clock, dispatcher = queued_firing(alerts, http_receiver, max_attempts=3)
    http_receiver.default = Reply(500, b"database on fire")
    with caplog.at_level(logging.ERROR, logger="alerting.dispatcher"):
        for _ in range(5):
            dispatcher.deliver_due()
            clock.now += timedelta(minutes=10)
    ((status, attempts, error, _),) = outbox(alerts)
    assert (status, attempts) == ("dead", 3)
    assert "HTTP 500" in error
    assert "database on fire" in error
    assert len(http_receiver.requests) == 3  # no fourth try
    assert "dead-lettered after 3 attempt(s)" in caplog.text
    assert SECRET not in caplog.text


def test_a_permanent_failure_is_dead_at_once(alerts: Alerts, http_receiver: HttpReceiver) -> None:
    _, dispatcher = queued_firing(alerts, http_receiver)
    http_receiver.script(404)
    dispatcher.deliver_due()
    assert outbox(alerts)[0][:2] == ("dead", 1)


def test_a_receiver_that_times_out_is_retried(alerts: Alerts, http_receiver: HttpReceiver) -> None:
    clock, dispatcher = queued_firing(alerts, http_receiver, timeout=0.3)
    http_receiver.script(Reply(200, delay=1.0))
    (attempt,) = dispatcher.deliver_due()
    assert not attempt.delivered
    assert attempt.seconds < 0.9
    clock.now += timedelta(minutes=1)
    (attempt,) = dispatcher.deliver_due()
    assert attempt.delivered


def test_messages_of_a_channel_go_in_order_and_a_removed_channel_is_dead(
    alerts: Alerts, http_receiver: HttpReceiver
) -> None:
    clock, dispatcher = queued_firing(alerts, http_receiver)
    alerts.transition("v1", "latency_p95", date(2026, 11, 2), "resolved", "warn", T0 + HOUR)
    alerts.plan(T0 + HOUR)
    alerts.con.execute(
        "INSERT INTO notification_outbox SELECT * REPLACE ('gone' AS channel) "
        "FROM notification_outbox LIMIT 1"
    )
    clock.now = T0 + 2 * HOUR
    attempts = dispatcher.deliver_due()
    assert sorted((a.channel, a.delivered) for a in attempts) == [
        ("gone", False),
        ("ops", True),
        ("ops", True),
    ]
    kinds = [orjson.loads(r.body)["kind"] for r in http_receiver.wait_for(2)]
    assert kinds == ["firing", "resolved"]
    gone = alerts.con.execute(
        "SELECT status, last_error FROM notifications WHERE channel = 'gone'"
    ).fetchall()
    assert gone == [("dead", "channel 'gone' is not configured (any more)")]


def test_a_stored_body_that_is_no_notification_is_dead_lettered_at_once(
    alerts: Alerts, http_receiver: HttpReceiver
) -> None:
    """The body is parsed once with the document's model before any channel sees it."""
    _, dispatcher = queued_firing(alerts, http_receiver)
    alerts.con.execute(
        "UPDATE notification_outbox SET body = ?", [orjson.dumps({"alerts": "not a list"}).decode()]
    )
    (attempt,) = dispatcher.deliver_due()
    assert not attempt.delivered
    assert not attempt.retryable
    assert attempt.detail.startswith("the stored body is not a notification document")
    assert outbox(alerts)[0][:2] == ("dead", 1)
    assert http_receiver.requests == []  # nothing was sent
    dispatcher.close()
