"""``vendorwatch report``: the Monthly review page's report, from the command line.

It reads the current read-model snapshot (never the engine's database, so it runs while the
engine does) and writes the same report the dashboard downloads.

Exit status: 0 written; 1 no snapshot yet, no figures for the month (or vendor), or the file
could not be written; 2 a bad ``--month``, ``--format`` or setting.
"""

from __future__ import annotations

from datetime import UTC
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from vendorwatch.cli.common import settings_or_exit, snapshot_or_exit


class ReportFormat(StrEnum):
    pdf = "pdf"
    html = "html"
    csv = "csv"
    xlsx = "xlsx"


def report(
    month: Annotated[str, typer.Option("--month", help="The month to review, YYYY-MM.")],
    report_format: Annotated[
        ReportFormat, typer.Option("--format", help="pdf, html (printable), csv or xlsx.")
    ],
    vendor: Annotated[
        str | None, typer.Option("--vendor", help="Only this vendor_id (default: all).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="File to write (default: report-YYYY-MM[-VENDOR].EXT here)."
        ),
    ] = None,
) -> None:
    """The monthly vendor review: each vendor's month next to the one before, with trends."""
    from dashboard.report import monthly_review
    from dashboard.report_model import NoFigures, parse_month
    from dashboard.report_render import render

    try:
        first_day = parse_month(month)
    except ValueError as exc:
        typer.echo(f"vendorwatch: --month: {exc}", err=True)
        raise typer.Exit(2) from None
    settings = settings_or_exit()
    snapshot = snapshot_or_exit(settings)
    try:
        review = monthly_review(snapshot.connection, first_day, vendor)
    except NoFigures as exc:
        typer.echo(f"vendorwatch: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        snapshot.connection.close()
    suffix = f"-{vendor}" if vendor else ""
    path = output or Path(f"report-{first_day:%Y-%m}{suffix}.{report_format.value}")
    try:
        path.write_bytes(render(review, report_format.value))
    except OSError as exc:
        typer.echo(f"vendorwatch: cannot write {path}: {exc}", err=True)
        raise typer.Exit(1) from None
    as_of = (
        f", data as of {review.as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if review.as_of else ""
    )
    typer.echo(f"wrote {path} ({len(review.vendors)} vendor(s), {first_day:%Y-%m}{as_of})")
