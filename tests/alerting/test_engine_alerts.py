"""The whole path with real parts: the simulator's degrading vendor goes through a real Kafka
broker into a running engine, whose breach reaches a local webhook receiver signed, and the
alerts topic; and a notification survives the engine being killed mid-send."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition

from ingest.simulator import build_vendors, generate_events, produce
from readmodel.contract import open_current
from tests.alerting.servers import HttpReceiver, ReceivedRequest, Reply
from tests.conftest import SettingsFactory, run_vendorwatch, settings_env
from tests.control.topic import control_records
from tests.ingest.processes import IngestProcess, query
from vendorwatch.settings import Settings

SECRET = "e2e-secret"


def engine_settings(settings_factory: SettingsFactory, receiver: HttpReceiver) -> Settings:
    settings = settings_factory(
        metrics={"cycle_seconds": 2.0, "cycle_min_seconds": 0.5},
        alerting={
            "channels": {
                "ops": {
                    "type": "webhook",
                    "url": receiver.url,
                    "secret": SECRET,
                    "timeout_seconds": 2,
                }
            },
            "routes": [{"channels": ["ops"]}],
            "retry_initial": "PT0.5S",
        },
    )
    publish_every_run = settings.read_model.model_copy(update={"every_seconds": 0})
    return settings.model_copy(update={"read_model": publish_every_run})


def produce_degrading_vendor(settings: Settings, days: int = 40) -> str:
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=days)
    (vendor,) = build_vendors(["latency_degradation"], 1, start=start, end=now, seed=5)
    events = list(generate_events([vendor], start, now, seed=5, events_per_day=200))
    produce(events, settings.kafka_bootstrap, settings.topics.event_topics())
    return vendor.vendor_id


def latency_alert(request: ReceivedRequest, vendor_id: str) -> dict[str, Any] | None:
    payload = orjson.loads(request.body)
    if payload["vendor"]["vendor_id"] != vendor_id:
        return None
    return next((a for a in payload["alerts"] if a["rule"] == "latency_p95"), None)


def wait_for_request(
    receiver: HttpReceiver, engine: IngestProcess, timeout: float, count: int = 1
) -> list[ReceivedRequest]:
    deadline = time.monotonic() + timeout
    while len(receiver.requests) < count:
        assert engine.process.poll() is None, engine.output()
        assert time.monotonic() < deadline, engine.output()
        time.sleep(0.1)
    return receiver.requests


def wait_for_line(engine: IngestProcess, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in line for line in engine.lines):
        assert engine.process.poll() is None, engine.output()
        assert time.monotonic() < deadline, engine.output()
        time.sleep(0.1)


def test_a_degrading_vendor_reaches_the_webhook_signed_and_the_alerts_topic(
    settings_factory: SettingsFactory, http_receiver: HttpReceiver
) -> None:
    from alerting.channels.webhook import verify

    settings = engine_settings(settings_factory, http_receiver)
    vendor_id = produce_degrading_vendor(settings)
    engine = IngestProcess.start(settings, command="run")
    try:
        (request, *_) = wait_for_request(http_receiver, engine, timeout=180)
        acked = run_vendorwatch(
            "alerts",
            "ack",
            vendor_id,
            "latency_p95",
            "--by",
            "anna",
            "--comment",
            "on it",
            env=settings_env(settings),
        )
        assert acked.returncode == 0, acked.stderr
        wait_for_line(engine, "control command from anna: applied", timeout=30)
    finally:
        engine.process.send_signal(signal.SIGTERM)
    assert engine.wait(timeout=60) == 0, engine.output()
    alert = latency_alert(request, vendor_id)
    assert alert is not None, request.body
    assert alert["state"] == "firing"
    assert alert["change"] == "new"
    assert alert["value"] > alert["thresholds"]["warn"]
    assert verify(request.body, SECRET, request.header("X-Vendorwatch-Signature"))
    assert not verify(request.body, "another-secret", request.header("X-Vendorwatch-Signature"))
    identity = request.header("Idempotency-Key")
    delivered = query(
        settings, f"SELECT status FROM notifications WHERE notification_id = '{identity}'"
    )
    assert delivered == [("delivered",)]
    assert SECRET not in engine.output()
    snapshot = open_current(settings.read_model.dir)  # what the dashboard reads
    try:
        firing = snapshot.connection.execute(
            "SELECT state FROM alerts WHERE vendor_id = ? AND rule = 'latency_p95'", [vendor_id]
        ).fetchall()
    finally:
        snapshot.connection.close()
    assert firing == [("firing",)]

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, consumer_timeout_ms=5000)
    try:
        partitions = [
            TopicPartition(settings.topics.alerts, p)
            for p in consumer.partitions_for_topic(settings.topics.alerts) or ()
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        events = [orjson.loads(r.value) for r in consumer]
    finally:
        consumer.close()
    feed = [(e["vendor"]["vendor_id"], e["alerts"][0]["rule"], e["kind"]) for e in events]
    assert (vendor_id, "latency_p95", "firing") in feed
    assert (vendor_id, "latency_p95", "acknowledged") in feed

    listed = run_vendorwatch("alerts", "list", env=settings_env(settings))
    assert listed.returncode == 0, listed.stderr
    (line,) = [row for row in listed.stdout.splitlines() if "latency_p95" in row]
    assert vendor_id in line
    assert "anna" in line  # acknowledged by
    told = run_vendorwatch("alerts", "notifications", env=settings_env(settings))
    assert "delivered" in told.stdout
    assert vendor_id in told.stdout


def test_alert_commands_are_checked_before_they_are_sent(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory()
    env = settings_env(settings)
    nothing_yet = run_vendorwatch("alerts", "list", env=env)
    assert nothing_yet.returncode == 1
    assert "no snapshot in" in nothing_yet.stderr
    unbounded = run_vendorwatch("alerts", "silence", "--vendor", "v1", "--by", "sam", env=env)
    assert unbounded.returncode == 2
    assert "ends_at: required unless 'every' makes it a maintenance window" in unbounded.stderr
    no_matcher = run_vendorwatch("alerts", "silence", "--for", "2h", "--by", "sam", env=env)
    assert no_matcher.returncode == 2
    assert "matchers: give at least one of vendor_id, rule, severity, tier" in no_matcher.stderr
    bad_day = run_vendorwatch(
        "alerts",
        "silence",
        "--tier",
        "low",
        "--every",
        "sunday",
        "--from",
        "02:00",
        "--to",
        "04:00",
        "--by",
        "sam",
        env=env,
    )
    assert bad_day.returncode == 2
    assert "every.days.0" in bad_day.stderr
    window = run_vendorwatch(
        "alerts",
        "silence",
        "--tier",
        "low",
        "--every",
        "sat,sun",
        "--from",
        "22:00",
        "--to",
        "02:00",
        "--tz",
        "Europe/Berlin",
        "--by",
        "sam",
        "--silence-id",
        "weekend",
        env=env,
    )
    assert window.returncode == 0, window.stderr
    for _ in range(3):  # on a 3-partition topic: each pair applies in the order it was sent
        ended = run_vendorwatch("alerts", "unsilence", "weekend", "--by", "sam", env=env)
        assert ended.returncode == 0, ended.stderr
    records = control_records(settings, timeout_ms=5000)
    assert len({r.partition for r in records}) == 1  # one partition: one order
    sent, *ended_commands = [orjson.loads(r.value) for r in records]
    assert [c["type"] for c in ended_commands] == ["unsilence"] * 3
    assert sent["type"] == "silence"
    assert sent["silence_id"] == "weekend"
    assert sent["every"] == {
        "days": ["sat", "sun"],
        "start": "22:00",
        "end": "02:00",
        "tz": "Europe/Berlin",
    }


def test_a_notification_survives_the_engine_killed_mid_send(
    settings_factory: SettingsFactory, http_receiver: HttpReceiver
) -> None:
    """The state change and its message committed together; the first send hangs and the
    engine is killed; the restarted engine sends the same message (same idempotency key)."""
    settings = engine_settings(settings_factory, http_receiver)
    vendor_id = produce_degrading_vendor(settings)
    http_receiver.script(Reply(200, delay=60))  # the first request never gets its answer
    engine = IngestProcess.start(settings, command="run")
    try:
        (first,) = wait_for_request(http_receiver, engine, timeout=180)
    finally:
        engine.process.kill()
    engine.wait(timeout=30)
    assert query(settings, "SELECT status, attempts FROM notifications WHERE channel = 'ops'") == [
        ("pending", 0)
    ]

    restarted = IngestProcess.start(settings, command="run")
    try:
        (_, again) = wait_for_request(http_receiver, restarted, timeout=120, count=2)
    finally:
        restarted.process.send_signal(signal.SIGTERM)
    assert restarted.wait(timeout=60) == 0, restarted.output()
    assert again.header("Idempotency-Key") == first.header("Idempotency-Key")
    assert again.body == first.body
    assert latency_alert(again, vendor_id) is not None
    assert query(settings, "SELECT status FROM notifications WHERE channel = 'ops'") == [
        ("delivered",)
    ]
    # the restart re-judged the same state: it was told once, not twice
    assert query(settings, "SELECT count(*) FROM notification_outbox WHERE channel = 'ops'") == [
        (1,)
    ]
