"""Ingest benchmark: full ``ingest --drain`` vs kafka-python consume-and-discard, same run.

Both sides read the same topics from the same local broker with the consumer settings ingest
uses, so the ratio b/a says how much of the raw client throughput the pipeline keeps.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kafka import KafkaConsumer

from ingest.positions import consumer_options
from ingest.simulator import PRESET_NAMES, build_vendors, generate_events, produce
from ingest.topics import ensure_topics
from tests.broker import LocalBroker
from vendorwatch.settings import Settings, Topics, kafka_client_options, settings_environment

RATIO_TARGET = 0.7
RSS_TARGET_MB = 300
_OVERALL = re.compile(r"([\d,]+)/s over")


@dataclass
class IngestFigures:
    events: int
    discard_rate: float
    ingest_rate: float
    ingest_peak_rss_mb: float

    @property
    def ratio(self) -> float:
        return self.ingest_rate / self.discard_rate

    @property
    def verdict(self) -> str:
        meets = self.ratio >= RATIO_TARGET and self.ingest_peak_rss_mb <= RSS_TARGET_MB
        return (
            f"ingest: ratio b/a = {self.ratio:.2f} (target >= {RATIO_TARGET}), peak RSS "
            f"{self.ingest_peak_rss_mb:.0f} MB (target <= {RSS_TARGET_MB}) -> "
            f"{'PASS' if meets else 'MISS'}"
        )


def _settings(broker: LocalBroker, workdir: Path) -> Settings:
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    return Settings(
        kafka_bootstrap=broker.bootstrap,
        db=workdir / f"{prefix}.duckdb",
        group_id=f"{prefix}-ingest",
        topics=Topics.prefixed(prefix),
    )


def consume_and_discard(settings: Settings, expected: int) -> float:
    """Events/s of a bare kafka-python consumer with ingest's settings, reading everything."""
    consumer = KafkaConsumer(**consumer_options(settings), group_id=f"{settings.group_id}-discard")
    consumer.subscribe(sorted(settings.topics.event_topics()))
    seen = 0
    started = None
    while seen < expected:
        polled = consumer.poll(timeout_ms=1000, max_records=settings.batch_max_records)
        if started is None and polled:
            started = time.perf_counter()
        for records in polled.values():
            seen += len(records)
    elapsed = time.perf_counter() - (started or time.perf_counter())
    consumer.close()
    return seen / elapsed


def ingest_drain(settings: Settings, expected: int) -> tuple[float, float]:
    """Events/s and peak RSS (MB) of ``vendorwatch ingest --drain`` into a fresh DuckDB file."""
    env = settings_environment(settings)
    started = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-m", "vendorwatch", "ingest", "--drain"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        stderr = process.stderr.read()
        # wait4, not RUSAGE_CHILDREN: the latter is the largest of every child this process
        # has reaped (the broker's storage-format JVM among them), not the peak of ingest.
        # The exit code goes back on the Popen so that leaving the block does not wait again.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"ingest --drain failed:\n{stderr[-3000:]}")
    peak_rss_mb = usage.ru_maxrss / 1024
    final = [line for line in stderr.splitlines() if "ingest done" in line]
    if not final or not (match := _OVERALL.search(final[-1])):
        raise RuntimeError(f"no final progress line from ingest:\n{stderr[-2000:]}")
    print(f"  {final[-1]}")
    print(f"  wall time of the process, start-up and group join included: {elapsed:.1f}s")
    return float(match.group(1).replace(",", "")), peak_rss_mb


def produce_simulated(settings: Settings, events: int) -> int:
    """``events`` events from the simulator (every preset, most of them response times)."""
    end = datetime(2026, 11, 1, tzinfo=UTC)
    days, per_vendor_day = 60, 2000
    vendors_needed = events // (per_vendor_day * days) + 1
    per_scenario = -(-vendors_needed // len(PRESET_NAMES))
    start = end - timedelta(days=days)
    vendors = build_vendors(PRESET_NAMES, per_scenario, start=start, end=end, seed=1)
    stream = generate_events(vendors, start, end, seed=1, events_per_day=per_vendor_day)
    return produce(
        itertools.islice(stream, events),
        settings.kafka_bootstrap,
        settings.topics.event_topics(),
        client_config=kafka_client_options(settings),
    )


def run(broker: LocalBroker, workdir: Path, events: int) -> IngestFigures:
    """Produce ``events`` simulated events, then measure (a) and (b) on them."""
    settings = _settings(broker, workdir)
    ensure_topics(settings, partitions=3)
    started = time.perf_counter()
    produced = produce_simulated(settings, events)
    print(f"  produced {produced:,} events in {time.perf_counter() - started:.1f}s")
    discard_rate = consume_and_discard(settings, produced)
    print(f"  (a) consume-and-discard: {discard_rate:,.0f} events/s")
    ingest_rate, rss = ingest_drain(settings, produced)
    print(f"  (b) ingest --drain:      {ingest_rate:,.0f} events/s, peak RSS {rss:.0f} MB")
    return IngestFigures(produced, discard_rate, ingest_rate, rss)
