"""The metrics commands as a user runs them: ``metrics run``, ``rebuild`` and the engine."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ingest.simulator import build_vendors, generate_events, produce
from ingest.store import EventStore
from metrics.job import MetricsJob
from readmodel.contract import open_current
from tests.conftest import SettingsFactory, run_vendorwatch, settings_env
from tests.ingest.processes import IngestProcess
from tests.metrics.conftest import History
from tests.metrics.test_projections import DERIVED_TABLES, table
from vendorwatch.settings import Settings


def _store_with_history(history: History, settings: Settings) -> None:
    store = EventStore(settings.db)
    try:
        history.write(store)
    finally:
        store.close()


def test_metrics_run_as_of_a_date_then_incremental_then_rebuild(
    history: History, tmp_path: Path
) -> None:
    settings = Settings(
        db=tmp_path / "store.duckdb",
        read_model={"dir": tmp_path / "readmodel"},  # type: ignore[arg-type]
    )
    _store_with_history(history, settings)
    env = settings_env(settings)

    first = run_vendorwatch("metrics", "run", "--as-of", "2026-03-31", env=env)
    assert first.returncode == 0, first.stderr
    assert "metrics rebuild as of 2026-04-01T00:00:00+00:00" in first.stdout
    snapshot = open_current(tmp_path / "readmodel")  # published for the dashboard
    try:
        assert snapshot.as_of == datetime(2026, 4, 1, tzinfo=UTC)
    finally:
        snapshot.connection.close()
    second = run_vendorwatch("metrics", "run", "--as-of", "2026-04-10T12:00:00Z", env=env)
    assert second.returncode == 0, second.stderr
    assert "metrics incremental as of 2026-04-10T12:00:00+00:00" in second.stdout
    con = duckdb.connect(str(settings.db), read_only=True)
    try:
        incremental = {n: table_of(con, n) for n, _ in DERIVED_TABLES}
        last_day = con.execute("SELECT max(day) FROM vendor_daily").fetchone()
    finally:
        con.close()
    assert last_day == (datetime(2026, 4, 10).date(),)

    rebuilt = run_vendorwatch("rebuild", "--as-of", "2026-04-10T12:00:00Z", env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "metrics rebuild" in rebuilt.stdout
    con = duckdb.connect(str(settings.db), read_only=True)
    try:
        assert {n: table_of(con, n) for n in incremental} == incremental
    finally:
        con.close()


def table_of(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[object, ...]]:
    return con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()


def test_a_bad_as_of_is_refused_with_the_rule(tmp_path: Path) -> None:
    env = settings_env(Settings(db=tmp_path / "store.duckdb"))
    for value, fragment in (
        ("yesterday", "neither a date"),
        ("2026-03-31T12:00:00", "no UTC offset"),
    ):
        result = run_vendorwatch("metrics", "run", "--as-of", value, env=env)
        assert result.returncode == 2
        assert "--as-of" in result.stderr
        assert fragment in result.stderr
        assert "Traceback" not in result.stderr


def test_a_store_held_by_another_process_is_reported(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "store.duckdb")
    store = EventStore(settings.db)  # this test process holds the file, like a running engine
    try:
        result = run_vendorwatch("metrics", "run", env=settings_env(settings))
    finally:
        store.close()
    assert result.returncode == 1
    assert "in use by another process" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_engine_ingests_and_keeps_the_projections_current(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(metrics={"cycle_seconds": 1.0, "min_daily_responses": 10})
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=6)
    vendors = build_vendors(["healthy", "defect_surge"], start=start, end=now, seed=3)
    events = list(generate_events(vendors, start, now, seed=3, events_per_day=300))
    produce(events, settings.kafka_bootstrap, settings.topics.event_topics())

    engine = IngestProcess.start(settings, command="run")
    try:
        engine.wait_until_stored(len(events), timeout=120)
        stored_at = len(engine.lines)
        deadline = time.monotonic() + 30
        while not any("metrics incremental" in line for line in engine.lines[stored_at:]):
            assert time.monotonic() < deadline, engine.output()
            time.sleep(0.2)
    finally:
        engine.process.send_signal(signal.SIGTERM)
    assert engine.wait(timeout=60) == 0, engine.output()

    store = EventStore(settings.db)
    try:
        job = MetricsJob(store.connection, settings.metrics)
        as_of = job.last_as_of()
        assert as_of is not None
        live = {n: table(store, n, p) for n, p in DERIVED_TABLES}
        assert {v for v, _ in live["vendor_daily"]} == {v.vendor_id for v in vendors}
        responses = sum(1 for e in events if e.topic_type == "response_time")
        assert sum(r["responses"] for r in live["vendor_daily"].values()) == responses
        job.rebuild(as_of)
        assert {n: table(store, n, p) for n, p in DERIVED_TABLES} == live
    finally:
        store.close()
