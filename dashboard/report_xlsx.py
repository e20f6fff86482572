"""The monthly review as an XLSX workbook (:func:`to_xlsx`): a sheet per section.

The values are the review's, unrounded; Excel's number formats show them by the rules of
:mod:`dashboard.report_show` (a percentage as ``0.00%``, its change in points).
"""

from __future__ import annotations

import io
from dataclasses import astuple

from dashboard.report_model import Figure, MonthlyReview, Number, VendorReview
from dashboard.report_show import status_text

_XLSX_FORMATS = {"count": "#,##0", "fraction": "0.00%", "percent": "0.00%", "ms": "#,##0.0"}
_XLSX_FORMATS |= {"per_1k": "0.00", "money": "#,##0.00", "points": "0.0"}
_XLSX_CHANGE = {"count": "+#,##0;-#,##0;0", "ms": "+#,##0.0;-#,##0.0;0.0", "points": "+0.0;-0.0;0"}
_XLSX_CHANGE |= {"fraction": '+0.00" pp";-0.00" pp";0" pp"', "per_1k": "+0.00;-0.00;0"}
_XLSX_CHANGE |= {"percent": _XLSX_CHANGE["fraction"], "money": "+#,##0.00;-#,##0.00;0"}
_DAY, _MONEY = "yyyy-mm-dd", "#,##0.00"
_CONTRACT_FORMATS = (_DAY, "0", _DAY, _DAY, None, _MONEY, _MONEY, None)  # Contract's fields
Cell = tuple[object, str | None]  # a value and its number format


def _xlsx_figure(v: VendorReview, f: Figure) -> list[Cell]:
    """Excel's units: a percentage is a fraction shown ``0.00%``; its change is in points."""
    m, scale, change_scale = f.metric, 1.0, 1.0
    if m.unit == "fraction":
        change_scale = 100.0
    elif m.unit == "percent":
        scale = 0.01

    def scaled(value: Number | None, by: float) -> object:
        return float(value) * by if value is not None and by != 1.0 else value

    fmt = _XLSX_FORMATS[m.unit]
    return [
        *((x, None) for x in (v.vendor_id, v.display_name, m.label)),
        (v.currency if m.unit == "money" else None, None),
        (scaled(f.current, scale), fmt),
        (scaled(f.previous, scale), fmt),
        (scaled(f.change, change_scale), _XLSX_CHANGE[m.unit]),
        (f.trend.arrow if f.trend else None, None),
        (f.trend.verdict if f.trend else None, None),
    ]


def _sheets(review: MonthlyReview) -> dict[str, tuple[str, list[list[Cell]]]]:
    """Sheet name -> (its column titles, ``|``-separated; its rows)."""
    vs = review.vendors
    figures = "Vendor ID|Vendor|Figure|Currency|This month|Previous month|Change|Trend|Verdict"
    return {
        "Summary": (
            "Vendor ID|Vendor|Tier|Service|Status|Previous status|Cost status|Currency"
            "|Month complete|Scores as of|Alerts fired|Alerts resolved",
            [
                [(x, None) for x in (v.vendor_id, v.display_name, v.tier, v.service)]
                + [(status_text(x), None) for x in (v.status, v.previous_status, v.cost_status)]
                + [(v.currency, None), (v.complete, None), (v.scores_day, _DAY)]
                + [(v.alerts_fired, "0"), (v.alerts_resolved, "0")]
                for v in vs
            ],
        ),
        "Service": (figures, [_xlsx_figure(v, f) for v in vs for f in v.service_figures]),
        "Cost": (figures, [_xlsx_figure(v, f) for v in vs for f in v.cost_figures]),
        "Scores": (figures, [_xlsx_figure(v, f) for v in vs for f in v.score_figures]),
        "Alerts": (
            "Vendor ID|Vendor|Period|Rule|Metric|Grain|State|Severity|Value|Reason",
            [
                [(v.vendor_id, None), (v.display_name, None), (a.period, _DAY)]
                + [(x, None) for x in (a.rule, a.metric, a.grain, a.state, a.severity)]
                + [(a.value, "0.00"), (a.reason, None)]
                for v in vs
                for a in v.alerts
            ],
        ),
        "Contracts": (
            "Vendor ID|Vendor|Contract end|Notice period days|Notice deadline|Act by"
            "|Auto-renew|Monthly fee|Termination fee|Currency",
            [
                [
                    (v.vendor_id, None),
                    (v.display_name, None),
                    *zip(astuple(c), _CONTRACT_FORMATS, strict=True),
                ]
                for v in vs
                if (c := v.contract) is not None
            ],
        ),
    }


def to_xlsx(review: MonthlyReview) -> bytes:
    """A workbook with a sheet per section (Summary, Service, Cost, Scores, Alerts, Contracts):
    a bold shaded frozen header row, number formats by unit; money is written from the exact
    decimal (Excel holds every number as a double); text is never read as a formula."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    book = Workbook()
    book.remove(book.active)
    book.properties.title = f"Monthly vendor review {review.month:%Y-%m}"
    for name, (titles, rows) in _sheets(review).items():
        ws = book.create_sheet(name)
        header = titles.split("|")
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE4EE")
        ws.freeze_panes = "A2"
        for row in rows:
            ws.append([value for value, _ in row])
            for cell, (value, number_format) in zip(ws[ws.max_row], row, strict=True):
                if number_format:
                    cell.number_format = number_format
                if isinstance(value, str):
                    cell.data_type = "s"  # text, never a formula (openpyxl's reading of "=...")
        for index, title in enumerate(header, start=1):
            ws.column_dimensions[get_column_letter(index)].width = max(12, len(title) + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
