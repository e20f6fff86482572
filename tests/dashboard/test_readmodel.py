"""Read-model snapshots: consistent copies, an atomic pointer, old files cleaned up, and a
reader never disturbed by a publication."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from alerting.config import AlertingSettings
from ingest.store import EventStore
from metrics.job import MetricsJob
from readmodel.contract import POINTER, RAW_PREVIEW_BYTES, NoSnapshot, open_current
from readmodel.publish import READ_MODEL, publish
from tests.metrics.conftest import END, History
from vendorwatch.delivery import planner_hook
from vendorwatch.settings import MetricsSettings


@pytest.fixture
def engine_store(history: History, tmp_path: Path) -> Iterator[EventStore]:
    store = EventStore(tmp_path / "engine.duckdb")
    history.write(store)
    store.connection.execute(
        "INSERT INTO dead_letters SELECT 'vendor.response_times', 0, 999999, 'latency_ms: bad', "
        "CAST(repeat('x', 2000) AS BLOB), NULL, ?",
        [END],
    )
    alerting = AlertingSettings.model_validate(
        {
            "channels": {"ops": {"type": "webhook", "url": "http://127.0.0.1:9/hook"}},
            "routes": [{"channels": ["ops"]}],
        }
    )
    MetricsJob(store.connection, MetricsSettings(), notify=planner_hook(alerting)).run(END)
    yield store
    store.close()


def count(con: object, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])  # type: ignore[attr-defined]


def test_a_snapshot_holds_every_read_model_table_as_of_the_run(
    engine_store: EventStore, tmp_path: Path
) -> None:
    directory = tmp_path / "readmodel"
    with pytest.raises(NoSnapshot, match="no snapshot in"):
        open_current(directory)
    publish(
        engine_store.connection,
        directory,
        END + timedelta(minutes=1),
        reporting_tz="Europe/Berlin",
    )
    snapshot = open_current(directory)
    try:
        assert snapshot.as_of == END
        zone = snapshot.connection.execute("SELECT reporting_tz FROM snapshot_meta").fetchall()
        assert zone == [("Europe/Berlin",)]
        assert snapshot.published_at == END + timedelta(minutes=1)
        engine = engine_store.connection
        for table in ("vendor_daily", "vendor_monthly", "vendor_scores", "alert_log", "alerts"):
            assert count(snapshot.connection, table) == count(engine, table) > 0, table
        assert count(snapshot.connection, "notifications") == count(engine, "notifications") > 0
        tables = {r[0] for r in snapshot.connection.execute("SHOW TABLES").fetchall()}
        assert tables == {*READ_MODEL, "snapshot_meta"}
        ((preview, size),) = snapshot.connection.execute(
            'SELECT raw_preview, raw_bytes FROM dead_letters WHERE "offset" = 999999'
        ).fetchall()
        assert (len(preview), size) == (RAW_PREVIEW_BYTES, 2000)
        vendors = count(engine, "(SELECT DISTINCT vendor_id FROM response_times)")
        last = snapshot.connection.execute(
            "SELECT count(*) FROM last_events WHERE type = 'response_time'"
        ).fetchall()
        assert last == [(vendors,)]
    finally:
        snapshot.connection.close()


def test_old_snapshots_are_removed_and_open_readers_keep_reading(
    engine_store: EventStore, tmp_path: Path
) -> None:
    directory = tmp_path / "readmodel"
    publish(engine_store.connection, directory, END, keep=3)
    first = open_current(directory)
    try:
        paths = [
            publish(engine_store.connection, directory, END + timedelta(minutes=n), keep=3)
            for n in range(1, 5)
        ]
        files = sorted(p.name for p in directory.glob("readmodel-*.duckdb"))
        assert files == sorted(p.name for p in paths[-3:])
        assert (directory / POINTER).read_text() == paths[-1].name
        assert not first.path.exists()  # deleted, yet the open reader goes on
        assert count(first.connection, "vendor_daily") == count(
            engine_store.connection, "vendor_daily"
        )
    finally:
        first.connection.close()
    latest = open_current(directory)
    try:
        assert latest.published_at == END + timedelta(minutes=4)
    finally:
        latest.connection.close()
