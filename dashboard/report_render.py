"""The monthly review as CSV, XLSX, HTML and PDF (:mod:`dashboard.report` computes it).

Every renderer shows the same figures with the same rules: a percentage has two decimals
(``99.84%``), a change of a percentage is in percentage points (``+0.08 pp``), money is the
``Decimal`` rounded half-up to cents with its currency, a missing figure is ``—`` (never 0).

CSV layout (:data:`CSV_COLUMNS`): one row per vendor x figure, so every column has one
meaning: the vendor (``month``, ``vendor_id``, ``vendor_name``, ``tier``, ``service``,
``status``, ``cost_status``), then ``section`` (``service``, ``cost``, ``scores``, ``alerts``,
``contract``), ``metric`` (the read-model column), ``label``, ``unit``, ``current``,
``previous``, ``change``, ``change_unit``, ``trend`` (↑ ↓ →) and ``verdict`` (better, worse,
unchanged, neutral, unjudged). Values are unrounded and machine-readable: percentages in
percent (``unit`` ``%``, changes in ``pp``), money as the exact decimal (``unit`` the
currency), dates ISO 8601; an empty cell is a missing value. ``alerts`` rows count the
month's ``firing`` and ``resolved`` transitions; ``contract`` rows hold dates in ``current``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import astuple
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import jinja2
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from dashboard.report import (
    ARROW_DOWN,
    ARROW_UP,
    DISPLAY_DECIMALS,
    METRICS,
    Figure,
    Metric,
    MonthlyReview,
    Number,
    Unit,
    VendorReview,
)

MISSING = "—"
STATUS_TEXT = {"insufficient": "insufficient data", "no_data": "no data"}  # others: "_" -> " "
SUMMARY_METRICS = (
    *("success_rate", "latency_p95_ms", "sla_attainment", "defects_per_1k", "incidents_opened"),
    *("net_effective_cost", "backsourcing_score"),
)
CSV_COLUMNS = (
    *("month", "vendor_id", "vendor_name", "tier", "service", "status", "cost_status"),
    *("section", "metric", "label", "unit", "current", "previous", "change", "change_unit"),
    *("trend", "verdict"),
)
_SHOW = {"count": (1, ""), "fraction": (100, "%"), "percent": (1, "%")}
_SHOW |= {"ms": (1, " ms"), "per_1k": (1, ""), "points": (1, ""), "money": (1, "")}
"""unit -> (scale, suffix) of a shown value; its decimals are the review's rounding
(:data:`~dashboard.report.DISPLAY_DECIMALS`) less the digits the scale moves (a fraction
kept to 4 places is a percentage with 2)."""


def _places(unit: Unit) -> int:
    scale = _SHOW[unit][0]
    return DISPLAY_DECIMALS[unit] - (len(str(scale)) - 1)


def status_text(status: str | None) -> str:
    return STATUS_TEXT.get(status or "", (status or MISSING).replace("_", " "))


def show(
    metric: Metric, value: Number | None, currency: str | None = None, *, change: bool = False
) -> str:
    """A value (or with ``change``, a signed change) as every renderer prints it: rounded
    half-up, percentages with 2 decimals and their changes in points, money with its currency."""
    if value is None:
        return MISSING
    (scale, suffix), places = _SHOW[metric.unit], _places(metric.unit)
    if change and metric.unit in ("fraction", "percent"):
        suffix = " pp"
    if metric.unit == "money" and currency:
        suffix = f" {currency}"
    number = (Decimal(value) * scale).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    sign = "+" if (change or metric.unit == "percent") and number != 0 else ""
    return f"{abs(number) if number == 0 else number:{sign},.{places}f}{suffix}"


def _iso(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat() if value is not None else MISSING


# ---------------------------------------------------------------- CSV


def _machine(metric: Metric, value: Number | None) -> str:
    if value is None:
        return ""
    if metric.unit == "fraction":
        return str(float(value) * 100)
    return str(value)


_CSV_UNITS = {"fraction": ("%", "pp"), "percent": ("%", "pp"), "per_1k": ("per 1k", "per 1k")}
"""unit -> the CSV's (unit, change_unit); money's is the currency, others' the unit's name."""


def _inert(text: str) -> str:
    """Free text a spreadsheet would run as a formula gets a leading ``'`` (OWASP's advice)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(review: MonthlyReview) -> bytes:
    """The review as UTF-8 CSV, one row per vendor x figure (see the module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for v in review.vendors:
        names = [_inert(x or "") for x in (v.name, v.tier, v.service)]
        head = [f"{review.month:%Y-%m}", v.vendor_id, *names, v.status, v.cost_status or ""]
        for section, figures in v.sections:
            for f in figures:
                u = f.metric.unit
                money = (v.currency or "",) * 2
                unit, change_unit = money if u == "money" else _CSV_UNITS.get(u, (u, u))
                values = [_machine(f.metric, x) for x in (f.current, f.previous, f.change)]
                trend = [f.trend.arrow, f.trend.verdict] if f.trend else ["", ""]
                named = [section, f.metric.key, f.metric.label, unit]
                writer.writerow([*head, *named, *values, change_unit, *trend])
        c = v.contract
        for section, key, label, value in (
            ("alerts", "alerts_fired", "Alerts fired", v.alerts_fired),
            ("alerts", "alerts_resolved", "Alerts resolved", v.alerts_resolved),
            ("contract", "contract_end_date", "Contract end", c.end_date if c else None),
            ("contract", "notice_deadline", "Notice deadline", c.notice_deadline if c else None),
            ("contract", "act_by", "Act by", c.act_by if c else None),
        ):
            unit = "count" if section == "alerts" else "date"
            text = "" if value is None else str(value)  # a date's str() is ISO 8601
            writer.writerow([*head, section, key, label, unit, text, "", "", "", "", ""])
    return out.getvalue().encode("utf-8")


# ---------------------------------------------------------------- HTML


def _cell(f: Figure, currency: str | None) -> dict[str, str]:
    return {
        "current": show(f.metric, f.current, currency),
        "previous": show(f.metric, f.previous, currency),
        "change": show(f.metric, f.change, currency, change=True),
        "arrow": f.trend.arrow if f.trend else "",
        "verdict": f.trend.verdict if f.trend else "",
    }


def _view(review: MonthlyReview) -> dict[str, Any]:
    vendors = []
    for v in review.vendors:
        rows = [{"label": f.metric.label, **_cell(f, v.currency)} for f in v.figures]
        summary = [_cell(v.figure(k), v.currency) for k in SUMMARY_METRICS]
        vendors.append({"v": v, "rows": rows, "summary": summary})
    return {
        "review": review,
        "month": f"{review.month:%Y-%m}",
        "previous": f"{review.previous_month:%Y-%m}",
        "as_of": _iso(review.as_of),
        "labels": [METRICS[k].label for k in SUMMARY_METRICS],
        "vendors": vendors,
        "status_text": status_text,
        "iso": _iso,
        "money": lambda value, currency: show(METRICS["invoiced_amount"], value, currency),
        "yesno": lambda flag: MISSING if flag is None else "yes" if flag else "no",
    }


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Monthly vendor review {{ month }}</title>
<style>
body{font-family:system-ui,"Segoe UI",Roboto,Arial,sans-serif;font-size:13px;color:#1f2328;
margin:24px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 6px;
border-bottom:1px solid #d0d7de}h3{font-size:13px;margin:12px 0 4px}
.meta{color:#57606a;margin:2px 0 10px}
.notice{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px}
table{border-collapse:collapse;width:100%;margin:4px 0 10px}
th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}
.better{color:#1a7f37}.worse{color:#cf222e}.neutral,.unchanged,.unjudged{color:#57606a}
.arrow{font-weight:700}.small{display:block;font-size:11px;color:#57606a}
.status-no_data,.status-insufficient{color:#9a6700;font-weight:600}
@page{size:A4 landscape;margin:12mm}
@media print{body{margin:0;font-size:10px}.vendor{break-before:page}
thead{display:table-header-group}tr{break-inside:avoid}a{color:inherit;text-decoration:none}}
</style></head><body>
{%- macro trend(c) %}{% if c.arrow %}<span class="arrow {{ c.verdict }}" title="{{ c.verdict }}">
{{- c.arrow }}</span>{% endif %}{% endmacro %}
<h1>Monthly vendor review — {{ month }}</h1>
<p class="meta">Compared with {{ previous }} · data as of {{ as_of }} ·
{{ vendors|length }} vendor(s)</p>
{% if not review.complete %}<p class="notice">{{ month }} was still in progress at the snapshot:
volumes (responses, incidents, records exposed) are shown but not judged.</p>{% endif %}
<h2>All vendors</h2>
<table><thead><tr><th>Vendor</th><th>Tier</th><th>Status</th>
{% for label in labels %}<th>{{ label }}</th>{% endfor %}<th>Alerts fired / resolved</th>
</tr></thead><tbody>
{% for item in vendors %}{% set v = item.v %}<tr>
<td><a href="#vendor-{{ v.vendor_id }}">{{ v.display_name }}</a>
<span class="small">{{ v.vendor_id }}</span></td><td>{{ v.tier or "—" }}</td>
<td class="status-{{ v.status }}">{{ status_text(v.status) }}</td>
{% for c in item.summary %}<td class="num">{{ c.current }} {{ trend(c) }}
{%- if c.arrow %}<span class="small">{{ c.change }}</span>{% endif %}</td>{% endfor %}
<td class="num">{{ v.alerts_fired }} / {{ v.alerts_resolved }}</td></tr>
{% endfor %}</tbody></table>
{% for item in vendors %}{% set v = item.v %}
<section class="vendor" id="vendor-{{ v.vendor_id }}">
<h2>{{ v.display_name }} <small>({{ v.vendor_id }})</small></h2>
<p class="meta">{{ v.service or "—" }} · tier {{ v.tier or "—" }} · service
<span class="status-{{ v.status }}">{{ status_text(v.status) }}</span>
(before: {{ status_text(v.previous_status) }}) · cost {{ status_text(v.cost_status) }}
{%- if v.sla_breaches %} · SLA breached: {{ v.sla_breaches|join(", ") }}{% endif %}
{%- if not v.complete %} · month in progress{% endif %}</p>
<table><thead><tr><th>Figure</th><th>{{ month }}</th><th>{{ previous }}</th><th>Change</th>
<th>Trend</th></tr></thead><tbody>
{% for r in item.rows %}<tr><td>{{ r.label }}</td><td class="num">{{ r.current }}</td>
<td class="num">{{ r.previous }}</td><td class="num">{{ r.change }}</td>
<td>{{ trend(r) }} <span class="{{ r.verdict }}">{{ r.verdict }}</span></td></tr>
{% endfor %}</tbody></table>
<p class="meta">Scores as of {{ iso(v.scores_day) }}
{%- if v.cost_trend %} · cost trend: {{ v.cost_trend.direction }}{% endif %}</p>
<h3>Alerts in {{ month }}</h3>
{% if v.alerts %}<table><thead><tr><th>Period</th><th>Rule</th><th>State</th><th>Severity</th>
<th>Value</th><th>Reason</th></tr></thead><tbody>
{% for a in v.alerts %}<tr><td>{{ iso(a.period) }}</td><td>{{ a.rule }}</td><td>{{ a.state }}</td>
<td>{{ a.severity or "—" }}</td><td class="num">
{{- "%.2f"|format(a.value) if a.value is not none else "—" }}</td><td>{{ a.reason or "" }}</td>
</tr>{% endfor %}</tbody></table>{% else %}<p>No alert changes.</p>{% endif %}
<h3>Contract</h3>{% set c = v.contract %}
{% if c %}<p>Ends {{ iso(c.end_date) }} · notice deadline {{ iso(c.notice_deadline) }} ·
act by {{ iso(c.act_by) }} · auto-renew {{ yesno(c.auto_renew) }} ·
fee {{ money(c.monthly_fee, c.currency) }} / month ·
termination fee {{ money(c.termination_fee, c.currency) }}</p>
{% else %}<p>No contract in force at the month's end.</p>{% endif %}
</section>{% endfor %}
</body></html>
"""
_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(_HTML)


def to_html(review: MonthlyReview) -> str:
    """A self-contained printable page (inline CSS, print rules); every text is escaped."""
    return _TEMPLATE.render(**_view(review))


# ---------------------------------------------------------------- XLSX

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


# ---------------------------------------------------------------- PDF

_SYMBOL_ARROWS = {ARROW_UP: "\xad", ARROW_DOWN: "\xaf"}  # the Symbol font's arrowup/down
_COLOURS = {"better": (26, 127, 55), "worse": (207, 34, 46)}
_NEXT_LINE: dict[str, Any] = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


def _latin(text: str) -> str:
    """Core PDF fonts have cp1252's characters only; others become ``?``."""
    return text.replace(MISSING, "-").encode("cp1252", "replace").decode("cp1252")


class _Pdf(FPDF):
    def row(self, widths: list[float], texts: list[str], *, bold: bool = False) -> None:
        """A table row: the first column left-aligned, figures right-aligned."""
        if self.will_page_break(5):
            self.add_page()
        self.set_font("helvetica", "B" if bold else "", 8)
        for index, (width, text) in enumerate(zip(widths, texts, strict=True)):
            numeric = text[:1].isdigit() or text[:1] in "+-" or text in ("Change", MISSING)
            align = "R" if index and numeric else "L"
            self.cell(width, 5, _latin(text)[:60], border=1, align=align)
        self.ln(5)

    def figure_row(self, widths: list[float], f: Figure, currency: str | None) -> None:
        c = _cell(f, currency)
        self.row(widths, [f.metric.label, c["current"], c["previous"], c["change"], ""])
        if f.trend is None:
            return
        self.set_xy(self.l_margin + sum(widths[:-1]) + 1, self.get_y() - 5)
        self.set_text_color(*_COLOURS.get(f.trend.verdict, (87, 96, 106)))
        self.set_font("symbol", "", 8)
        self.cell(4, 5, _SYMBOL_ARROWS.get(f.trend.arrow, "\xae"))  # else arrowright
        self.set_font("helvetica", "", 8)
        self.cell(widths[-1] - 5, 5, f.trend.verdict, **_NEXT_LINE)
        self.set_text_color(0, 0, 0)

    def line_of(self, text: str, size: float = 8, style: str = "", height: float = 5) -> None:
        self.set_font("helvetica", style, size)
        self.multi_cell(0, height, _latin(text), **_NEXT_LINE)


def to_pdf(review: MonthlyReview) -> bytes:
    """A printable A4 landscape PDF: the summary, then each vendor's figures, alerts, contract.
    Core fonts only (no font files needed): characters outside cp1252 print as ``?``."""
    month, before = f"{review.month:%Y-%m}", f"{review.previous_month:%Y-%m}"
    pdf = _Pdf(orientation="L", format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(f"Monthly vendor review {month}")
    pdf.add_page()
    pdf.line_of(f"Monthly vendor review - {month}", 14, "B", 8)
    notice = "" if review.complete else " - month in progress: volumes are not judged"
    pdf.line_of(f"Compared with {before} - data as of {_iso(review.as_of)}{notice}", 9)
    keys = SUMMARY_METRICS[1:4] + SUMMARY_METRICS[5:]
    widths = [62.0, 18, 24, 34, 34, 34, 37, 34]
    header = ["Vendor", "Tier", "Status", *(METRICS[k].label for k in keys)]
    pdf.row(widths, header, bold=True)
    for v in review.vendors:
        cells = [show(METRICS[k], v.figure(k).current, v.currency) for k in keys]
        pdf.row(widths, [v.display_name, v.tier or MISSING, status_text(v.status), *cells])
    for v in review.vendors:
        if pdf.will_page_break(60):
            pdf.add_page()
        pdf.ln(4)
        pdf.line_of(f"{v.display_name} ({v.vendor_id})", 11, "B", 7)
        pdf.line_of(
            f"{v.service or MISSING} - tier {v.tier or MISSING} - service "
            f"{status_text(v.status)} - cost {status_text(v.cost_status)} - scores as of "
            f"{_iso(v.scores_day)}"
        )
        widths = [60.0, 45, 45, 45, 30]
        pdf.row(widths, ["Figure", month, before, "Change", "Trend"], bold=True)
        for f in v.figures:
            pdf.figure_row(widths, f, v.currency)
        for a in v.alerts:
            pdf.line_of(f"Alert {a.period}: {a.rule} {a.state} {a.severity or ''} - {a.reason}")
        if (c := v.contract) is not None:
            pdf.line_of(
                f"Contract ends {_iso(c.end_date)}, notice deadline {_iso(c.notice_deadline)}, "
                f"act by {_iso(c.act_by)}"
            )
    return bytes(pdf.output())


ReportFormat = Literal["pdf", "html", "csv", "xlsx"]


def render(review: MonthlyReview, report_format: ReportFormat) -> bytes:
    """The review in ``report_format`` as the bytes of the file (HTML in UTF-8): what
    ``vendorwatch report`` writes and the Monthly review page offers for download."""
    if report_format == "html":
        return to_html(review).encode("utf-8")
    return {"pdf": to_pdf, "csv": to_csv, "xlsx": to_xlsx}[report_format](review)
