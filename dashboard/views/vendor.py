"""Vendor detail: profile and contract dates, charts with thresholds and breach periods, alert
history with the evidence behind each flag.

Query parameters (a contract with the notifications' links): ``vendor_id`` picks the vendor,
``alert_id`` opens that alert's evidence first. Choosing another vendor rewrites ``vendor_id``
and drops ``alert_id``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import charts, data, evidence
from dashboard.charts import Threshold
from dashboard.data import SnapshotInfo
from dashboard.format import BADGES, day, money, number
from dashboard.frame import PageContext, picked_vendor, vendor_board
from ingest.kinds import KINDS
from ingest.kinds.kind import ChartSpec

PERIODS = {"90 days": 90, "1 year": 365, "all": None}
HISTORY_LIMIT = 200


def render(ctx: PageContext, snapshot: SnapshotInfo) -> None:
    """The page for the vendor the query names (or the first one)."""
    as_of_day = snapshot.as_of_day
    board = vendor_board(snapshot, "No vendors yet: nothing to show until events are ingested.")
    if board is None:
        return
    vendor_id = picked_vendor(board, key="vendor_page_vendor")
    row = board[board["vendor_id"] == vendor_id].iloc[0].to_dict()
    profiles = data.vendor_profile(snapshot.path, vendor_id)
    _profile(row, profiles)
    if as_of_day is not None:
        _explanation(snapshot.path, vendor_id, as_of_day)
    span = st.segmented_control("Period", list(PERIODS), default="90 days", key="period")
    days = PERIODS.get(span or "90 days")
    since = as_of_day - timedelta(days=days) if days and as_of_day else None
    _charts(snapshot.path, vendor_id, since, profiles)
    _alerts(snapshot.path, vendor_id)


def _profile(row: dict[str, Any], profiles: pd.DataFrame) -> None:
    st.header(f"{row['name'] or row['vendor_id']}  ·  {BADGES[row['status']]}")
    if profiles.empty:
        st.info("No vendor profile: contract terms and SLA targets are unknown.")
        return
    p = profiles.iloc[0].to_dict()
    currency = p["contract_currency"]
    figures = [
        ("Tier", p["tier"], None),
        ("Service", p["service"], None),
        ("Backsourcing score", number(row["backsourcing_score"], ".0f"), "0-100, high: look"),
        ("Auto-renews", "yes" if p["auto_renew"] else "no", None),
        ("Contract ends", day(p["contract_end_date"]), None),
        ("Notice deadline", day(p["notice_deadline"]), "Contract end minus notice period"),
        ("Act by", day(p["act_by"]), "Notice deadline minus the in-house lead time"),
        ("SLA p95 latency", number(p["sla_latency_p95_ms"], ",.0f", " ms"), None),
        ("Monthly fee", money(p["monthly_fee"], currency), None),
        ("In-house per month", money(p["insourcing_monthly_cost"], p["insourcing_currency"]), None),
        ("Termination fee", money(p["termination_fee"], currency), None),
        ("SLA success rate", number(p["sla_success_rate_min"], ".2%"), None),
    ]
    for start in range(0, len(figures), 4):
        for column, (label, value, help_text) in zip(
            st.columns(4), figures[start : start + 4], strict=True
        ):
            column.metric(label, value, help=help_text)
    if len(profiles) > 1:
        with st.expander(f"Profile history ({len(profiles)} versions)"):
            shown = profiles.copy()
            for money_field in ("monthly_fee", "termination_fee", "insourcing_monthly_cost"):
                shown[money_field] = [money(v) for v in shown[money_field]]
            st.dataframe(shown, hide_index=True, width="stretch")


def _explanation(path: str, vendor_id: str, as_of_day: date) -> None:
    lines = data.explanation(path, vendor_id, as_of_day)
    if lines:
        with st.expander("Why these scores (explain)"):
            st.code("\n".join(lines), language=None)


def _shaded(breaches: pd.DataFrame, metrics: set[str]) -> pd.DataFrame:
    """The breach runs of rules on ``metrics`` (the bands behind one chart)."""
    return breaches[breaches["metric"].isin(metrics)]


def _thresholds(rules: pd.DataFrame, metrics: set[str]) -> list[Threshold]:
    found: list[Threshold] = []
    for rule in rules[rules["metric"].isin(metrics)].itertuples():
        for kind in ("warn", "critical"):
            value = getattr(rule, kind)
            if not pd.isna(value):
                found.append(Threshold(f"{rule.rule} {kind}", float(value), kind))
    return found


def _charts(path: str, vendor_id: str, since: date | None, profiles: pd.DataFrame) -> None:
    daily = data.vendor_daily(path, vendor_id, since)
    if daily.empty or daily["status"].eq("no_data").all():
        st.info("No daily figures for this vendor in this period: no response events.")
    else:
        _daily_charts(path, vendor_id, since, profiles, daily)
    _cost_chart(path, vendor_id)


def _daily_charts(
    path: str, vendor_id: str, since: date | None, profiles: pd.DataFrame, daily: pd.DataFrame
) -> None:
    rules = data.rule_thresholds(path, vendor_id)
    breaches = data.breach_periods(path, vendor_id)
    if since is not None and not breaches.empty:
        breaches = breaches[breaches["end"] > pd.Timestamp(since, tz="UTC")]
    terms = profiles.iloc[0].to_dict() if not profiles.empty else {}

    def sla_line(label: str, key: str) -> list[Threshold]:
        value = terms.get(key)
        return [] if value is None or pd.isna(value) else [Threshold(label, float(value), "SLA")]

    def thresholds(spec: ChartSpec) -> list[Threshold]:
        lines = [line for label, key in spec.sla for line in sla_line(label, key)]
        return lines + _thresholds(rules, set(spec.rule_metrics))

    # every registered kind's charts, two per row; a kind with no figures at all is left out
    specs = [
        spec
        for kind in KINDS
        for spec in kind.charts
        if daily[[c for c in spec.series if c in daily]].notna().to_numpy().any()
    ]
    for start in range(0, len(specs), 2):
        for column, spec in zip(st.columns(2), specs[start : start + 2], strict=False):
            column.subheader(spec.title)
            chart = charts.from_spec(
                spec,
                daily,
                thresholds=thresholds(spec),
                breaches=_shaded(breaches, set(spec.shaded_metrics)),
            )
            column.altair_chart(chart, width="stretch")


def _cost_chart(path: str, vendor_id: str) -> None:
    costs = data.vendor_costs(path, vendor_id)
    st.subheader("Cost vs contract vs in-house")
    if costs.empty:
        st.info("No monthly cost figures yet.")
    else:
        st.altair_chart(
            charts.monthly_costs(
                costs,
                {
                    "net_effective_cost": "vendor (net effective)",
                    "contracted_fee": "contract fee",
                    "inhouse_monthly_cost": "in-house estimate",
                },
                breaches=_shaded(
                    data.breach_periods(path, vendor_id), {"variance_pct", "cost_score"}
                ),
            ),
            width="stretch",
        )


def _alerts(path: str, vendor_id: str) -> None:
    st.subheader("Alert history and evidence")
    history = data.alert_history(path, vendor_id, HISTORY_LIMIT)
    if history.empty:
        st.success("This vendor has never been flagged.")
        return
    wanted = st.query_params.get("alert_id")
    rows = history.to_dict("records")
    if wanted is not None:
        chosen = [r for r in rows if r["alert_id"] == wanted]
        if not chosen:
            st.warning(f"Alert {wanted!r} is not in this vendor's history.")
        rows = chosen + [r for r in rows if r["alert_id"] != wanted]
    for alert in rows:
        box = st.expander(
            evidence.title(alert),
            expanded=alert["alert_id"] == wanted,
            key=f"evidence_{alert['alert_id']}",
            on_change="rerun",  # lazy: the evidence is rendered only when opened
        )
        if box.open:
            with box:
                evidence.show(alert)
