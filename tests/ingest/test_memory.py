"""A standalone ingest process's memory habits, and DuckDB's limit growing with the index."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from ingest.batch import RecordChecks
from ingest.memory import size_in_bytes
from ingest.records import Record
from ingest.store import EventStore

NOW = datetime(2026, 11, 1, tzinfo=UTC)
CHECKS = RecordChecks(
    {"rt": "response_time"}, max_future_skew=timedelta(hours=24), max_record_bytes=10_000
)


def responses(first: int, count: int) -> list[Record]:
    return [
        Record(
            "rt",
            0,
            i,
            None,
            orjson.dumps(
                {
                    "type": "response_time",
                    "event_id": f"rt-{i:012d}",
                    "vendor_id": "acme",
                    "occurred_at": "2026-10-03T14:05:00Z",
                    "service": "helpdesk",
                    "latency_ms": 100.5,
                }
            ),
        )
        for i in range(first, first + count)
    ]


def limit_bytes(store: EventStore) -> int:
    rows = store.connection.execute("SELECT current_setting('memory_limit')").fetchall()
    return size_in_bytes(str(rows[0][0]))  # e.g. "32.0 MiB"


def index_bytes(store: EventStore) -> int:
    rows = store.connection.execute(
        "SELECT memory_usage_bytes FROM duckdb_memory() WHERE tag = 'ART_INDEX'"
    ).fetchall()
    return int(rows[0][0])


@pytest.mark.parametrize(
    ("text", "expected"),
    [("64MiB", 64 * 2**20), ("1.5 GB", 1_500_000_000), ("512KiB", 512 * 1024), ("8 MB", 8 * 10**6)],
)
def test_memory_sizes_read_as_duckdb_reads_them(text: str, expected: int) -> None:
    assert size_in_bytes(text) == expected


def test_a_memory_size_without_a_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="not a memory size"):
        size_in_bytes("64")


def test_the_limit_grows_with_the_event_id_index(tmp_path: Path) -> None:
    """A fixed cap that fits a fresh store ran out of memory at ~1.2M stored ids (64MiB)."""
    store = EventStore(tmp_path / "s.duckdb", memory_limit="32MiB")
    assert limit_bytes(store) == 32 * 2**20
    store.write_batch(responses(0, 60_000), CHECKS, received_at=NOW)
    assert index_bytes(store) > 0
    assert limit_bytes(store) >= 32 * 2**20 + index_bytes(store)
    store.close()
    # reopened, before DuckDB loads the index: its size is estimated from the stored ids
    reopened = EventStore(tmp_path / "s.duckdb", memory_limit="32MiB")
    assert limit_bytes(reopened) >= 32 * 2**20 + 60_000 * 15
    reopened.close()


def test_a_lean_ingest_process_never_imports_pandas_and_still_scans_arrow() -> None:
    script = """
import sys
from ingest.memory import lean_ingest_process
lean_ingest_process()
import duckdb, pyarrow as pa
table = pa.table({"latency_ms": [1.5, 2.5]})
con = duckdb.connect()
con.register("t", table)
print(con.execute("SELECT sum(latency_ms) FROM t").fetchall()[0][0])
try:
    import pandas
except ModuleNotFoundError as exc:
    print("refused:", exc)
print("pandas" in sys.modules, pa.default_memory_pool().backend_name)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.splitlines() == [
        "4.0",
        "refused: pandas is not used by a standalone ingest process",
        "False system",
    ]
