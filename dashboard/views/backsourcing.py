"""Backsourcing case for one vendor: the decision factors with their evidence, the 36-month
cumulative cost of staying vs bringing the work in-house with the break-even month, and the
backsource-vs-switch hint.

Everything comes from :func:`metrics.backsourcing.backsourcing_case` (what ``vendorwatch
explain`` prints) as of the snapshot's day, and from ``vendor_monthly`` for the monthly
trends; each factor names the table, day or month and profile event its figures come from.
Query parameter ``vendor_id`` picks the vendor (default: the highest backsourcing score).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import charts, data_reviews
from dashboard.data import SnapshotInfo
from dashboard.format import day, money, number, vendor_link
from dashboard.frame import PageContext, picked_vendor, vendor_board
from metrics.backsourcing import ACCEPTABLE, BacksourcingCase

HINTS = {
    "backsourcing": ("Consider backsourcing", st.error),
    "switch_vendor": ("Consider switching vendor or renegotiating", st.warning),
    "monitor": ("Monitor", st.success),
    "insufficient_data": ("Not enough data to judge", st.info),
}
ASSUMPTION = (
    "**How the paths are drawn.** Month 0 is the earliest in-house start: {start} (the scored "
    "day plus the in-house lead time of {lead} days); until then both paths pay the vendor, "
    "so that stretch is left out. *Stay*: the current run-rate every month. *In-house*: the "
    "one-time cost at month 0{fee}, then the in-house monthly cost. Prices are held flat (no "
    "inflation, no renewal increase)."
)


def render(ctx: PageContext, snapshot: SnapshotInfo) -> None:
    """The page for the vendor the query names (or the one with the strongest case)."""
    nothing = "No vendors yet: nothing to make a case for until events are ingested."
    board = vendor_board(snapshot, nothing, scored=True)
    as_of_day = snapshot.as_of_day
    if board is None or as_of_day is None:
        return
    vendor_id = picked_vendor(board, key="case_vendor")
    case = data_reviews.case(snapshot.path, vendor_id, as_of_day)
    if case is None:
        st.info(
            f"{vendor_id} has no scores yet (no day scored on or before {as_of_day}): the case "
            "needs at least one metrics run over its events."
        )
        return
    st.header(f"{case.name or vendor_id}")
    st.markdown(f"[Open the Vendor page]({vendor_link(vendor_id)})")
    title, box = HINTS[case.hint]
    box(f"**{title}** — {case.hint_reason}.")
    st.caption(
        f"As of {case.day} (vendor_scores, policy {case.scores.get('policy_version')}); "
        f"backsourcing score {number(case.scores.get('backsourcing_score'), '.0f')}/100 "
        "(high: a strong case for a serious look)."
    )
    _factors(snapshot.path, case)
    _cost_paths(case)


def _factor(title: str, finding: str, evidence: str) -> None:
    with st.container(border=True):
        st.markdown(f"**{title}** — {finding}")
        st.caption(f"Evidence: {evidence}")


def _factors(path: str, case: BacksourcingCase) -> None:
    s: dict[str, Any] = case.scores
    st.subheader("Decision factors")
    scored = f"vendor_scores of {case.day}"
    profile = f"profile_terms event {case.profile_event_id}" if case.profile_event_id else None
    cur = case.currency
    if case.run_rate is None:
        cost = "no run-rate yet (no invoiced month in the contract currency)"
    elif case.monthly_saving is None:
        cost = f"run-rate {money(case.run_rate, cur)}/month; no in-house estimate to compare"
    else:
        verb = "saves" if case.monthly_saving > 0 else "costs more by"
        cost = (
            f"run-rate {money(case.run_rate, cur)}/month vs in-house "
            f"{money(case.inhouse_monthly_cost, cur)}/month: in-house {verb} "
            f"{money(abs(case.monthly_saving), cur)}/month; cost score "
            f"{number(s.get('cost_score'), '.0f')}"
        )
    _factor(
        "Cost",
        cost,
        f"{scored}: run_rate = mean invoiced amount of the last {s.get('cost_months') or 0} "
        f"invoiced month(s), contracted fee {money(case.contracted_fee, cur)}, variance "
        f"{number(s.get('variance_pct'), '+.1f', '%')}; in-house monthly cost from "
        f"{profile or 'no profile'} (insourcing)",
    )
    _factor("Quality and performance", _quality(s), _quality_evidence(path, case))
    _factor(
        "Strategic importance",
        f"tier {case.tier or 'unknown'}",
        f"{profile or 'no profile in force'} (tier)",
    )
    security = (
        f"security score {number(s.get('security_score'), '.0f')}"
        f"{' (below ' + format(ACCEPTABLE, '.0f') + ')' if _below(s.get('security_score')) else ''}"
        f"; in 90 days {s.get('incidents_critical_90d')} critical and "
        f"{s.get('incidents_high_90d')} high incidents, {s.get('open_critical_incidents')} "
        f"critical still open, {number(s.get('records_exposed_90d'), ',.0f')} records exposed"
    )
    _factor("Security risk", security, f"{scored} (incident columns over the 90 days to it)")
    fee = money(case.termination_fee, cur)
    terms = (
        f"contract ends {day(case.contract_end)}"
        f"{' and auto-renews' if case.auto_renew else ' (no auto-renewal)'}; notice deadline "
        f"{day(case.notice_deadline)}; termination fee {fee}"
        + (
            " (due: an in-house start falls before the contract's end)"
            if case.termination_applies
            else ""
        )
    )
    _factor("Contract terms", terms, f"{profile or 'no profile in force'}")
    if case.act_by is None:
        timing = "no act-by date (no contract end in the profile)"
    elif case.days_left is not None and case.days_left < 0:
        timing = f"act-by date {day(case.act_by)} passed {-case.days_left} days ago"
    else:
        timing = f"act by {day(case.act_by)}: {case.days_left} days left"
    _factor(
        "Timing",
        timing,
        f"act-by = notice deadline {day(case.notice_deadline)} minus the in-house lead time "
        f"({s.get('insourcing_lead_time_days') or 0} days), {profile or 'no profile'}; days "
        f"counted from {case.day}",
    )


def _below(value: float | None) -> bool:
    return value is not None and not pd.isna(value) and value < ACCEPTABLE


def _quality(s: dict[str, Any]) -> str:
    if s.get("quality_status") != "ok":
        return (
            f"not scored ({s.get('quality_status')}: {s.get('responses_30d') or 0:,} responses "
            "in 30 days)"
        )
    return (
        f"quality score {number(s.get('quality_score'), '.0f')}; median daily p95 "
        f"{number(s.get('latency_p95_30d_ms'), ',.0f', ' ms')} vs SLA "
        f"{number(s.get('sla_latency_p95_ms'), ',.0f', ' ms')}; error budget used "
        f"x{number(s.get('error_budget_ratio'), '.2f')}; defects x"
        f"{number(s.get('defect_ratio'), '.2f')} of the SLA rate"
    )


def _quality_evidence(path: str, case: BacksourcingCase) -> str:
    months = data_reviews.monthly_trends(path, case.vendor_id, case.day)
    base = f"vendor_scores of {case.day} (30 days to it)"
    if months.empty:
        return f"{base}; no complete month in vendor_monthly yet"
    last = months.iloc[-1]
    span = f"{months['month'].iloc[0]:%Y-%m}..{last['month']:%Y-%m}"
    attainment = number(last["sla_attainment"], ".2%")
    latency = data_reviews.series_trend(months, "latency_p95_ms").describe(" ms", "month")
    sla = data_reviews.series_trend(months, "sla_attainment").describe("", "month")
    return (
        f"{base}; SLA attainment {attainment} in {last['month']:%Y-%m} (vendor_monthly); "
        f"trends over {span}: p95 latency {latency}; SLA attainment {sla}"
    )


def _cost_paths(case: BacksourcingCase) -> None:
    st.subheader("36 months: stay vs in-house")
    paths = data_reviews.cumulative_costs(case)
    if isinstance(paths, str):
        st.info(paths)
        return
    start: date = case.earliest_inhouse_start or case.day
    fee = (
        f" plus the termination fee {money(case.termination_fee, case.currency)} (the start "
        f"falls before the contract's end on {day(case.contract_end)}: leaving early)"
        if case.termination_applies and case.termination_fee
        else " (no termination fee: the start falls on or after the contract's end)"
    )
    lead = case.scores.get("insourcing_lead_time_days") or 0
    upfront = money(paths.upfront, paths.currency)
    if paths.break_even is None:
        st.warning(
            f"No break-even: in-house costs at least as much per month as the vendor's "
            f"run-rate, so the upfront {upfront} is never recovered."
        )
    elif paths.break_even <= data_reviews.HORIZON_MONTHS:
        when = paths.frame["starts"].iloc[paths.break_even]
        st.success(
            f"Break-even in month {paths.break_even} ({when:%Y-%m}): the upfront {upfront} is "
            f"recovered by saving {money(case.monthly_saving, case.currency)} a month."
        )
    else:
        st.warning(
            f"Break-even in month {paths.break_even}, beyond the 36 months shown: the upfront "
            f"{upfront} is recovered by saving {money(case.monthly_saving, case.currency)} a "
            f"month (payback {case.payback_months} months)."
        )
    st.altair_chart(
        charts.cumulative_costs(paths.frame, currency=paths.currency, break_even=paths.break_even),
        width="stretch",
    )
    st.caption(ASSUMPTION.format(start=day(start), lead=lead, fee=fee))
