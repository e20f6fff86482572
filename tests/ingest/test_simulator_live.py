"""The simulator's live trickle, pacing, sinks and CLI (``vendorwatch simulate``).

Pure unit tests: no Kafka (the producer is a test double), no wall clock (a fake one).
"""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from typer.testing import CliRunner

from ingest.contract import parse_event
from ingest.kinds.satisfaction_survey import SURVEY_RATE
from ingest.simulator import (
    JsonLinesSink,
    ProduceError,
    SimEvent,
    Simulation,
    SplitByTopicSink,
    build_vendors,
    drain,
    generate_events,
    paced,
    produce,
)
from tests.ingest.simulated import DAY, NOW, SKEW, TOPICS
from vendorwatch.cli.simulate import simulate


class FakeClock:
    """A clock that only moves when slept on or advanced."""

    def __init__(self, start: float) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_paced_releases_events_at_the_rate() -> None:
    clock = FakeClock(1000.0)
    pulled_at: list[float] = []

    def source() -> Iterator[SimEvent]:
        while True:
            pulled_at.append(clock())
            yield SimEvent("response_time", b"v", b"{}", 0)

    out = list(paced(source(), rate=50, duration_s=10, clock=clock, sleep=clock.sleep))
    assert len(out) == 500
    assert pulled_at == pytest.approx([1000.0 + i / 50 for i in range(500)])


def test_paced_runs_flat_out_behind_a_slow_source() -> None:
    clock = FakeClock(0.0)

    def slow() -> Iterator[SimEvent]:
        while True:
            clock.now += 0.05  # 20 events/s at most
            yield SimEvent("response_time", b"v", b"{}", 0)

    out = list(paced(slow(), rate=50, duration_s=10, clock=clock, sleep=clock.sleep))
    assert 195 <= len(out) <= 201
    assert not clock.sleeps


def test_live_trickle_continues_the_vendors_at_the_clock() -> None:
    start = NOW - timedelta(days=10)
    vendors = build_vendors(["defect_surge", "security_incident_burst"], start=start, end=NOW)
    simulation = Simulation(vendors, seed=42, events_per_day=100)
    backfill_ids = {orjson.loads(e.value)["event_id"] for e in simulation.backfill(start, NOW)}
    clock = FakeClock(NOW.timestamp() + 5)
    live = paced(simulation.live(clock), rate=20, duration_s=3600, clock=clock, sleep=clock.sleep)
    kinds: Counter[str] = Counter()
    live_ids: set[str] = set()
    for event in live:
        parsed = parse_event(
            event.value,
            allowed_type=event.topic_type,
            received_at=datetime.fromtimestamp(clock(), UTC),
            max_future_skew=SKEW,
        )
        kinds[event.topic_type] += 1
        live_ids.add(parsed.event_id)
        if event.topic_type == "response_time":
            assert event.occurred_at_ms == int(clock() * 1000)
        assert event.occurred_at_ms <= clock() * 1000
    assert sum(kinds.values()) == 20 * 3600 == len(live_ids)
    assert not live_ids & backfill_ids
    assert kinds["defect"] > 0
    assert kinds["security_incident"] > 0
    # the kinds that declare a simulator process trickle live too, at their declared rate
    assert 0.5 * SURVEY_RATE < kinds["satisfaction_survey"] / (20 * 3600) < 2 * SURVEY_RATE


def test_live_surveys_come_at_the_clock_and_answer_worse_in_trouble() -> None:
    """Live answers are the declared process's: at ``clock()``, ids tagged by the session,
    and the degraded vendor's (in trouble from its onset) less often satisfied."""
    start = NOW - timedelta(days=30)
    vendors = build_vendors(["healthy", "latency_degradation"], start=start, end=NOW)
    simulation = Simulation(vendors, seed=42, events_per_day=100)
    clock = FakeClock(NOW.timestamp())
    live = simulation.live(clock, session="s1")
    satisfied: dict[str, list[bool]] = {v.vendor_id: [] for v in vendors}
    for _ in range(60_000):
        event = next(live)
        clock.now += 0.05
        if event.topic_type != "satisfaction_survey":
            continue
        answer = orjson.loads(event.value)
        assert event.occurred_at_ms == int((clock.now - 0.05) * 1000)
        assert answer["event_id"].startswith(f"cs-{answer['vendor_id']}-Ls1-")
        assert answer["source"] == "survey-tool"
        high = 9 if answer["scale"] == "0-10" else 4
        satisfied[answer["vendor_id"]].append(answer["score"] >= high)
    healthy, degraded = (satisfied[v.vendor_id] for v in vendors)
    assert len(healthy) > 100
    assert len(degraded) > 100
    assert sum(healthy) / len(healthy) > sum(degraded) / len(degraded) + 0.1


def test_json_lines_and_split_by_topic_sinks(tmp_path: Path) -> None:
    events = list(
        generate_events(build_vendors(start=NOW - 3 * DAY, end=NOW), NOW - 3 * DAY, NOW, 42, 20)
    )
    buffer = io.BytesIO()
    sink = JsonLinesSink(buffer)
    assert drain(events, sink) == len(events)
    sink.close()
    assert buffer.getvalue() == b"".join(e.value + b"\n" for e in events)
    split = SplitByTopicSink(tmp_path / "out", TOPICS)
    drain(events, split)
    split.close()
    for topic, event_type in TOPICS.items():
        lines = (tmp_path / "out" / f"{topic}.jsonl").read_bytes().splitlines()
        assert lines == [e.value for e in events if e.topic_type == event_type]


class FakeFuture:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def add_errback(self, callback: Callable[[Exception], None]) -> None:
        if self.error is not None:
            callback(self.error)


class FakeProducer:
    def __init__(self, fail_topic: str | None = None, **config: Any) -> None:
        self.config, self.fail_topic = config, fail_topic
        self.records: list[tuple[str, bytes, bytes]] = []
        self.flushed = self.closed = False

    def send(self, topic: str, value: bytes, key: bytes) -> FakeFuture:
        self.records.append((topic, key, value))
        return FakeFuture(RuntimeError("broker said no") if topic == self.fail_topic else None)

    def flush(self, timeout: float | None = None) -> None:
        self.flushed = True

    def close(self) -> None:
        self.closed = True


def test_produce_routes_each_type_to_its_topic_keyed_by_vendor() -> None:
    events = list(
        generate_events(build_vendors(start=NOW - 3 * DAY, end=NOW), NOW - 3 * DAY, NOW, 42, 20)
    )
    producers: list[FakeProducer] = []

    def factory(**config: Any) -> FakeProducer:
        producers.append(FakeProducer(**config))
        return producers[-1]

    count = produce(
        iter(events),
        "127.0.0.1:9092",
        TOPICS,
        producer_factory=factory,
        client_config={"security_protocol": "PLAINTEXT"},
    )
    [producer] = producers
    assert count == len(events) == len(producer.records)
    assert producer.flushed
    assert producer.closed
    assert producer.config["acks"] == "all"
    assert producer.config["batch_size"] >= 256 * 1024
    assert producer.config["bootstrap_servers"] == ["127.0.0.1:9092"]
    assert producer.config["security_protocol"] == "PLAINTEXT"
    for (topic, key, value), event in zip(producer.records, events, strict=True):
        assert TOPICS[topic] == event.topic_type
        assert key == event.key
        assert value == event.value

    def failing(**config: Any) -> FakeProducer:
        return FakeProducer(fail_topic="vendor.response_times", **config)

    with pytest.raises(ProduceError, match="were not acknowledged"):
        produce(iter(events), "127.0.0.1:9092", TOPICS, producer_factory=failing)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    for name in [n for n in os.environ if n.startswith("VENDORWATCH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("VENDORWATCH_CONFIG", os.devnull)
    app = typer.Typer()
    app.command("simulate")(simulate)
    app.command("other")(lambda: None)  # keep "simulate" a sub-command

    def run(*args: str) -> Any:
        return CliRunner().invoke(app, ["simulate", *args])

    return run


def test_cli_writes_json_lines_deterministically(cli: Callable[..., Any], tmp_path: Path) -> None:
    args = [
        "--days",
        "5",
        "--events-per-day",
        "30",
        "--now",
        "2026-10-15T12:00:00Z",
        "-s",
        "healthy",
        "-s",
        "defect_surge",
        "--vendors-per-scenario",
        "2",
    ]
    first = cli(*args, "--output", str(tmp_path / "a.jsonl"))
    second = cli(*args, "--output", str(tmp_path / "b.jsonl"))
    assert first.exit_code == second.exit_code == 0, first.output
    lines = (tmp_path / "a.jsonl").read_bytes().splitlines()
    assert (tmp_path / "b.jsonl").read_bytes() == (tmp_path / "a.jsonl").read_bytes()
    assert f"simulate: {len(lines)} events" in first.stderr
    vendors = {orjson.loads(line)["vendor_id"] for line in lines}
    assert vendors == {
        "acme-support-1",
        "acme-support-2",
        "umbrella-fulfilment-1",
        "umbrella-fulfilment-2",
    }


def test_cli_rejects_bad_options_and_settings(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("--scenario", "bogus", "-o", "-").exit_code == 2
    assert cli("--now", "yesterday", "-o", "-").exit_code == 2
    monkeypatch.setenv("VENDORWATCH_CONFIG", "/nonexistent/vendorwatch.toml")
    result = cli("-o", "-")
    assert result.exit_code == 2
    assert "VENDORWATCH_CONFIG" in result.stderr
