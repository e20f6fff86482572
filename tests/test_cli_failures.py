"""What ``vendorwatch ingest`` and ``vendorwatch run`` tell the user when storing fails."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest.consumer import StoreWriteFailed
from vendorwatch.cli import store_failure_lines
from vendorwatch.settings import Settings


def _failure(cause: BaseException) -> StoreWriteFailed:
    try:
        raise StoreWriteFailed(cause) from cause
    except StoreWriteFailed as failure:
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
