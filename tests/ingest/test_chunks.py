"""Records travel as Arrow chunks; batches waiting for the writer merge into one transaction."""

from __future__ import annotations

import queue
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from ingest.chunks import RECORD_SCHEMA, concat, partition_chunk, records_at, records_table
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


def test_waiting_batches_are_merged_and_the_end_marker_is_kept(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "s.duckdb", batch_max_records=10, transaction_max_records=50)
    store = EventStore(settings.db)
    ingestor = Ingestor(settings, store, now_getter=lambda: datetime.now(UTC), dead_letters=None)
    batches = [[records_table([Record("rt", 0, i, None, b"{}")])] for i in range(3)]
    for batch in batches:
        ingestor._batches.put(batch)
    ingestor._batches.put(None)
    taken = ingestor._take_batches()
    assert taken is not None
    chunks, handed = taken
    assert handed == 3
    assert pa.concat_tables(chunks).column("offset").to_pylist() == [0, 1, 2]
    assert ingestor._take_batches() is None
    store.close()


def test_the_queue_holds_what_one_transaction_may_merge(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "s.duckdb", batch_max_records=10, transaction_max_records=50)
    store = EventStore(settings.db)
    ingestor = Ingestor(settings, store, now_getter=lambda: datetime.now(UTC), dead_letters=None)
    assert ingestor._batches.maxsize == 4  # 4 waiting + the one being taken = 50 records
    store.close()


def test_a_merge_stops_before_it_would_exceed_the_transaction_size(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "s.duckdb", batch_max_records=10, transaction_max_records=25)
    store = EventStore(settings.db)
    ingestor = Ingestor(settings, store, now_getter=lambda: datetime.now(UTC), dead_letters=None)
    ingestor._batches = queue.Queue()  # unbounded: the merge rule is what is tested here
    sizes = [10, 10, 10, 4]
    offset = 0
    for size in sizes:
        records = [Record("rt", 0, offset + i, None, b"{}") for i in range(size)]
        ingestor._batches.put([records_table(records)])
        offset += size
    merged = []
    while (taken := ingestor._take_batches()) is not None:
        chunks, handed = taken
        merged.append((pa.concat_tables(chunks).num_rows, handed))
        if not ingestor._carried and ingestor._batches.empty():
            ingestor._batches.put(None)
    assert merged == [(20, 2), (14, 2)]
    store.close()
