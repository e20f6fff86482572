"""Monthly review (vendor managers): every vendor's month next to the month before, with trend
arrows, a drill-down per vendor, and the report to download.

The figures, arrows and verdicts are :func:`dashboard.report.monthly_review`'s, so the page,
``vendorwatch report`` and the downloads agree; the files are rendered by the CLI's own
renderer (CSV at once, XLSX, HTML and PDF when their button is pressed). The month picker
offers the months ``vendor_monthly`` has, the last complete one first by default; the
``month`` query parameter (``YYYY-MM``) picks another and ``vendor_id`` opens a drill-down.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import data_reviews
from dashboard.data import SnapshotInfo
from dashboard.format import day, vendor_link
from dashboard.frame import PageContext
from dashboard.report_model import (
    HEADLINE_METRICS,
    Figure,
    MonthlyReview,
    NoFigures,
    VendorReview,
    parse_month,
)
from dashboard.report_render import ReportFormat
from dashboard.report_show import show, status_text

VERDICT_MARK = {"better": "🟢", "worse": "🔴", "unjudged": "", "neutral": "", "unchanged": ""}
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
    "pdf": "application/pdf",
}
LABELS = {"csv": "CSV", "xlsx": "XLSX", "html": "Printable HTML", "pdf": "PDF"}


def render(ctx: PageContext, snapshot: SnapshotInfo) -> None:
    """The page for the picked month."""
    months = data_reviews.review_months(snapshot.path)
    default = data_reviews.default_month(months)
    if default is None:
        st.info("No vendors yet: no monthly figures in the read model.", icon="⏳")
        return
    month = _picked_month(months, default)
    try:
        review = data_reviews.review(snapshot.path, month)
    except NoFigures as exc:
        st.info(f"Nothing to review: {exc}.")
        return
    if not review.complete:
        st.warning(
            f"{month:%Y-%m} is still in progress: volumes are compared with a partial month "
            "and not judged.",
            icon="⏳",
        )
    st.caption(
        f"{len(review.vendors)} vendors, {month:%Y-%m} against {review.previous_month:%Y-%m}. "
        "Arrows compare the values as shown; 🟢 better, 🔴 worse (volumes and figures of "
        "months with too little data are not judged)."
    )
    _downloads(snapshot.path, month)
    table = _overview(snapshot.path, month)
    st.dataframe(table, hide_index=True, width="stretch", key="monthly_vendors")
    _drill_down(review)


def _picked_month(months: pd.DataFrame, default: date) -> date:
    options: list[date] = list(months["month"])
    complete = dict(zip(options, months["complete"], strict=True))
    wanted = st.query_params.get("month")
    index = options.index(default)
    if wanted is not None:
        try:
            asked = parse_month(wanted)
        except ValueError as exc:
            st.warning(f"month: {exc}; showing {default:%Y-%m}.")
        else:
            if asked in options:
                index = options.index(asked)
            else:
                st.warning(f"No figures for {asked:%Y-%m}; showing {default:%Y-%m}.")
    picked: date = st.selectbox(
        "Month",
        options,
        index=index,
        format_func=lambda m: f"{m:%Y-%m}" + ("" if complete[m] else " (in progress)"),
        key="review_month",
    )
    st.query_params["month"] = f"{picked:%Y-%m}"
    return picked


def _downloads(path: str, month: date) -> None:
    columns = st.columns(len(LABELS))
    for column, (fmt, label) in zip(columns, LABELS.items(), strict=True):
        name = f"report-{month:%Y-%m}.{fmt}"
        content = (
            data_reviews.review_file(path, month, "csv")
            if fmt == "csv"
            else _deferred(path, month, fmt)
        )
        column.download_button(
            label,
            content,
            file_name=name,
            mime=MIME[fmt],
            key=f"download_{fmt}",
            on_click="ignore",
            icon=":material/download:",
            help=f"The same file as `vendorwatch report --month {month:%Y-%m} --format {fmt}`",
        )


def _deferred(path: str, month: date, fmt: str) -> Callable[[], bytes]:
    """A callable rendering the file when the button is pressed (XLSX, HTML, PDF are slow for
    many vendors)."""
    report_format: ReportFormat = fmt  # type: ignore[assignment]

    def content() -> bytes:
        return data_reviews.review_file(path, month, report_format)

    return content


def _cell(figure: Figure, currency: str | None) -> str:
    text = show(figure.metric, figure.current, currency)
    if figure.trend is None:
        return text
    mark = VERDICT_MARK[figure.trend.verdict]
    return f"{text} {figure.trend.arrow}{(' ' + mark) if mark else ''}"


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _overview(path: str, month: date) -> pd.DataFrame:
    """One row per vendor: status, the headline figures with arrows, alerts of the month."""
    review = data_reviews.review(path, month)
    rows = []
    for vendor in review.vendors:
        row: dict[str, object] = {
            "vendor": vendor_link(vendor.vendor_id),
            "name": vendor.display_name,
            "tier": vendor.tier,
            "status": status_text(vendor.status),
        }
        for key in HEADLINE_METRICS:
            figure = vendor.figure(key)
            row[figure.metric.label] = _cell(figure, vendor.currency)
        row["alerts fired"] = vendor.alerts_fired
        row["alerts resolved"] = vendor.alerts_resolved
        rows.append(row)
    return pd.DataFrame(rows)


def _drill_down(review: MonthlyReview) -> None:
    st.subheader("Drill-down")
    vendors = {v.vendor_id: v for v in review.vendors}
    wanted = st.query_params.get("vendor_id")
    ids = list(vendors)
    chosen = st.selectbox(
        "Vendor",
        ids,
        index=ids.index(wanted) if wanted in vendors else None,
        format_func=lambda v: f"{vendors[v].display_name} ({v})",
        placeholder="pick a vendor to see its month in full",
        key="review_vendor",
    )
    if chosen is None:
        st.query_params.pop("vendor_id", None)
        return
    st.query_params["vendor_id"] = chosen
    vendor = vendors[chosen]
    st.markdown(
        f"[Open the Vendor page]({vendor_link(chosen)}) · "
        f"[Backsourcing case](backsourcing?vendor_id={chosen})"
    )
    with st.expander(f"{vendor.display_name}: {review.month:%Y-%m} in full", expanded=True):
        _vendor_sections(vendor)


def _vendor_sections(vendor: VendorReview) -> None:
    st.caption(
        f"status {status_text(vendor.status)} (before: {status_text(vendor.previous_status)})"
        f" · cost {status_text(vendor.cost_status)} · tier {vendor.tier or '—'}"
        + (f" · SLA breached: {', '.join(vendor.sla_breaches)}" if vendor.sla_breaches else "")
    )
    for section, figures in vendor.sections:
        st.markdown(f"**{section.capitalize()}**")
        rows = [
            {
                "figure": f.metric.label,
                "this month": show(f.metric, f.current, vendor.currency),
                "month before": show(f.metric, f.previous, vendor.currency),
                "change": show(f.metric, f.change, vendor.currency, change=True),
                "trend": f.trend.arrow if f.trend else "",
                "verdict": f.trend.verdict if f.trend else "",
            }
            for f in figures
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if vendor.alerts:
        st.markdown(f"**Alerts** ({vendor.alerts_fired} fired, {vendor.alerts_resolved} resolved)")
        alerts = pd.DataFrame([a.__dict__ for a in vendor.alerts])
        st.dataframe(alerts, hide_index=True, width="stretch")
    contract = vendor.contract
    if contract is not None:
        st.markdown(
            f"**Contract** ends {day(contract.end_date)}"
            f"{' (auto-renews)' if contract.auto_renew else ''}; notice deadline "
            f"{day(contract.notice_deadline)}; act by {day(contract.act_by)}"
        )
