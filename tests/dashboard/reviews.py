"""The monthly review's fixture: the generated history plus a vendor that only ever sent its
profile, through the metrics job, published as a read-model snapshot (shared by the review's
tests and its files' tests)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from dashboard.report import monthly_review
from dashboard.report_model import MonthlyReview
from ingest.records import Record
from ingest.store import EventStore
from metrics.job import MetricsJob
from readmodel.contract import open_current
from readmodel.publish import publish
from tests.metrics.conftest import END, History
from vendorwatch.settings import MetricsSettings

MARCH, FEBRUARY, APRIL = date(2026, 3, 1), date(2026, 2, 1), date(2026, 4, 1)
QUIET = "quiet-vendor-1"
QUIET_NAME = "<script>alert('x')</script> Quiet & Co"
QUIET_SERVICE = '=HYPERLINK("http://x")'
QUIET_PROFILE = {
    "type": "vendor_profile",
    "event_id": "vp-quiet-1",
    "vendor_id": QUIET,
    "occurred_at": "2026-03-10T00:00:00Z",
    "name": QUIET_NAME,
    "service": QUIET_SERVICE,
    "tier": "low",
    "contract": {
        "start_date": "2026-03-01",
        "end_date": "2027-02-28",
        "notice_period_days": 60,
        "monthly_fee": "1000.00",
        "currency": "EUR",
    },
}


@pytest.fixture(scope="session")
def published(history: History, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated history plus a vendor that only ever sent its profile (in March), through
    the metrics job, published as a read-model snapshot; returns the snapshot directory."""
    root = tmp_path_factory.mktemp("report")
    store = EventStore(root / "engine.duckdb")
    try:
        quiet = [Record("vendor.registry", 1, 0, None, orjson.dumps(QUIET_PROFILE))]
        history.write(store, [*history.batches, quiet])
        MetricsJob(store.connection, MetricsSettings()).run(END)
        publish(store.connection, root / "readmodel", END + timedelta(minutes=1))
    finally:
        store.close()
    return root / "readmodel"


@pytest.fixture
def con(published: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    snapshot = open_current(published)
    yield snapshot.connection
    snapshot.connection.close()


def monthly(con: duckdb.DuckDBPyConnection, vendor: str, month: date) -> dict[str, Any]:
    cursor = con.execute(
        "SELECT * FROM vendor_monthly WHERE vendor_id = ? AND month = ?", [vendor, month]
    )
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchall()[0], strict=True))


@pytest.fixture
def review(con: duckdb.DuckDBPyConnection) -> MonthlyReview:
    return monthly_review(con, MARCH)


def pdf_text(data: bytes) -> str:
    """The literal strings the core fonts draw, from the PDF's Flate streams."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        texts += re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", content)
    return " ".join(re.sub(r"\\(.)", r"\1", t.decode("cp1252")) for t in texts)
