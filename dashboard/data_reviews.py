"""Data for the Monthly review and Backsourcing case pages, over the read-model snapshot.

Same contract as :mod:`dashboard.data` (whose connection cache it shares): the snapshot path
is the first argument and part of every cache key (a snapshot never changes), SQL is
parameterized, each query runs on its own cursor, money stays ``Decimal``.

* :func:`review_months` lists the months ``vendor_monthly`` has; :func:`default_month` is the
  last month complete for every vendor (else the latest);
* :func:`review` is :func:`dashboard.report.monthly_review` — the very figures
  ``vendorwatch report`` prints — and :func:`review_file` renders it with the function the CLI
  uses, :func:`dashboard.report_render.render` (the same bytes);
* :func:`case` is :func:`metrics.backsourcing.backsourcing_case`; :func:`monthly_trends` the
  vendor's last complete months with Theil-Sen trends; :func:`cumulative_costs` the 36-month
  cost paths vendor vs in-house with the break-even month (see its docstring for the model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd
import streamlit as st

from dashboard.data import _frame, _open
from dashboard.report import monthly_review
from dashboard.report_model import MonthlyReview, next_month
from dashboard.report_render import ReportFormat, render
from metrics.backsourcing import BacksourcingCase, backsourcing_case
from metrics.trends import Trend, trend

HORIZON_MONTHS = 36
TREND_MONTHS = 6
_QUERY_CACHE = {"max_entries": 256, "ttl": 3600, "show_spinner": False}


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def review_months(path: str) -> pd.DataFrame:
    """Each month of ``vendor_monthly`` (first day, newest first), its vendors and whether it
    had ended for all of them (``complete``)."""
    return _frame(
        path,
        """SELECT month, count(*) AS vendors, bool_and(complete) AS complete
        FROM vendor_monthly GROUP BY month ORDER BY month DESC""",
    )


def default_month(months: pd.DataFrame) -> date | None:
    """The last complete month, else the latest one; None without months."""
    if months.empty:
        return None
    complete = months[months["complete"]]
    chosen = complete if not complete.empty else months
    value: date = chosen["month"].iloc[0]
    return value


@st.cache_resource(max_entries=16, show_spinner=False)
def review(path: str, month: date) -> MonthlyReview:
    """The monthly review of ``month`` for every vendor (raises ``NoFigures`` when none).
    Shared, not copied, between sessions (``cache_resource``): it is immutable, and
    unpickling a thousand vendors' figures on every rerun would cost more than computing
    the page."""
    cursor = _open(path).connection.cursor()
    try:
        return monthly_review(cursor, month)
    finally:
        cursor.close()


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def review_file(path: str, month: date, report_format: ReportFormat) -> bytes:
    """The review as ``vendorwatch report --month M --format F`` writes it (same renderer)."""
    rendered: bytes = render(review(path, month), report_format)
    return rendered


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def case(path: str, vendor_id: str, day: date) -> BacksourcingCase | None:
    """The backsourcing case as of ``day`` (its latest scored day on or before); None
    without scores."""
    cursor = _open(path).connection.cursor()
    try:
        return backsourcing_case(cursor, vendor_id, day)
    finally:
        cursor.close()


@st.cache_data(**_QUERY_CACHE)  # type: ignore[call-overload,untyped-decorator]
def monthly_trends(path: str, vendor_id: str, day: date) -> pd.DataFrame:
    """The vendor's last :data:`TREND_MONTHS` months before ``day``'s month (oldest first):
    status, p95 latency, SLA attainment, success rate, defects per 1k, net effective cost."""
    return _frame(
        path,
        """SELECT month, status, latency_p95_ms, sla_attainment, success_rate, defects_per_1k,
            net_effective_cost, currency
        FROM (SELECT * FROM vendor_monthly
              WHERE vendor_id = $vendor AND month < date_trunc('month', CAST($day AS DATE))
              ORDER BY month DESC LIMIT $months)
        ORDER BY month""",
        {"vendor": vendor_id, "day": day, "months": TREND_MONTHS},
    )


def series_trend(frame: pd.DataFrame, column: str) -> Trend:
    """Theil-Sen / Mann-Kendall trend of one column of :func:`monthly_trends` (the engine's
    own :func:`metrics.trends.trend`); missing months stay missing."""
    values = [None if pd.isna(v) else float(v) for v in frame[column]]
    return trend(values)


@dataclass(frozen=True)
class CostPaths:
    """Cumulative cost month by month from the earliest in-house start: ``frame`` has
    ``month`` (0..36), ``starts`` (the calendar month), ``vendor`` and ``in_house``
    (``Decimal``); ``break_even`` is the first month the in-house path is no dearer (None:
    never), possibly beyond the horizon; ``upfront`` = one-time cost (+ termination fee)."""

    frame: pd.DataFrame
    break_even: int | None
    upfront: Decimal
    currency: str | None


def cumulative_costs(case: BacksourcingCase) -> CostPaths | str:
    """The two cost paths, or why they cannot be drawn.

    Model (stated on the page): month 0 is the earliest in-house start (the scored day plus
    the lead time); until then both paths pay the vendor, so that stretch is left out. The
    vendor path pays the current run-rate every month. The in-house path pays the one-time
    cost at month 0 — plus the vendor's termination fee when the start falls before the
    contract's end (leaving early) — then the in-house monthly cost. Break-even is the first
    month m with upfront + m x in-house <= m x run-rate, i.e. ceil(upfront / saving), the
    same figure as the case's payback (rounded up to whole months).
    """
    if case.inhouse_monthly_cost is None or case.one_time_cost is None:
        return (
            "No in-house estimate in the contract's currency in the vendor's profile"
            f" ({case.profile_event_id or 'no profile in force'}): the cost paths and a "
            "break-even point cannot be computed."
        )
    if case.run_rate is None:
        return (
            "No vendor run-rate yet (no invoiced month in the contract's currency in the three "
            "months before this one): the cost paths cannot be computed."
        )
    fee = case.termination_fee if case.termination_applies and case.termination_fee else Decimal(0)
    upfront = case.one_time_cost + fee
    start = case.earliest_inhouse_start or case.day
    first = start.replace(day=1)
    steps = range(HORIZON_MONTHS + 1)
    months, cursor = [], first
    for _ in steps:
        months.append(cursor)
        cursor = next_month(cursor)
    frame = pd.DataFrame(
        {
            "month": list(steps),
            "starts": months,
            "vendor": [case.run_rate * m for m in steps],
            "in_house": [upfront + case.inhouse_monthly_cost * m for m in steps],
        }
    )
    saving = case.run_rate - case.inhouse_monthly_cost
    break_even = math.ceil(upfront / saving) if saving > 0 else None
    return CostPaths(frame, break_even, upfront, case.currency)
