"""Rule changes as commands on the control topic: validated, applied from then on, audited."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from kafka import KafkaProducer

from alerting.config import AlertingSettings
from control.apply import apply_commands
from control.kinds import command_types
from ingest.records import Record
from ingest.simulator import build_vendors, generate_events, produce
from ingest.store import EventStore
from metrics.job import MetricsJob
from tests.conftest import SettingsFactory, run_vendorwatch, settings_env
from tests.ingest.processes import IngestProcess
from tests.metrics.test_rules import POLICY_FILE
from vendorwatch.settings import MetricsSettings

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
POLICY_ONLY = command_types(AlertingSettings(), only=["set_policy"])


def _command(command_id: str, policy_toml: str) -> bytes:
    return orjson.dumps(
        {
            "type": "set_policy",
            "command_id": command_id,
            "issued_at": "2020-01-01T00:00:00Z",  # a sender's clock cannot move the change back
            "issued_by": "anna@example.com",
            "policy_toml": policy_toml,
        }
    )


def test_commands_are_applied_once_audited_and_never_backdated() -> None:
    store = EventStore(":memory:")
    configured = MetricsJob(store.connection, MetricsSettings()).policy  # the metrics tables
    sensitive = POLICY_FILE.read_text().replace('label = "default 2026-11"', 'label = "q4"')
    broken = POLICY_FILE.read_text().replace("for_periods = 3", "for_periods = 0", 1)
    records = [
        Record("ctl", 0, 0, None, _command("c-1", sensitive)),
        Record("ctl", 0, 1, None, b"{not json"),
        Record("ctl", 0, 2, None, _command("c-2", broken)),
        Record("ctl", 0, 3, None, _command("c-1", sensitive)),
        Record("ctl", 0, 4, None, orjson.dumps({"type": "silence_everything"})),
    ]
    outcomes = apply_commands(
        store.connection, records, NOW, baseline=configured, types=POLICY_ONLY
    )
    assert [o.status for o in outcomes] == [
        "applied",
        "rejected",
        "rejected",
        "duplicate",
        "rejected",
    ]
    assert "rules.latency_p95.for_periods" in outcomes[2].detail
    assert "command c-2" in outcomes[2].detail
    assert outcomes[4].detail == "type: 'silence_everything' is not a command (set_policy)"
    replayed = apply_commands(
        store.connection, records, NOW + timedelta(hours=1), baseline=configured, types=POLICY_ONLY
    )
    assert replayed == []  # the stored offsets say these were applied

    log = store.connection.execute(
        'SELECT "offset", status, raw FROM command_log ORDER BY "offset"'
    ).fetchall()
    assert [(o, s) for o, s, _ in log] == [
        (0, "applied"),
        (1, "rejected"),
        (2, "rejected"),
        (3, "duplicate"),
        (4, "rejected"),
    ]
    assert log[1][2] == b"{not json"  # the raw bytes are kept
    history = store.connection.execute(
        "SELECT label, effective_from, source FROM policy_history ORDER BY effective_from"
    ).fetchall()
    assert history == [
        ("default 2026-11", datetime(1970, 1, 1, tzinfo=UTC), "file"),
        ("q4", NOW, "control:c-1"),
    ]
    store.close()


def test_the_engine_applies_a_policy_sent_with_the_cli(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    settings = settings_factory(metrics={"cycle_seconds": 0.5})
    now = datetime.now(UTC).replace(microsecond=0)
    vendors = build_vendors(["healthy"], start=now - timedelta(days=3), end=now, seed=5)
    events = list(generate_events(vendors, now - timedelta(days=3), now, events_per_day=200))
    produce(events, settings.kafka_bootstrap, settings.topics.event_topics())
    candidate = tmp_path / "q4.toml"
    candidate.write_text(_sensitive_toml())
    env = settings_env(settings)

    engine = IngestProcess.start(settings, command="run")
    try:
        engine.wait_until_stored(len(events), timeout=120)
        sent = run_vendorwatch(
            "policy", "set", str(candidate), "--by", "anna", "--id", "cmd-q4", env=env
        )
        assert sent.returncode == 0, sent.stderr
        assert "sent cmd-q4: policy sensitive@" in sent.stdout
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
        producer.send(settings.topics.control, b"\xff not a command").get(timeout=30)
        producer.close()
        deadline = time.monotonic() + 60
        while sum("control command from" in line for line in engine.lines) < 2:
            assert time.monotonic() < deadline, engine.output()
            time.sleep(0.2)
    finally:
        engine.process.send_signal(signal.SIGTERM)
    assert engine.wait(timeout=60) == 0, engine.output()
    assert "control command from anna: applied: policy sensitive@" in engine.output()
    assert "control command from unknown sender: rejected" in engine.output()

    refused = run_vendorwatch(
        "policy", "set", str(POLICY_FILE.with_name("nope.toml")), "--by", "x", env=env
    )
    assert refused.returncode == 2
    assert "nope.toml" in refused.stderr

    store = EventStore(settings.db)
    try:
        sources = store.connection.execute(
            "SELECT source FROM policy_history ORDER BY effective_from"
        ).fetchall()
        assert sources == [("file",), ("control:cmd-q4",)]
        # the two records may sit on different partitions: compare them by identity, not order
        statuses = store.connection.execute(
            "SELECT command_id, status FROM command_log ORDER BY command_id NULLS LAST"
        ).fetchall()
        assert statuses == [("cmd-q4", "applied"), (None, "rejected")]
    finally:
        store.close()


def _sensitive_toml() -> str:
    text = POLICY_FILE.read_text().replace('label = "default 2026-11"', 'label = "sensitive"')
    return text.replace("quality = 0.45", "quality = 0.9", 1)
