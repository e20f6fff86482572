"""Ingest against a real broker: bad records become dead letters, good ones are stored once."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer

from ingest.consumer import Ingestor
from ingest.deadletter import DeadLetterPublisher
from ingest.progress import StoreWriteFailed
from ingest.schema import TABLE_BY_TYPE
from ingest.store import EventStore
from tests.conftest import SettingsFactory, run_vendorwatch, settings_env
from tests.ingest.dead_letters import published_dead_letters
from tests.ingest.processes import IngestProcess, drain_process, query
from vendorwatch.settings import Settings

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def event(kind: str, event_id: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "type": kind,
        "event_id": event_id,
        "vendor_id": "acme-support",
        "occurred_at": "2026-10-03T14:05:00Z",
    }
    if kind == "response_time":
        base.update(service="helpdesk", latency_ms=842.5)
    elif kind == "cost_invoice":
        base.update(
            invoice_id="A-1",
            period_start="2026-10-01",
            period_end="2026-10-31",
            amount="48250.00",
            currency="EUR",
        )
    elif kind == "defect":
        base.update(defect_id="D-1", status="opened", severity="major")
    base.update(fields)
    return base


OPEN_STORES: list[EventStore] = []


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    while OPEN_STORES:
        OPEN_STORES.pop().close()


def drain(settings: Settings) -> EventStore:
    store = EventStore(settings.db)
    OPEN_STORES.append(store)
    Ingestor(
        settings,
        store,
        now_getter=lambda: NOW,
        dead_letters=DeadLetterPublisher(settings),
        report=lambda line: None,
    ).run(drain=True)
    return store


def dump(doc: dict[str, object]) -> bytes:
    return orjson.dumps(doc)


def send_responses(producer: KafkaProducer, settings: Settings, count: int, prefix: str) -> None:
    """``count`` valid response times (ids ``<prefix>0``...) to the response-time topic."""
    for i in range(count):
        producer.send(
            settings.topics.response_times,
            key=b"v",
            value=dump(event("response_time", f"{prefix}{i}")),
        )
    producer.flush()


# (topic attribute, raw value, expected reason fragment)
BAD_RECORDS: list[tuple[str, bytes | None, str]] = [
    ("response_times", b"\xc3\x28 invalid", "record value is not UTF-8"),
    ("response_times", b"{not json", "record value is not valid JSON"),
    ("response_times", b"[1,2,3]", "record value must be a JSON object, not list"),
    ("response_times", dump({**event("response_time", "m1"), "service": None}), "service:"),
    (
        "response_times",
        dump(event("response_time", "m2", latency_ms="fast")),
        "latency_ms: must be a JSON number",
    ),
    (
        "response_times",
        b'{"type":"response_time","event_id":"n1","vendor_id":"v","occurred_at":"2026-10-03T14:05:00Z","service":"s","latency_ms":NaN}',
        "record value is not valid JSON",
    ),
    (
        "response_times",
        dump(event("response_time", "r1", latency_ms=-3)),
        "latency_ms: Input should be greater than or equal to 0",
    ),
    ("cost_invoices", dump(event("cost_invoice", "d1", period_end="2026-13-01")), "period_end:"),
    (
        "cost_invoices",
        dump(event("cost_invoice", "c1", currency="euro")),
        "currency: String should match pattern",
    ),
    ("response_times", dump(event("uptime", "u1")), "type: unknown event type 'uptime'"),
    ("response_times", dump(event("defect", "w1")), "type: 'defect' is not accepted on this topic"),
    (
        "response_times",
        dump(event("response_time", "s1", schema_version=7)),
        "schema_version: version 7 is not supported",
    ),
    (
        "response_times",
        dump(event("response_time", "big", padding="x" * 3000)),
        "over the limit of 2048 bytes",
    ),
    (
        "response_times",
        dump(event("response_time", "f1", occurred_at="2026-11-03T00:00:00Z")),
        "occurred_at: 2026-11-03T00:00:00+00:00 is more than",
    ),
    ("response_times", None, "record has no value"),
    (
        "response_times",
        dump(event("response_time", "ok-1", latency_ms=1.0)),
        "conflicting duplicate",
    ),
]


def test_every_class_of_bad_input_becomes_one_dead_letter(
    settings_factory: SettingsFactory, producer: KafkaProducer
) -> None:
    settings = settings_factory(max_record_bytes=2048)
    topics = settings.topics
    good = [event("response_time", f"ok-{i}") for i in range(20)]
    # valid neighbours on both sides of every bad record, all in one partition
    for i, (attr, raw, _) in enumerate(BAD_RECORDS):
        producer.send(topics.response_times, key=b"acme-support", value=dump(good[i]), partition=0)
        producer.send(getattr(topics, attr), key=b"acme-support", value=raw, partition=0)
    producer.send(topics.response_times, key=b"acme-support", value=dump(good[0]), partition=0)
    producer.send(topics.defects, key=b"acme-support", value=dump(event("defect", "df-1")))
    producer.flush()

    store = drain(settings)
    rows = store.connection.execute(
        'SELECT topic, reason, raw FROM dead_letters ORDER BY topic, "offset"'
    ).fetchall()
    reasons = [r[1] for r in rows]
    assert len(rows) == len(BAD_RECORDS), reasons
    for attr, raw, fragment in BAD_RECORDS:
        matching = [r for r in rows if r[2] == raw and r[0] == getattr(topics, attr)]
        assert len(matching) == 1, (fragment, reasons)
        assert fragment in matching[0][1]
    stored = store.connection.execute("SELECT count(*) FROM response_times").fetchone()
    assert stored == (len(BAD_RECORDS),)  # ok-0 .. ok-15, the repeat of ok-0 stored once
    assert store.connection.execute("SELECT count(*) FROM defects").fetchone() == (1,)

    # the dead-letter topic carries the same records, with the reason in a header
    published = published_dead_letters(settings)
    assert len(published) == len(BAD_RECORDS)
    header_reasons = sorted(dict(m.headers)["vendorwatch.reason"].decode() for m in published)
    assert header_reasons == sorted(reasons)


def test_a_second_drain_stores_nothing_new(
    settings_factory: SettingsFactory, producer: KafkaProducer
) -> None:
    settings = settings_factory()
    send_responses(producer, settings, 300, "e")
    drain(settings).close()
    store = drain(settings)
    assert store.connection.execute(
        "SELECT count(*), count(DISTINCT event_id) FROM response_times"
    ).fetchone() == (300, 300)
    offsets = store.connection.execute("SELECT sum(next_offset) FROM consumer_offsets").fetchone()
    assert offsets == (300,)


def test_a_drain_puts_the_interpreter_settings_it_changes_back(
    settings_factory: SettingsFactory, producer: KafkaProducer
) -> None:
    """Ingest shortens the GIL switch interval and raises the collector's thresholds while
    it runs; a process that goes on after it (tests, the engine) gets its own back."""
    settings = settings_factory()
    producer.send(settings.topics.response_times, value=dump(event("response_time", "e1")))
    producer.flush()
    default = sys.getswitchinterval()
    sys.setswitchinterval(0.004)
    try:
        before = (sys.getswitchinterval(), gc.get_threshold(), gc.get_freeze_count())
        store = drain(settings)
        assert (sys.getswitchinterval(), gc.get_threshold(), gc.get_freeze_count()) == before
    finally:
        sys.setswitchinterval(default)
    assert store.connection.execute("SELECT count(*) FROM response_times").fetchone() == (1,)


class _PollRecorder(Ingestor):
    """An ingestor whose consumer notes the ``max_records`` of each poll."""

    asked: list[int | None]

    def _open_consumer(self) -> KafkaConsumer:
        consumer = super()._open_consumer()
        self.asked = []
        poll = consumer.poll

        def recorded(*args: Any, **kwargs: Any) -> Any:
            self.asked.append(kwargs.get("max_records"))
            return poll(*args, **kwargs)

        consumer.poll = recorded  # type: ignore[method-assign]
        return consumer


def test_every_poll_asks_for_a_whole_batch_and_batches_end_within_one_poll(
    settings_factory: SettingsFactory, producer: KafkaProducer
) -> None:
    """kafka-python fetches ahead only after a poll that took all it had buffered: a poll
    asking for just what fills the batch stalled the next fetch (make bench: -30 %)."""
    settings = settings_factory(partitions=1, batch_max_records=300)
    send_responses(producer, settings, 1000, "p")
    store = EventStore(settings.db)
    OPEN_STORES.append(store)
    staged: list[int] = []
    stage = store.stage

    def noted(batch: Any, *args: Any, **kwargs: Any) -> None:
        staged.append(batch.num_rows)
        stage(batch, *args, **kwargs)

    store.stage = noted  # type: ignore[method-assign]
    ingestor = _PollRecorder(
        settings, store, now_getter=lambda: NOW, dead_letters=None, report=lambda line: None
    )
    ingestor.run(drain=True)
    assert set(ingestor.asked) == {300}
    assert sum(staged) == 1000
    assert max(staged) <= 2 * 300
    assert store.connection.execute("SELECT count(*) FROM response_times").fetchone() == (1000,)


class _FailingStore(EventStore):
    """A store whose disk fills up after the first staged batch."""

    staged = 0

    def stage(self, *args: Any, **kwargs: Any) -> None:
        self.staged += 1
        if self.staged > 1:
            raise OSError("No space left on device")
        super().stage(*args, **kwargs)


@pytest.mark.timeout(60)
def test_a_failing_writer_stops_ingest_with_its_error_instead_of_hanging(
    settings_factory: SettingsFactory, producer: KafkaProducer
) -> None:
    # batches of 10 records: the poller fills the queue behind the dead writer
    settings = settings_factory(partitions=1, batch_max_records=10)
    send_responses(producer, settings, 500, "e")
    store = _FailingStore(settings.db)
    OPEN_STORES.append(store)
    lines: list[str] = []
    ingestor = Ingestor(
        settings, store, now_getter=lambda: NOW, dead_letters=None, report=lines.append
    )
    with pytest.raises(StoreWriteFailed) as failure:
        ingestor.run(drain=True)
    assert isinstance(failure.value.__cause__, OSError)
    assert str(failure.value) == "storing a batch failed: OSError: No space left on device"
    assert lines[-1].startswith("ingest stopped: stored ")
    # nothing but a batch committed before the failing one (if the writer got to it alone)
    stored = store.connection.execute("SELECT count(*) FROM response_times").fetchall()
    assert stored[0][0] in (0, 10)


def test_events_from_kcat_are_stored_with_exact_counts(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    settings = settings_factory()
    lines = [dump(event("response_time", f"k{i}", vendor_id=f"v{i % 7}")) for i in range(500)]
    lines += [dump(event("response_time", f"k{i}", vendor_id=f"v{i % 7}")) for i in range(50)]
    lines.append(b'{"type": "response_time", "event_id": "broken"')
    data = tmp_path / "events.jsonl"
    data.write_bytes(b"\n".join(lines) + b"\n")
    subprocess.run(
        [
            "kcat",
            "-P",
            "-b",
            settings.kafka_bootstrap,
            "-t",
            settings.topics.response_times,
            "-l",
            str(data),
        ],
        check=True,
        timeout=60,
    )
    assert "ingest done: stored 500 events" in drain_process(settings).output()
    counts = query(settings, "SELECT count(DISTINCT event_id), count(*) FROM response_times")
    assert counts == [(500, 500)]
    assert query(settings, "SELECT count(*) FROM dead_letters") == [(1,)]


def test_simulated_history_is_stored_with_exact_counts(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    settings = settings_factory()
    args = [
        "--days",
        "40",
        "--vendors-per-scenario",
        "1",
        "--events-per-day",
        "150",
        "--now",
        "2026-11-01T00:00:00Z",
        "--seed",
        "5",
    ]
    expected_file = tmp_path / "expected.jsonl"
    for extra in (["--output", str(expected_file)], []):  # the same history, to a file and Kafka
        done = run_vendorwatch("simulate", *args, *extra, env=settings_env(settings))
        assert done.returncode == 0, done.stderr
    expected: dict[str, set[str]] = {}
    for line in expected_file.read_bytes().splitlines():
        doc = orjson.loads(line)
        expected.setdefault(doc["type"], set()).add(doc["event_id"])
    assert set(expected) == set(TABLE_BY_TYPE)

    drain_process(settings)
    for event_type, ids in expected.items():
        table = TABLE_BY_TYPE[event_type]
        stored = {row[0] for row in query(settings, f"SELECT event_id FROM {table}")}
        assert stored == ids, event_type
    assert query(settings, "SELECT count(*) FROM dead_letters") == [(0,)]


@pytest.mark.timeout(120)
def test_ingest_out_of_memory_says_which_setting_to_raise_and_loses_nothing(
    settings_factory: SettingsFactory, producer: KafkaProducer
) -> None:
    # 4MiB opens the store but cannot take a batch of 5000 events
    settings = settings_factory(partitions=1, ingest_memory_limit="4MiB")
    send_responses(producer, settings, 5000, "m")

    starved = IngestProcess.start(settings, "--drain")
    assert starved.wait(timeout=90) == 1, starved.output()
    output = starved.output()
    assert "Traceback" not in output
    assert "ingest stopped: stored 0 events" in output
    assert "vendorwatch: storing a batch failed: OutOfMemoryException: " in output
    assert "ingest_memory_limit (4MiB) allows: raise VENDORWATCH_INGEST_MEMORY_LIMIT" in output

    roomy = settings.model_copy(update={"ingest_memory_limit": "64MiB"})
    assert "ingest done: stored 5000 events" in drain_process(roomy).output()
    assert query(roomy, "SELECT count(*) FROM response_times") == [(5000,)]
