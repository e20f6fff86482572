"""The monthly review's files: the same report as CSV, XLSX, HTML and PDF, also from the
command line (``vendorwatch report``)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from dashboard.report_model import MonthlyReview
from dashboard.report_pdf import to_pdf
from dashboard.report_render import CSV_COLUMNS, to_csv, to_html
from dashboard.report_xlsx import to_xlsx
from tests.conftest import run_vendorwatch
from tests.dashboard.reviews import MARCH, QUIET, QUIET_NAME, QUIET_SERVICE, monthly, pdf_text


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
