"""The monthly review as CSV, XLSX, HTML and PDF (:mod:`dashboard.report` computes it).

Every renderer shows the same figures by the same rules (:mod:`dashboard.report_show`); the
CSV and HTML renderers are here, XLSX in :mod:`dashboard.report_xlsx`, PDF in
:mod:`dashboard.report_pdf`; :func:`render` picks one by name.

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
from typing import Any, Literal

import jinja2

from dashboard.report_model import HEADLINE_METRICS, METRICS, Metric, MonthlyReview, Number
from dashboard.report_pdf import to_pdf
from dashboard.report_show import MISSING, show, shown, status_text, when
from dashboard.report_xlsx import to_xlsx

CSV_COLUMNS = (
    *("month", "vendor_id", "vendor_name", "tier", "service", "status", "cost_status"),
    *("section", "metric", "label", "unit", "current", "previous", "change", "change_unit"),
    *("trend", "verdict"),
)


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


def _view(review: MonthlyReview) -> dict[str, Any]:
    vendors = []
    for v in review.vendors:
        rows = [{"label": f.metric.label, **shown(f, v.currency)} for f in v.figures]
        summary = [shown(v.figure(k), v.currency) for k in HEADLINE_METRICS]
        vendors.append({"v": v, "rows": rows, "summary": summary})
    return {
        "review": review,
        "month": f"{review.month:%Y-%m}",
        "previous": f"{review.previous_month:%Y-%m}",
        "as_of": when(review.as_of),
        "labels": [METRICS[k].label for k in HEADLINE_METRICS],
        "vendors": vendors,
        "status_text": status_text,
        "iso": when,
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


ReportFormat = Literal["pdf", "html", "csv", "xlsx"]


def render(review: MonthlyReview, report_format: ReportFormat) -> bytes:
    """The review in ``report_format`` as the bytes of the file (HTML in UTF-8): what
    ``vendorwatch report`` writes and the Monthly review page offers for download."""
    if report_format == "html":
        return to_html(review).encode("utf-8")
    return {"pdf": to_pdf, "csv": to_csv, "xlsx": to_xlsx}[report_format](review)
