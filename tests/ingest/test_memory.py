"""A standalone ingest process's memory habits, and a DuckDB cap that holds as the store grows."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from ingest.batch import RecordChecks
from ingest.chunks import records_table
from ingest.records import Record
from ingest.store import EventStore
from vendorwatch.settings import Settings

NOW = datetime(2026, 11, 1, tzinfo=UTC)
CHECKS = RecordChecks(
    {"rt": "response_time"}, max_future_skew=timedelta(hours=24), max_record_bytes=10_000
)


def responses(first: int, count: int, *, partition: int = 0) -> list[Record]:
    return [
        Record(
            "rt",
            partition,
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


def limit(store: EventStore) -> str:
    return str(store.connection.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])


def test_a_fixed_cap_holds_as_the_stored_ids_grow(tmp_path: Path) -> None:
    """With the ids in a DuckDB primary key, a fixed cap that fitted a fresh store ran out of
    memory once the index outgrew it (~1.2M ids at 64MiB). The ids' hashes live outside
    DuckDB now: the default cap stays what was asked for and keeps storing, before and after
    a reopen."""
    cap = Settings().ingest_memory_limit
    store = EventStore(tmp_path / "s.duckdb", memory_limit=cap)
    for first in range(0, 240_000, 40_000):
        outcome = store.write_batch(responses(first, 40_000), CHECKS, received_at=NOW)
        assert outcome.stored["response_time"] == 40_000
    assert limit(store) == "48.0 MiB"
    store.close()
    reopened = EventStore(tmp_path / "s.duckdb", memory_limit=cap)
    # the same ids again from another partition: 200,000-239,999 are repeats of stored events
    again = reopened.write_batch(responses(200_000, 50_000, partition=1), CHECKS, received_at=NOW)
    assert again.stored["response_time"] == 10_000
    assert again.duplicates == 40_000
    assert limit(reopened) == "48.0 MiB"
    count = reopened.connection.execute("SELECT count(*) FROM response_times").fetchall()
    assert count == [(250_000,)]
    reopened.close()


def test_a_transaction_several_times_the_default_cap_spills_instead_of_failing(
    tmp_path: Path,
) -> None:
    """~1 KB records, five 30k batches staged into one transaction: ~150 MB of staged events
    under the 48 MiB default, which DuckDB spills to ``<file>.tmp`` and stores."""
    store = EventStore(tmp_path / "s.duckdb", memory_limit=Settings().ingest_memory_limit)
    padding = {"source": "s" * 128, "request_id": "r" * 400, "service": "x" * 128}
    for first in range(0, 150_000, 30_000):
        batch = [
            Record(
                r.topic,
                r.partition,
                r.offset,
                b"k" * 40,
                orjson.dumps(orjson.loads(r.value or b"{}") | padding),
            )
            for r in responses(first, 30_000)
        ]
        store.stage(records_table(batch), CHECKS, received_at=NOW)
    spilled = store.connection.execute(
        "SELECT sum(temporary_storage_bytes) FROM duckdb_memory()"
    ).fetchall()[0][0]
    assert spilled > 50 * 1024 * 1024  # what did not fit under the cap went to <file>.tmp
    outcome = store.commit_staged(received_at=NOW)
    assert outcome.stored["response_time"] == 150_000
    assert not outcome.dead_letters
    stored = store.connection.execute(
        "SELECT count(*), count(DISTINCT event_id), min(strlen(raw)) FROM response_times"
    ).fetchall()
    assert stored[0][:2] == (150_000, 150_000)
    assert stored[0][2] > 700
    store.close()


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


def test_the_command_line_and_its_settings_import_no_http_client() -> None:
    """Every command loads the settings, which describe alert channels; the HTTP client
    (httpx, and with it rich and pygments, ~6 MB resident) is for sending alerts only."""
    script = """
import sys
import vendorwatch.cli.main
from vendorwatch.settings import Settings
Settings(alerting={"channels": {"ops": {"type": "webhook", "url": "https://h.example/x?k=v"}}})
print(sorted(m for m in ("httpx", "rich", "pygments", "streamlit", "pandas") if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.splitlines() == ["[]"]


def test_staging_a_batch_loads_no_pyarrow_engine_or_filesystem_layer() -> None:
    """pyarrow's Acero (Table.group_by) drags in its dataset and filesystem layers."""
    script = """
import sys
from datetime import UTC, datetime, timedelta
from ingest.batch import RecordChecks
from ingest.chunks import records_table
from ingest.memory import lean_ingest_process
from ingest.records import Record
from ingest.store import EventStore
from vendorwatch.settings import Settings
lean_ingest_process()
store = EventStore(":memory:")
checks = RecordChecks({"rt": "response_time"}, timedelta(hours=24), 10_000)
bad = [Record("rt", 0, 0, None, b"{}"), Record("rt", 1, 5, None, b"[]")]
outcome = store.write_batch(bad, checks, received_at=datetime.now(UTC))
print(len(outcome.dead_letters), sorted(store.next_offsets().items()))
print(sorted(m for m in ("pyarrow.acero", "pyarrow.dataset", "pyarrow.fs") if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.splitlines() == ["2 [(('rt', 0), 1), (('rt', 1), 6)]", "[]"]
