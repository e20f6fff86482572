"""The stored ids' hashes: no false negatives, checked against a plain set; and the store's
handling of a "maybe stored" that is not (a hash collision), and of older and newer stores."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.ids import StoredIdHashes, has_repeats
from ingest.records import Record
from ingest.schema import SCHEMA_VERSION, StoreSchemaTooNew
from ingest.store import EventStore
from tests.ingest.test_store import count, response, write

HASHES = st.integers(min_value=0, max_value=2**64 - 1)


@settings(max_examples=200, deadline=None)
@given(
    adds=st.lists(st.lists(HASHES | st.integers(0, 50), max_size=40), max_size=30),
    probes=st.lists(st.lists(HASHES | st.integers(0, 50), max_size=10), max_size=20),
)
def test_any_stored_answers_as_a_set_would(adds: list[list[int]], probes: list[list[int]]) -> None:
    """Small values collide on purpose, so probes hit both the main and the recent array."""
    hashes, expected = StoredIdHashes(), set()
    for batch in adds:
        hashes.add(np.array(batch, dtype=np.uint64))
        expected.update(batch)
        for probe in probes:
            found = hashes.any_stored(np.array(probe, dtype=np.uint64))
            assert found == bool(expected.intersection(probe)), (batch, probe)
    assert len(hashes) == sum(len(batch) for batch in adds)


@given(st.lists(HASHES, max_size=50))
def test_has_repeats_finds_any_hash_twice(values: list[int]) -> None:
    assert has_repeats(np.array(values, dtype=np.uint64)) == (len(set(values)) < len(values))


def test_a_new_id_that_looks_stored_is_stored_after_all(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hash collision: the in-memory check says "maybe stored" for ids that are not. The
    careful path compares the ids themselves and stores the events, once."""
    write(store, [Record("rt", 0, 0, None, response("e1"))])
    monkeypatch.setattr(store._ids, "any_stored", lambda hashes: True)
    outcome = write(store, [Record("rt", 0, i, None, response(f"e{i + 1}")) for i in range(1, 4)])
    assert outcome.stored == {"response_time": 3}
    assert outcome.duplicates == 0
    assert outcome.dead_letters == []
    monkeypatch.undo()
    again = write(store, [Record("rt", 1, 0, None, response("e3"))])  # a real repeat now
    assert again.duplicates == 1
    assert count(store, "response_times") == 4


def test_a_schema_1_store_is_migrated_and_keeps_its_once_only_guarantee(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    store = EventStore(path)
    write(store, [Record("rt", 0, 0, None, response("e1"))])
    store.close()
    # what schema 1 had: the ids in a table under a primary key
    con = duckdb.connect(str(path))
    con.execute("DROP VIEW event_ids")
    con.execute("CREATE TABLE event_ids (event_id VARCHAR PRIMARY KEY, type VARCHAR NOT NULL)")
    con.execute("INSERT INTO event_ids VALUES ('e1', 'response_time')")
    con.execute("UPDATE store_meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    migrated = EventStore(path)
    meta = migrated.connection.execute("SELECT value FROM store_meta").fetchall()
    assert meta == [(str(SCHEMA_VERSION),)]
    kind = "SELECT table_type FROM information_schema.tables WHERE table_name = 'event_ids'"
    assert migrated.connection.execute(kind).fetchall() == [("VIEW",)]
    again = write(migrated, [Record("rt", 1, 0, None, response("e1"))])
    assert again.duplicates == 1
    assert migrated.connection.execute("SELECT * FROM event_ids").fetchall() == [
        ("e1", "response_time")
    ]
    migrated.close()


def test_a_store_of_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    EventStore(path).close()
    con = duckdb.connect(str(path))
    con.execute(
        "UPDATE store_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)]
    )
    con.close()
    with pytest.raises(StoreSchemaTooNew, match=f"schema version {SCHEMA_VERSION + 1}, newer"):
        EventStore(path)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT value FROM store_meta").fetchall() == [(str(SCHEMA_VERSION + 1),)]
    con.close()


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    return EventStore(tmp_path / "events.duckdb")
