"""A broker restart mid-stream: the running consumer recovers and loses nothing."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import orjson
import pytest
from kafka import KafkaProducer

from ingest.topics import ensure_topics
from tests.broker import LocalBroker
from tests.ingest.processes import IngestProcess, query
from vendorwatch.settings import Settings

EVENTS = 30_000


@pytest.mark.slow
def test_consumer_survives_a_broker_restart(tmp_path: Path) -> None:
    with LocalBroker(tmp_path / "kafka") as broker:
        settings = Settings(
            kafka_bootstrap=broker.bootstrap,
            db=tmp_path / "events.duckdb",
            progress_interval_s=0.5,
            batch_max_wait_ms=100,
        )
        ensure_topics(settings, partitions=3)
        running = IngestProcess.start(settings)
        sent = threading.Event()

        def produce() -> None:
            producer = KafkaProducer(
                bootstrap_servers=broker.bootstrap,
                linger_ms=10,
                retries=1_000_000,
                reconnect_backoff_max_ms=1000,
                delivery_timeout_ms=300_000,
            )
            for i in range(EVENTS):
                event = {
                    "type": "response_time",
                    "event_id": f"rt-{i}",
                    "vendor_id": f"v{i % 5}",
                    "occurred_at": "2026-10-03T14:05:00Z",
                    "service": "helpdesk",
                    "latency_ms": 100.0 + i % 900,
                }
                producer.send(settings.topics.response_times, key=b"v", value=orjson.dumps(event))
                if i % 1000 == 0:
                    time.sleep(0.1)
            producer.flush()
            producer.close()
            sent.set()

        thread = threading.Thread(target=produce)
        thread.start()
        running.wait_until_stored(2_000, timeout=120)
        broker.restart()
        thread.join(timeout=300)
        assert sent.is_set()
        running.wait_until_stored(EVENTS, timeout=240)
        running.process.send_signal(signal.SIGTERM)
        assert running.wait(60) == 0, running.output()
        assert query(settings, "SELECT count(*), count(DISTINCT event_id) FROM response_times") == [
            (EVENTS, EVENTS)
        ]
