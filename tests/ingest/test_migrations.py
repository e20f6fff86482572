"""A store written by the previous release (schema version 2, DDL checked in as a fixture) is
upgraded on open: its events are kept, the new kinds' tables appear, and the ``event_ids``
view covers them, so a repeat of a new kind's event is still found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import orjson

from ingest.batch import RecordChecks
from ingest.kinds import KINDS
from ingest.migrations import MIGRATIONS, SCHEMA_VERSION
from ingest.records import Record
from ingest.schema import STORED_IDS_VIEW
from ingest.store import EventStore
from ingest.summary import summarize
from tests.ingest.test_store import response

V2_DDL = Path(__file__).parent / "fixtures" / "store_v2.sql"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
TOPICS = {"rt": "response_time", "cs": "satisfaction_survey"}
CHECKS = RecordChecks(TOPICS, max_future_skew=timedelta(hours=24), max_record_bytes=10_000)


def survey(event_id: str, score: int = 4) -> bytes:
    return orjson.dumps(
        {
            "type": "satisfaction_survey",
            "event_id": event_id,
            "vendor_id": "acme",
            "occurred_at": "2026-10-03T16:20:00Z",
            "service": "helpdesk",
            "score": score,
            "comment": "secret words",
        }
    )


def _v2_store(path: Path) -> None:
    """A store as release 3a621f5 wrote it, with two response times and an offset."""
    con = duckdb.connect(str(path))
    text = "\n".join(x for x in V2_DDL.read_text().splitlines() if not x.startswith("--"))
    for statement in text.split(";\n"):
        if statement.strip():
            con.execute(statement)
    for n in (1, 2):
        raw = response(f"rt-{n}").decode()
        con.execute(
            "INSERT INTO response_times VALUES (?, 'acme', TIMESTAMPTZ '2026-10-03 14:05:00Z', "
            "'helpdesk', 100.0, true, NULL, 1, NULL, 'rt', 0, ?, "
            "TIMESTAMPTZ '2026-11-01 00:00:00Z', ?)",
            [f"rt-{n}", n - 1, raw],
        )
    con.execute(
        "INSERT INTO consumer_offsets VALUES ('rt', 0, 2, TIMESTAMPTZ '2026-11-01 00:00:00+00')"
    )
    con.close()


def test_the_fixture_is_a_version_2_store_without_the_new_kinds(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _v2_store(path)
    con = duckdb.connect(str(path), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert con.execute("SELECT value FROM store_meta").fetchall() == [("2",)]
    assert "satisfaction_surveys" not in tables
    assert "response_times" in tables
    con.close()


def test_a_version_2_store_is_upgraded_keeping_its_events_and_seeing_new_kinds(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.duckdb"
    _v2_store(path)
    store = EventStore(path)
    try:
        con = store.connection
        assert con.execute("SELECT value FROM store_meta").fetchall() == [(str(SCHEMA_VERSION),)]
        assert con.execute("SELECT count(*) FROM response_times").fetchall() == [(2,)]
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert {kind.table for kind in KINDS} <= tables
        view_types = {
            r[0] for r in con.execute(f"SELECT DISTINCT type FROM {STORED_IDS_VIEW}").fetchall()
        }
        assert view_types == {"response_time"}
        # a replayed response time is still a duplicate; a new kind's event is stored once
        outcome = store.write_batch(
            [
                Record("rt", 0, 2, None, response("rt-1")),
                Record("cs", 0, 0, None, survey("cs-1")),
                Record("cs", 0, 1, None, survey("cs-1")),
            ],
            CHECKS,
            received_at=NOW,
        )
        assert outcome.stored == {"satisfaction_survey": 1}
        assert outcome.duplicates == 2
        again = store.write_batch(
            [Record("cs", 1, 0, None, survey("cs-1"))], CHECKS, received_at=NOW
        )
        assert again.duplicates == 1  # found through the event_ids view, across batches
        conflict = store.write_batch(
            [Record("cs", 1, 1, None, survey("cs-1", score=2))], CHECKS, received_at=NOW
        )
        assert [d.reason for d in conflict.dead_letters] == [
            "event_id: 'cs-1' was already received with different content "
            "(conflicting duplicate; the first version is kept)"
        ]
        ids = con.execute(f"SELECT type, count(*) FROM {STORED_IDS_VIEW} GROUP BY ALL").fetchall()
        assert sorted(ids) == [("response_time", 2), ("satisfaction_survey", 1)]
    finally:
        store.close()


def test_the_view_is_replaced_on_every_open_not_only_when_missing(tmp_path: Path) -> None:
    """A store whose event_ids view misses a kind (as a CREATE VIEW IF NOT EXISTS left it)
    gets the full view back on the next open, whatever its version says."""
    path = tmp_path / "events.duckdb"
    EventStore(path).close()
    con = duckdb.connect(str(path))
    con.execute(
        f"CREATE OR REPLACE VIEW {STORED_IDS_VIEW} AS SELECT event_id, 'x' AS type "
        "FROM response_times"
    )
    con.close()
    store = EventStore(path)
    try:
        sql = store.connection.execute(
            "SELECT sql FROM duckdb_views() WHERE view_name = ?", [STORED_IDS_VIEW]
        ).fetchall()[0][0]
        for kind in KINDS:
            assert kind.table in sql
    finally:
        store.close()


def test_migrations_are_numbered_in_order_and_say_why() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    assert SCHEMA_VERSION == 3
    assert all(m.why for m in MIGRATIONS)


def test_status_of_an_old_store_not_yet_upgraded_names_the_missing_kind(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _v2_store(path)
    lines = summarize(path)
    assert any("response_times" in line and " 2 events" in line for line in lines), lines
    assert any("satisfaction_surveys" in line and "predates" in line for line in lines), lines
