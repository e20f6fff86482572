"""Exactly once under SIGKILL: kill the consumer at random moments while a stream arrives."""

from __future__ import annotations

import random
import signal
import threading
import time

import orjson
import pytest
from kafka import KafkaProducer

from tests.conftest import SettingsFactory
from tests.ingest.processes import IngestProcess, drain_process, query

TOTAL_RECORDS = 120_000
KILLS = 8


def produce_stream(bootstrap: str, topic: str, seed: int, done: threading.Event) -> dict[str, int]:
    """Produce the stream; returns counts of what a correct ingest must end up with."""
    rng = random.Random(seed)
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, batch_size=262_144)
    distinct: set[str] = set()
    bad = 0
    try:
        for i in range(TOTAL_RECORDS):
            vendor = f"vendor-{i % 17}"
            roll = rng.random()
            if roll < 0.003:
                producer.send(topic, key=vendor.encode(), value=b"{broken json")
                bad += 1
                continue
            # one in fifty records repeats an earlier event exactly (at-least-once upstream)
            n = rng.randrange(max(i, 1)) if roll < 0.023 and i else i
            event = {
                "type": "response_time",
                "event_id": f"rt-{n}",
                "vendor_id": f"vendor-{n % 17}",
                "occurred_at": f"2026-10-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
                "service": "helpdesk",
                "latency_ms": float(n % 5000),
            }
            distinct.add(event["event_id"])
            producer.send(topic, key=str(event["vendor_id"]).encode(), value=orjson.dumps(event))
            if i % 20_000 == 0:
                time.sleep(0.5)  # a stream, not one burst: kills land mid-production too
        producer.flush()
    finally:
        producer.close()
        done.set()
    return {"distinct": len(distinct), "bad": bad}


@pytest.mark.slow
def test_sigkill_at_random_moments_stores_every_event_exactly_once(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(batch_max_records=5_000, batch_max_wait_ms=100)
    seed = 20261123
    rng = random.Random(seed)
    done = threading.Event()
    expected: dict[str, int] = {}
    producer = threading.Thread(
        target=lambda: expected.update(
            produce_stream(settings.kafka_bootstrap, settings.topics.response_times, seed, done)
        )
    )
    producer.start()
    progress_seen = 0
    for kill in range(KILLS):
        running = IngestProcess.start(settings)
        if kill == 0:  # the first kill surely lands while batches are being stored
            running.wait_until_stored(1, timeout=120)
            time.sleep(rng.uniform(0.0, 1.0))
        else:  # later ones at random (a restarted consumer waits for the group to rebalance)
            time.sleep(rng.uniform(1.5, 4.0))
        progress_seen = max(progress_seen, running.stored())
        running.process.send_signal(signal.SIGKILL)
        assert running.wait(30) == -signal.SIGKILL
    producer.join(timeout=300)
    assert done.is_set()
    assert progress_seen > 0, "no kill landed while batches were being stored"

    drain_process(settings)

    rows, distinct_rows = query(
        settings, "SELECT count(*), count(DISTINCT event_id) FROM response_times"
    )[0]
    assert rows == distinct_rows == expected["distinct"]
    dead = query(
        settings, 'SELECT count(*), count(DISTINCT ("partition", "offset")) FROM dead_letters'
    )
    assert dead[0] == (expected["bad"], expected["bad"])
    assert query(settings, "SELECT sum(next_offset) FROM consumer_offsets")[0][0] == TOTAL_RECORDS
