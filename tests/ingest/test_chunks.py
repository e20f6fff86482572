"""Records travel as Arrow chunks; batches waiting for the writer merge into one transaction."""

from __future__ import annotations

import queue
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from ingest.chunks import (
    RECORD_SCHEMA,
    concat,
    offset_bounds,
    partition_chunk,
    records_at,
    records_table,
)
from ingest.consumer import Ingestor
from ingest.records import Record
from ingest.store import EventStore
from vendorwatch.settings import Settings


def test_chunks_keep_every_field_and_come_back_as_records() -> None:
    polled = [Record("rt", 2, 10, b"k", b"v1"), Record("rt", 2, 11, None, None)]
    chunk = partition_chunk("rt", 2, polled)
    assert chunk.schema == RECORD_SCHEMA
    assert chunk.to_pylist() == [
        {"topic": "rt", "partition": 2, "offset": 10, "key": b"k", "value": b"v1"},
        {"topic": "rt", "partition": 2, "offset": 11, "key": None, "value": None},
    ]
    other = records_table([Record("inv", 0, 5, None, b"x")])
    merged = concat([chunk, other])
    assert records_at(merged, [2, 0]) == [Record("inv", 0, 5, None, b"x"), polled[0]]
    assert records_at(merged, []) == []
    assert concat([]).num_rows == 0


def test_offset_bounds_are_per_partition_whatever_the_order_of_the_rows() -> None:
    records = [
        Record("rt", 1, 40, None, b"a"),
        Record("inv", 1, 7, None, b"b"),
        Record("rt", 0, 12, None, b"c"),
        Record("rt", 1, 38, None, b"d"),
        Record("rt", 1, 41, None, b"e"),
        Record("inv", 1, 3, None, b"f"),
        Record("rt", 0, 12, None, b"g"),
    ]
    chunked = concat([records_table(records[:3]), records_table(records[3:])])
    assert offset_bounds(chunked) == {("rt", 1): (38, 41), ("inv", 1): (3, 7), ("rt", 0): (12, 12)}
    assert offset_bounds(concat([])) == {}


def _ingestor(tmp_path: Path, transaction_max_records: int) -> Ingestor:
    settings = Settings(
        db=tmp_path / "s.duckdb",
        batch_max_records=10,
        transaction_max_records=transaction_max_records,
    )
    store = EventStore(settings.db)
    return Ingestor(settings, store, now_getter=lambda: datetime.now(UTC), dead_letters=None)


def _transactions(ingestor: Ingestor) -> list[list[int]]:
    """The batch sizes the writer stages per transaction, draining the queue."""
    transactions = []
    while sizes := [b.num_rows for b in map(pa.concat_tables, ingestor._one_transaction())]:
        transactions.append(sizes)
    return transactions


def test_waiting_batches_join_the_transaction_and_the_end_marker_is_kept(tmp_path: Path) -> None:
    ingestor = _ingestor(tmp_path, transaction_max_records=50)
    ingestor._batches = queue.Queue()  # unbounded: the joining rule is what is tested here
    for i in range(3):
        ingestor._batches.put([records_table([Record("rt", 0, i, None, b"{}")])])
    ingestor._batches.put(None)
    # the end marker is not swallowed by the transaction: it ends the writer afterwards
    assert _transactions(ingestor) == [[1, 1, 1]]
    ingestor.store.close()


def test_one_batch_waits_behind_the_one_being_staged(tmp_path: Path) -> None:
    ingestor = _ingestor(tmp_path, transaction_max_records=50)
    assert ingestor._batches.maxsize == 1
    ingestor.store.close()


def test_a_transaction_stops_before_it_would_exceed_its_size(tmp_path: Path) -> None:
    ingestor = _ingestor(tmp_path, transaction_max_records=25)
    ingestor._batches = queue.Queue()
    offset = 0
    for size in [10, 10, 10, 4]:
        records = [Record("rt", 0, offset + i, None, b"{}") for i in range(size)]
        ingestor._batches.put([records_table(records)])
        offset += size
    ingestor._batches.put(None)
    assert _transactions(ingestor) == [[10, 10], [10, 4]]
    ingestor.store.close()
