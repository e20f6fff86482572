"""What ``vendorwatch ingest`` and ``vendorwatch run`` tell the user when storing fails."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest.progress import StoreWriteFailed
from ingest.schema import SCHEMA_VERSION
from ingest.store import EventStore
from tests.conftest import run_vendorwatch
from vendorwatch.cli.common import store_failure_lines
from vendorwatch.settings import Settings


def _failure(cause: BaseException) -> StoreWriteFailed:
    """As the ingest loop raises it: ``raise StoreWriteFailed(cause) from cause``."""
    failure = StoreWriteFailed(cause)
    failure.__cause__ = cause
    return failure


def _out_of_memory() -> duckdb.OutOfMemoryException:
    """A real one, from DuckDB under a 1 MB limit."""
    con = duckdb.connect(config={"memory_limit": "1MB", "threads": 1})
    try:
        con.execute("SELECT list(range) FROM range(5000000)").fetchall()
    except duckdb.OutOfMemoryException as exc:
        return exc
    finally:
        con.close()
    raise AssertionError("DuckDB did not run out of memory under 1 MB")


def test_out_of_memory_in_standalone_ingest_names_the_setting_to_raise(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "v.duckdb", ingest_memory_limit="48MiB")
    lines = store_failure_lines(_failure(_out_of_memory()), settings, capped=True)

    assert lines[0].startswith("vendorwatch: storing a batch failed: OutOfMemoryException: ")
    assert "\n" not in lines[0]
    assert "ingest_memory_limit (48MiB)" in lines[1]
    assert "VENDORWATCH_INGEST_MEMORY_LIMIT" in lines[1]
    assert f"Nothing is lost: what was committed stays in {settings.db}" in lines[2]


def test_out_of_memory_in_the_engine_does_not_blame_the_ingest_cap(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "v.duckdb")
    lines = store_failure_lines(_failure(_out_of_memory()), settings, capped=False)

    assert "ingest_memory_limit" not in " ".join(lines)
    assert lines[1] == (
        "DuckDB ran out of memory: give the engine more memory, or fewer vendors per engine."
    )


@pytest.mark.parametrize("capped", [True, False])
def test_other_failures_say_what_broke_and_that_nothing_is_lost(
    tmp_path: Path, capped: bool
) -> None:
    settings = Settings(db=tmp_path / "v.duckdb")
    lines = store_failure_lines(
        _failure(OSError("No space left on device")), settings, capped=capped
    )

    assert lines == [
        "vendorwatch: storing a batch failed: OSError: No space left on device",
        f"Nothing is lost: what was committed stays in {settings.db}, and the next run "
        "continues from its stored offsets. Run with --verbose for the traceback.",
    ]


def test_out_of_memory_as_the_store_opens_is_explained_too(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "v.duckdb", ingest_memory_limit="1MiB")
    lines = store_failure_lines(_out_of_memory(), settings, capped=True)

    assert lines[0].startswith("vendorwatch: opening the store failed: OutOfMemoryException: ")
    assert "ingest_memory_limit (1MiB)" in lines[1]
    assert lines[2].startswith("Nothing is lost: ")


def test_vendorwatch_ingest_with_too_little_memory_to_open_exits_1_readably(
    tmp_path: Path,
) -> None:
    result = run_vendorwatch(
        "ingest",
        "--drain",
        cwd=tmp_path,
        env={
            "VENDORWATCH_CONFIG": "/dev/null",
            "VENDORWATCH_DB": str(tmp_path / "v.duckdb"),
            "VENDORWATCH_INGEST_MEMORY_LIMIT": "1MiB",
        },
        timeout=60,
    )

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 3, result.stderr
    assert lines[0].startswith("vendorwatch: opening the store failed: OutOfMemoryException: ")
    assert "ingest_memory_limit (1MiB) allows: raise VENDORWATCH_INGEST_MEMORY_LIMIT" in lines[1]
    assert lines[2].startswith("Nothing is lost: ")


def test_vendorwatch_ingest_refuses_a_store_of_a_newer_schema_readably(tmp_path: Path) -> None:
    path = tmp_path / "v.duckdb"
    EventStore(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE store_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    result = run_vendorwatch(
        "ingest",
        "--drain",
        cwd=tmp_path,
        env={"VENDORWATCH_CONFIG": "/dev/null", "VENDORWATCH_DB": str(path)},
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"vendorwatch: {path}: the store has schema version 99, newer than this build's "
        f"{SCHEMA_VERSION}: open it with the vendorwatch version that wrote it"
    ]
