"""The event store's write contract: atomic batches, duplicates once, conflicts dead-lettered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from ingest.batch import RecordChecks
from ingest.chunks import records_table
from ingest.progress import BatchOutcome
from ingest.records import DeadLetter, Record
from ingest.store import EventStore
from vendorwatch.settings import Settings

NOW = datetime(2026, 11, 1, tzinfo=UTC)
TOPICS = {"rt": "response_time", "inv": "cost_invoice"}


def response(event_id: str, latency: float = 100.0, **extra: object) -> bytes:
    return orjson.dumps(
        {
            "type": "response_time",
            "event_id": event_id,
            "vendor_id": "acme",
            "occurred_at": "2026-10-03T14:05:00Z",
            "service": "helpdesk",
            "latency_ms": latency,
            **extra,
        }
    )


def write(store: EventStore, records: list[Record], **kwargs: object) -> BatchOutcome:
    checks = RecordChecks(TOPICS, max_future_skew=timedelta(hours=24), max_record_bytes=10_000)
    return store.write_batch(records, checks, received_at=NOW, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    return EventStore(tmp_path / "events.duckdb")


def count(store: EventStore, table: str) -> int:
    rows = store.connection.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(rows[0][0])


def test_identical_repeat_is_stored_once_and_different_content_is_a_conflict(
    store: EventStore,
) -> None:
    first = write(store, [Record("rt", 0, 0, b"acme", response("e1"))])
    assert first.stored_total == 1
    # same content, other formatting and key order, extra unknown field: a duplicate
    same = orjson.dumps(
        {
            "latency_ms": 100,
            "service": "helpdesk",
            "occurred_at": "2026-10-03T16:05:00+02:00",
            "vendor_id": "acme",
            "event_id": "e1",
            "type": "response_time",
            "note": "retry",
        }
    )
    second = write(
        store,
        [
            Record("rt", 1, 0, b"acme", same),
            Record("rt", 1, 1, b"acme", response("e1", latency=999)),
            Record("rt", 1, 2, b"acme", response("e2")),
            Record("rt", 1, 3, b"acme", response("e2")),
        ],
    )
    assert second.duplicates == 2
    assert [d.record.offset for d in second.dead_letters] == [1]
    assert "conflicting duplicate" in second.dead_letters[0].reason
    assert count(store, "response_times") == 2
    assert count(store, "dead_letters") == 1


INVOICE_E1 = (
    b'{"type":"cost_invoice","event_id":"e1","vendor_id":"acme","occurred_at":'
    b'"2026-11-01T09:00:00Z","invoice_id":"A","period_start":"2026-10-01",'
    b'"period_end":"2026-10-31","amount":100,"currency":"EUR"}'
)


def test_a_batch_with_a_repeat_stores_each_new_event_once(store: EventStore) -> None:
    """The optimistic attempt fails on the repeat; the careful one must start clean."""
    write(store, [Record("rt", 0, 0, None, response("e1"))])
    outcome = write(
        store,
        [
            Record("rt", 0, 1, None, response("e2")),
            Record("inv", 0, 0, None, INVOICE_E1),  # another type with a stored id
            Record("rt", 0, 2, None, response("e3")),
            Record("rt", 0, 3, None, response("e3")),  # repeated within the batch
        ],
    )
    assert outcome.stored == {"response_time": 2}
    assert outcome.duplicates == 1
    assert [d.record.topic for d in outcome.dead_letters] == ["inv"]
    assert count(store, "response_times") == 3
    assert count(store, "cost_invoices") == 0
    ids = store.connection.execute("SELECT event_id, type FROM event_ids ORDER BY 1").fetchall()
    assert ids == [("e1", "response_time"), ("e2", "response_time"), ("e3", "response_time")]
    assert store.next_offsets() == {("rt", 0): 4, ("inv", 0): 1}


def test_a_partly_replayed_batch_applies_only_the_new_records(store: EventStore) -> None:
    write(store, [Record("rt", 0, i, None, response(f"p0-{i}")) for i in range(3)])
    batch = [Record("rt", 0, i, None, response(f"p0-{i}")) for i in range(1, 5)]
    batch += [Record("rt", 1, i, None, response(f"p1-{i}")) for i in range(2)]
    outcome = write(store, batch)
    assert outcome.skipped_replayed == 2
    assert outcome.stored_total == 4
    assert outcome.duplicates == 0
    assert count(store, "response_times") == 7
    assert store.next_offsets() == {("rt", 0): 5, ("rt", 1): 2}


def test_replayed_offsets_are_skipped(store: EventStore) -> None:
    records = [Record("rt", 0, i, None, response(f"e{i}")) for i in range(5)]
    records.append(Record("rt", 0, 5, None, b"not json"))
    write(store, records)
    again = write(store, records)
    assert again.skipped_replayed == 6
    assert count(store, "response_times") == 5
    assert count(store, "dead_letters") == 1
    assert store.next_offsets() == {("rt", 0): 6}
    store.close()
    assert EventStore(store.path).next_offsets() == {("rt", 0): 6}  # survives reopening


def test_nothing_commits_when_publishing_dead_letters_fails(store: EventStore) -> None:
    def fail(dead: list[DeadLetter]) -> None:
        raise ConnectionError("broker gone")

    records = [Record("rt", 0, 0, None, response("e1")), Record("rt", 0, 1, None, b"{}")]
    with pytest.raises(ConnectionError):
        write(store, records, before_commit=fail)
    assert count(store, "response_times") == 0
    assert count(store, "dead_letters") == 0
    assert store.next_offsets() == {}
    published: list[DeadLetter] = []
    outcome = write(store, records, before_commit=published.extend)
    assert outcome.stored_total == 1
    assert [d.reason for d in published] == ["type: required field is missing"]


def test_money_and_time_are_stored_exactly(store: EventStore) -> None:
    invoice = (
        b'{"type":"cost_invoice","event_id":"i1","vendor_id":"acme","occurred_at":'
        b'"2026-11-01T09:00:00+01:00","invoice_id":"A","period_start":"2026-10-01",'
        b'"period_end":"2026-10-31","amount":48250.1234,"currency":"EUR","units":10500}'
    )
    write(store, [Record("inv", 0, 0, b"acme", invoice)])
    row = store.connection.execute(
        "SELECT amount, typeof(amount), occurred_at, raw FROM cost_invoices"
    ).fetchone()
    assert row is not None
    assert row[0] == Decimal("48250.1234")
    assert row[1] == "DECIMAL(18,4)"
    assert row[2] == datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert row[3] == invoice.decode()


def test_dead_letters_keep_the_raw_bytes(store: EventStore) -> None:
    raw = b"\xff\x00 not utf-8"
    write(store, [Record("rt", 2, 7, b"k", raw)])
    row = store.connection.execute(
        'SELECT topic, "partition", "offset", reason, raw, key FROM dead_letters'
    ).fetchone()
    assert row == (
        "rt",
        2,
        7,
        "record value is not UTF-8 (invalid start byte at byte 0)",
        raw,
        b"k",
    )


def test_raw_record_text_is_stored_with_zstd(store: EventStore) -> None:
    """``raw`` is most of a store's bytes and rarely read: zstd, not DuckDB's own choice."""
    write(store, [Record("rt", 0, i, None, response(f"e{i}", latency=i)) for i in range(2000)])
    store.connection.execute("CHECKPOINT")
    methods = store.connection.execute(
        "SELECT DISTINCT compression FROM pragma_storage_info('response_times') "
        "WHERE column_name = 'raw' AND segment_type = 'VARCHAR'"
    ).fetchall()
    assert methods == [("ZSTD",)]
    assert count(store, "response_times") == 2000


def test_the_memory_limit_reaches_duckdb(tmp_path: Path) -> None:
    capped = EventStore(tmp_path / "capped.duckdb", memory_limit="64MiB")
    limit = capped.connection.execute("SELECT current_setting('memory_limit')").fetchall()
    assert limit == [("64.0 MiB",)]
    capped.close()


def test_the_thread_count_reaches_duckdb(tmp_path: Path) -> None:
    single = EventStore(tmp_path / "single.duckdb", threads=1)
    assert single.connection.execute("SELECT current_setting('threads')").fetchall() == [(1,)]
    single.close()


CHECKS = RecordChecks(TOPICS, max_future_skew=timedelta(hours=24), max_record_bytes=10_000)


def stage(store: EventStore, records: list[Record]) -> None:
    store.stage(records_table(records), CHECKS, received_at=NOW)


def test_batches_staged_together_commit_as_one_transaction(store: EventStore) -> None:
    stage(store, [Record("rt", 0, i, None, response(f"e{i}")) for i in range(3)])
    stage(store, [Record("rt", 1, 0, None, b"not json")])
    assert count(store, "response_times") == 0  # staged, not stored
    assert store.next_offsets() == {}
    stage(store, [Record("rt", 0, 3, None, response("e3"))])
    outcome = store.commit_staged(received_at=NOW)
    assert outcome.stored == {"response_time": 4}
    assert [d.record.offset for d in outcome.dead_letters] == [0]
    assert count(store, "response_times") == 4
    assert store.next_offsets() == {("rt", 0): 4, ("rt", 1): 1}
    assert store.commit_staged(received_at=NOW).stored_total == 0  # nothing left staged


def test_a_repeat_across_staged_batches_is_found_with_its_key_and_bytes(
    store: EventStore,
) -> None:
    """A conflict's dead letter is rebuilt from what was staged: the caller dropped its
    batch long before the careful pass needed the record."""
    conflicting = response("e1", latency=999.0)
    stage(store, [Record("rt", 0, 0, b"k0", response("e1")), Record("rt", 0, 1, None, b"[]")])
    stage(store, [Record("rt", 0, 2, b"k2", response("e1"))])  # identical: a duplicate
    stage(store, [Record("rt", 1, 0, b"k-conflict", conflicting)])
    outcome = store.commit_staged(received_at=NOW)
    assert outcome.stored == {"response_time": 1}
    assert outcome.duplicates == 1
    assert [(d.record.offset, d.record.key) for d in outcome.dead_letters] == [
        (1, None),  # the contract's refusal comes first, then the conflict
        (0, b"k-conflict"),
    ]
    conflict = outcome.dead_letters[1]
    assert conflict.record == Record("rt", 1, 0, b"k-conflict", conflicting)
    assert "conflicting duplicate" in conflict.reason
    stored = store.connection.execute(
        "SELECT raw, key FROM dead_letters WHERE reason LIKE '%conflicting%'"
    ).fetchall()
    assert [(bytes(raw), bytes(key)) for raw, key in stored] == [(conflicting, b"k-conflict")]
    assert store.next_offsets() == {("rt", 0): 3, ("rt", 1): 1}


def test_records_fetched_again_before_the_commit_are_replays(store: EventStore) -> None:
    """After a rebalance the consumer re-reads from the stored offsets, which may re-deliver
    records already staged in the open transaction: they are skipped, not stored twice and
    not dead-lettered twice."""
    records = [Record("rt", 0, i, None, response(f"e{i}")) for i in range(3)]
    records.append(Record("rt", 0, 3, None, b"not json"))
    stage(store, records)
    stage(store, [*records[1:], Record("rt", 0, 4, None, response("e4"))])
    outcome = store.commit_staged(received_at=NOW)
    assert outcome.skipped_replayed == 3
    assert outcome.duplicates == 0
    assert outcome.stored_total == 4
    assert len(outcome.dead_letters) == 1
    assert store.next_offsets() == {("rt", 0): 5}


def test_a_failed_commit_leaves_nothing_staged(store: EventStore) -> None:
    stage(store, [Record("rt", 0, 0, None, response("e0")), Record("rt", 0, 1, None, b"{")])

    def refuse(dead: list[DeadLetter]) -> None:
        raise ConnectionError("dead-letter topic unreachable")

    with pytest.raises(ConnectionError):
        store.commit_staged(received_at=NOW, before_commit=refuse)
    assert count(store, "response_times") == 0
    assert count(store, "staged_response_times") == 0
    # the records are read again from the stored offsets and applied then
    stage(store, [Record("rt", 0, 0, None, response("e0")), Record("rt", 0, 1, None, b"{")])
    assert store.commit_staged(received_at=NOW).stored_total == 1


def test_repeats_are_found_across_the_chunks_of_one_transaction(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The careful path looks at two staged positions at a time here: a repeat whose first
    event is in an earlier chunk is judged against it (now inserted), within a chunk against
    the chunk's first, and against the stored event when there is one."""
    monkeypatch.setattr("ingest.store.REPEATS_CHUNK_RECORDS", 2)
    write(store, [Record("rt", 0, 0, None, response("stored"))])
    stage(
        store,
        [
            Record("rt", 1, 0, None, response("a")),  # chunk 0: new
            Record("rt", 1, 1, None, response("stored")),  # chunk 0: duplicate of stored
            Record("rt", 1, 2, None, response("a")),  # chunk 1: duplicate of ord 0
            Record("rt", 1, 3, None, response("a", latency=5.0)),  # chunk 1: conflict
            Record("rt", 1, 4, None, response("b")),  # chunk 2: new
            Record("rt", 1, 5, None, response("b", latency=7.0)),  # chunk 2: conflict
            Record("rt", 1, 6, None, response("stored", latency=1.0)),  # chunk 3: conflict
        ],
    )
    outcome = store.commit_staged(received_at=NOW)
    assert outcome.stored == {"response_time": 2}
    assert outcome.duplicates == 2
    assert [d.record.offset for d in outcome.dead_letters] == [3, 5, 6]
    rows = store.connection.execute(
        "SELECT event_id, latency_ms FROM response_times ORDER BY event_id"
    ).fetchall()
    assert rows == [("a", 100.0), ("b", 100.0), ("stored", 100.0)]
    assert store.next_offsets() == {("rt", 0): 1, ("rt", 1): 7}


def test_a_transaction_of_nothing_but_repeats_fits_the_default_cap(tmp_path: Path) -> None:
    """A topic replayed by its producer: every event of a 150k-event transaction is an
    identical repeat of a stored one. Under the 48 MiB default this ran out of memory while
    the careful path looked at the whole transaction at once."""
    capped = EventStore(tmp_path / "capped.duckdb", memory_limit=Settings().ingest_memory_limit)
    ids = [f"replayed-event-{i:012d}" for i in range(150_000)]
    first = [Record("rt", 0, i, None, response(e)) for i, e in enumerate(ids)]
    for start in range(0, len(first), 50_000):
        stage(capped, first[start : start + 50_000])
    assert capped.commit_staged(received_at=NOW).stored_total == 150_000
    again = [Record("rt", 1, i, None, response(e)) for i, e in enumerate(ids)]
    for start in range(0, len(again), 50_000):
        stage(capped, again[start : start + 50_000])
    outcome = capped.commit_staged(received_at=NOW)
    assert outcome.stored_total == 0
    assert outcome.duplicates == 150_000
    assert not outcome.dead_letters
    assert count(capped, "response_times") == 150_000
    capped.close()
