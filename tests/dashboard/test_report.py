"""The monthly review and its report: figures straight from the read model, honest arrows and
no-data months, and the same report as CSV, XLSX, HTML and PDF, also from the command line."""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from dashboard.report import (
    COST_METRICS,
    SERVICE_METRICS,
    MonthlyReview,
    NoFigures,
    monthly_review,
    parse_month,
    previous_month,
)
from dashboard.report_render import CSV_COLUMNS, to_csv, to_html, to_pdf, to_xlsx
from ingest.records import Record
from ingest.store import EventStore
from metrics.job import MetricsJob
from readmodel.contract import open_current
from readmodel.publish import publish
from tests.conftest import run_vendorwatch
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


@pytest.fixture(scope="module")
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


def test_figures_are_vendor_monthly_of_the_month_and_the_one_before(
    con: duckdb.DuckDBPyConnection,
) -> None:
    review = monthly_review(con, date(2026, 3, 17))
    assert (review.month, review.previous_month) == (MARCH, FEBRUARY)
    assert review.as_of == END
    assert review.complete
    assert {v.vendor_id for v in review.vendors} >= {"hooli-claims-1", QUIET}
    for vendor in review.vendors:
        if vendor.vendor_id == QUIET:
            continue
        now, before = (
            monthly(con, vendor.vendor_id, MARCH),
            monthly(con, vendor.vendor_id, FEBRUARY),
        )
        assert vendor.status == now["status"] == "ok"
        for metric in (*SERVICE_METRICS, *COST_METRICS):
            figure = vendor.figure(metric.key)
            assert (figure.current, figure.previous) == (now[metric.key], before[metric.key])
    hooli = next(v for v in review.vendors if v.vendor_id == "hooli-claims-1")
    records = hooli.figure("records_exposed")
    assert (records.current, records.previous, records.change) == (25003, 0, 25003)
    assert records.trend is not None
    assert (records.trend.arrow, records.trend.verdict) == (
        "↑",
        "worse",
    )
    cost = hooli.figure("net_effective_cost")
    assert isinstance(cost.current, Decimal)
    assert isinstance(cost.change, Decimal)
    assert cost.current == monthly(con, "hooli-claims-1", MARCH)["net_effective_cost"]
    assert (
        cost.change == cost.current - monthly(con, "hooli-claims-1", FEBRUARY)["net_effective_cost"]
    )


@pytest.mark.parametrize(
    ("metric", "rose", "arrow", "verdict"),
    [
        ("latency_p95_ms", True, "↑", "worse"),
        ("latency_p95_ms", False, "↓", "better"),
        ("sla_attainment", True, "↑", "better"),
        ("sla_attainment", False, "↓", "worse"),
    ],
)
def test_arrows_say_which_way_a_figure_went_and_whether_that_is_good(
    con: duckdb.DuckDBPyConnection, metric: str, rose: bool, arrow: str, verdict: str
) -> None:
    moved = 0
    for month in (FEBRUARY, MARCH):
        for vendor in monthly_review(con, month).vendors:
            if vendor.vendor_id == QUIET:
                continue
            now = round(monthly(con, vendor.vendor_id, month)[metric], 4)
            before = round(monthly(con, vendor.vendor_id, previous_month(month))[metric], 4)
            if now != before and (now > before) == rose:
                moved += 1
                trend = vendor.figure(metric).trend
                assert trend is not None
                assert (trend.arrow, trend.verdict) == (arrow, verdict)
    assert moved, f"the fixture has a vendor whose {metric} {'rose' if rose else 'fell'}"


def test_scores_are_the_month_ends_and_alerts_the_months_transitions(
    con: duckdb.DuckDBPyConnection,
) -> None:
    hooli = monthly_review(con, MARCH, "hooli-claims-1").vendors[0]
    assert hooli.scores_day == date(2026, 3, 31)
    ((security,),) = con.execute(
        "SELECT security_score FROM vendor_scores WHERE vendor_id = ? AND day = ?",
        ["hooli-claims-1", date(2026, 3, 31)],
    ).fetchall()
    assert hooli.figure("security_score").current == security
    logged = con.execute(
        "SELECT rule, period, state FROM alert_log WHERE vendor_id = 'hooli-claims-1' "
        "AND period >= DATE '2026-03-01' AND period < DATE '2026-04-01' ORDER BY period"
    ).fetchall()
    assert [(a.rule, a.period, a.state) for a in hooli.alerts] == logged
    assert hooli.alerts_fired == len(logged) > 0
    assert hooli.contract is not None
    assert hooli.contract.act_by is not None


def test_a_month_in_progress_is_shown_but_its_volumes_are_not_judged(
    con: duckdb.DuckDBPyConnection,
) -> None:
    review = monthly_review(con, APRIL)
    assert not review.complete
    vendor = next(v for v in review.vendors if v.vendor_id == "globex-it-1")
    assert vendor.scores_day == END.date()  # the latest day so far
    responses = vendor.figure("responses")
    assert responses.trend is not None
    assert responses.trend.arrow == "↓"
    assert responses.trend.verdict == "neutral"
    exposed = vendor.figure("records_exposed")
    assert exposed.trend is not None
    assert exposed.trend.verdict == "unchanged"  # equal figures: no better or worse


def test_a_vendor_without_data_says_so_and_never_shows_a_zero(
    con: duckdb.DuckDBPyConnection,
) -> None:
    review = monthly_review(con, APRIL, QUIET)
    (quiet,) = review.vendors
    assert (quiet.status, quiet.previous_status) == ("no_data", "no_data")
    assert quiet.display_name == QUIET_NAME
    assert quiet.tier == "low"
    for figure in (*quiet.service_figures, *quiet.cost_figures):
        assert (figure.current, figure.previous) == (None, None), figure.metric.key
        assert figure.trend is None
    assert monthly(con, QUIET, APRIL)["responses"] == 0  # the read model's count, not shown
    html = to_html(review)
    assert "no data" in html
    rows = list(csv.DictReader(io.StringIO(to_csv(review).decode())))
    service = [r for r in rows if r["section"] == "service"]
    assert service
    assert all(r["current"] == r["previous"] == "" for r in service)
    assert {r["status"] for r in rows} == {"no_data"}


def test_the_first_month_has_no_month_before(con: duckdb.DuckDBPyConnection) -> None:
    (acme,) = monthly_review(con, date(2026, 1, 1), "acme-support-1").vendors
    assert acme.previous_status == "no_data"
    latency = acme.figure("latency_p95_ms")
    assert latency.current is not None
    assert latency.previous is None
    assert latency.trend is None


def test_a_month_or_vendor_without_figures_is_an_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NoFigures, match=r"no figures for 2025-12 \(figures cover 2026-01"):
        monthly_review(con, date(2025, 12, 1))
    with pytest.raises(NoFigures, match="no figures for nobody in 2026-03"):
        monthly_review(con, MARCH, "nobody")


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-03", "2026-3", "March", ""])
def test_a_bad_month_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="is not a month"):
        parse_month(text)
    assert parse_month("2026-03") == MARCH


@pytest.fixture
def review(con: duckdb.DuckDBPyConnection) -> MonthlyReview:
    return monthly_review(con, MARCH)


def test_csv_has_one_row_per_vendor_and_figure(
    review: MonthlyReview, con: duckdb.DuckDBPyConnection
) -> None:
    reader = csv.DictReader(io.StringIO(to_csv(review).decode("utf-8")))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    rows = list(reader)
    per_vendor = len(review.vendors[0].figures) + 5  # + alerts fired/resolved, 3 contract dates
    assert len(rows) == len(review.vendors) * per_vendor
    assert {r["vendor_id"] for r in rows} == {v.vendor_id for v in review.vendors}
    hooli = {r["metric"]: r for r in rows if r["vendor_id"] == "hooli-claims-1"}
    expected = monthly(con, "hooli-claims-1", MARCH)
    cost = hooli["net_effective_cost"]
    assert Decimal(cost["current"]) == expected["net_effective_cost"]
    assert (cost["unit"], cost["section"]) == ("EUR", "cost")
    rate = hooli["success_rate"]
    assert float(rate["current"]) == pytest.approx(expected["success_rate"] * 100, abs=1e-12)
    assert (rate["unit"], rate["change_unit"], rate["trend"]) == ("%", "pp", "↑")
    assert hooli["records_exposed"]["current"] == "25003"
    assert int(hooli["alerts_fired"]["current"]) > 0
    quiet = next(r for r in rows if r["vendor_id"] == QUIET)
    assert quiet["vendor_name"] == QUIET_NAME
    assert quiet["service"] == "'" + QUIET_SERVICE  # a spreadsheet must not run it


def test_xlsx_has_a_sheet_per_section_with_styled_frozen_headers(
    review: MonthlyReview, con: duckdb.DuckDBPyConnection
) -> None:
    book = load_workbook(io.BytesIO(to_xlsx(review)))
    assert book.sheetnames == ["Summary", "Service", "Cost", "Scores", "Alerts", "Contracts"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].value == "Vendor ID"
        assert sheet["A1"].font.bold
    expected = monthly(con, "hooli-claims-1", MARCH)
    header = [c.value for c in book["Cost"][1]]
    row = next(
        list(r)
        for r in book["Cost"].iter_rows(min_row=2)
        if r[0].value == "hooli-claims-1" and r[2].value == "Net effective cost"
    )
    cells = dict(zip(header, row, strict=True))
    assert Decimal(str(cells["This month"].value)) == expected["net_effective_cost"]
    assert cells["This month"].number_format == "#,##0.00"
    assert cells["Currency"].value == "EUR"
    latency = next(
        r
        for r in book["Service"].iter_rows(min_row=2, values_only=True)
        if r[0] == "hooli-claims-1" and r[2] == "Latency p95"
    )
    assert latency[4] == expected["latency_p95_ms"]
    assert latency[7] == "↑"
    summary = {r[0]: r for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert set(summary) == {v.vendor_id for v in review.vendors}
    assert summary[QUIET][3] == QUIET_SERVICE  # text, not a formula
    assert (
        book["Summary"]
        .cell([r[0].value for r in book["Summary"].iter_rows()].index(QUIET) + 1, 4)
        .data_type
        == "s"
    )


def test_html_is_a_printable_page_with_arrows_and_escaped_names(review: MonthlyReview) -> None:
    html = to_html(review)
    assert html.startswith("<!doctype html>")
    assert "@media print" in html
    for vendor in review.vendors:
        if vendor.vendor_id != QUIET:
            assert vendor.display_name in html
        assert f'id="vendor-{vendor.vendor_id}"' in html
    assert "↑" in html
    assert "↓" in html
    assert 'class="arrow worse"' in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Quiet &amp; Co" in html
    assert "<link" not in html
    assert "src=" not in html


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


def test_pdf_is_a_pdf_naming_the_vendors(review: MonthlyReview) -> None:
    data = to_pdf(review)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "Monthly vendor review - 2026-03" in text
    for vendor in review.vendors:
        assert vendor.display_name in text
    assert "25,003" in text  # hooli's records exposed


def test_the_command_writes_each_format(published: Path, tmp_path: Path) -> None:
    env = {"VENDORWATCH_READ_MODEL__DIR": str(published), "VENDORWATCH_CONFIG": "/dev/null"}
    for fmt in ("pdf", "html", "csv", "xlsx"):
        done = run_vendorwatch(
            "report", "--month", "2026-03", "--format", fmt, cwd=tmp_path, env=env
        )
        assert done.returncode == 0, done.stderr
        path = tmp_path / f"report-2026-03.{fmt}"
        assert path.stat().st_size > 0
        assert f"wrote {path.name}" in done.stdout
    assert (tmp_path / "report-2026-03.pdf").read_bytes().startswith(b"%PDF-")
    out = tmp_path / "hooli.csv"
    done = run_vendorwatch(
        "report",
        "--month",
        "2026-03",
        "--vendor",
        "hooli-claims-1",
        "--format",
        "csv",
        "--output",
        str(out),
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert {r["vendor_id"] for r in csv.DictReader(io.StringIO(out.read_text()))} == {
        "hooli-claims-1"
    }


def test_the_command_explains_what_is_wrong(published: Path, tmp_path: Path) -> None:
    env = {"VENDORWATCH_READ_MODEL__DIR": str(published), "VENDORWATCH_CONFIG": "/dev/null"}
    bad_month = run_vendorwatch("report", "--month", "2026-13", "--format", "pdf", env=env)
    assert bad_month.returncode == 2
    assert "'2026-13' is not a month" in bad_month.stderr
    bad_format = run_vendorwatch("report", "--month", "2026-03", "--format", "doc", env=env)
    assert bad_format.returncode == 2
    assert "--format" in bad_format.stderr
    no_figures = run_vendorwatch(
        "report", "--month", "2025-12", "--format", "csv", cwd=tmp_path, env=env
    )
    assert no_figures.returncode == 1
    assert "no figures for 2025-12" in no_figures.stderr
    empty = {**env, "VENDORWATCH_READ_MODEL__DIR": str(tmp_path / "empty")}
    no_snapshot = run_vendorwatch("report", "--month", "2026-03", "--format", "csv", env=empty)
    assert no_snapshot.returncode == 1
    assert "no snapshot in" in no_snapshot.stderr
    assert not list(tmp_path.glob("report-*"))
