"""``python -m bench`` (``make bench``): every benchmark, each as a ratio to a same-run baseline."""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from kafka import KafkaProducer

from bench import ingest_bench
from ingest.simulator import PRESET_NAMES, build_vendors, generate_events, produce
from vendorwatch.broker import LocalBroker
from vendorwatch.settings import Settings, kafka_client_options

INGEST_RATIO_TARGET = 0.7
INGEST_RSS_TARGET_MB = 300


def produce_simulated(settings: Settings, events: int) -> int:
    """``events`` events from the simulator (every preset, most of them response times)."""
    end = datetime(2026, 11, 1, tzinfo=UTC)
    per_vendor_day = 2000
    vendors_needed = max(1, events // (per_vendor_day * 60) + 1)
    per_scenario = max(1, -(-vendors_needed // len(PRESET_NAMES)))
    start = end - timedelta(days=60)
    vendors = build_vendors(PRESET_NAMES, per_scenario, start=start, end=end, seed=1)
    stream = generate_events(vendors, start, end, seed=1, events_per_day=per_vendor_day)
    return produce(
        itertools.islice(stream, events),
        settings.kafka_bootstrap,
        settings.topics.event_topics(),
        client_config=kafka_client_options(settings),
    )


def produce_synthetic(settings: Settings, events: int) -> int:
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, linger_ms=50, batch_size=512 * 1024
    )
    topic = settings.topics.response_times
    for i in range(events):
        event = {
            "type": "response_time",
            "event_id": f"rt-{i:09d}",
            "vendor_id": f"vendor-{i % 40}",
            "occurred_at": f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "service": "helpdesk",
            "latency_ms": 100.0 + (i * 7919) % 3000 / 3.0,
            "success": i % 97 != 0,
            "source": "apm",
        }
        producer.send(topic, key=str(event["vendor_id"]).encode(), value=orjson.dumps(event))
    producer.flush()
    producer.close()
    return events


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--synthetic", action="store_true", help="skip the simulator")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vendorwatch-bench-") as tmp:
        workdir = Path(tmp)
        with LocalBroker(workdir / "kafka", heap="-Xmx1g -Xms512m") as broker:
            print(f"ingest benchmark: {args.events:,} events, broker {broker.bootstrap}")
            started = time.perf_counter()
            produce_events = produce_synthetic if args.synthetic else produce_simulated
            figures = ingest_bench.run(broker, workdir, args.events, produce_events)
            verdict = (
                "PASS"
                if figures.ratio >= INGEST_RATIO_TARGET
                and figures.ingest_peak_rss_mb <= INGEST_RSS_TARGET_MB
                else "MISS"
            )
            print(
                f"ingest: ratio b/a = {figures.ratio:.2f} (target >= {INGEST_RATIO_TARGET}), "
                f"peak RSS {figures.ingest_peak_rss_mb:.0f} MB (target <= "
                f"{INGEST_RSS_TARGET_MB}) -> {verdict}  [{time.perf_counter() - started:.0f}s]"
            )


if __name__ == "__main__":
    main()
