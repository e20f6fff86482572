"""Overview (ops): every vendor with its status, scores and 30-day trends; the active alerts.

The board refreshes itself every ``dashboard.refresh_seconds`` (a live page: a fragment with
``run_every``), picking up a newly published snapshot; filters by tier and service; vendors
sorted by backsourcing score, highest first. A vendor's name links to its Vendor page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.data import SnapshotInfo
from dashboard.format import BADGES, in_zone, vendor_link
from dashboard.frame import PageContext, vendor_board


def render(ctx: PageContext, snapshot: SnapshotInfo) -> None:
    """The board (a live page: it re-renders on its own timer, see :mod:`dashboard.app`)."""
    board = vendor_board(
        snapshot,
        "No vendors yet: the read model holds no vendor profile or event. Vendors appear "
        "once their events are ingested.",
    )
    if board is None:
        return
    shown = _filtered(board)
    _status_counts(shown)
    st.dataframe(
        _vendor_table(shown),
        hide_index=True,
        width="stretch",
        column_config={
            "vendor": st.column_config.LinkColumn(
                "Vendor", display_text=r"vendor_id=([^&]*)", help="Open the vendor's page"
            ),
            "status": st.column_config.TextColumn("Status"),
            "backsourcing_score": st.column_config.ProgressColumn(
                "Backsourcing",
                help="0-100; high: a strong case for a serious look",
                min_value=0,
                max_value=100,
                format="%.0f",
            ),
            "quality_score": st.column_config.NumberColumn("Quality", format="%.0f"),
            "security_score": st.column_config.NumberColumn("Security", format="%.0f"),
            "cost_score": st.column_config.NumberColumn("Cost", format="%.0f"),
            "latency_p95_trend": st.column_config.LineChartColumn(
                "Latency p95, 30 d", help="Daily p95 latency (ms); gaps: no data"
            ),
            "backsourcing_trend": st.column_config.LineChartColumn(
                "Backsourcing, 30 d", y_min=0, y_max=100
            ),
            "firing_alerts": st.column_config.NumberColumn("Firing"),
        },
        key="vendor_board",
    )
    st.subheader("Active alerts")
    alerts = data.alert_states(snapshot.path)
    firing = alerts[alerts["state"] == "firing"]
    if firing.empty:
        st.success("No alert is firing.")
    else:
        columns = ["severity", "vendor_id", "name", "rule", "value", "warn", "critical"]
        columns += ["since", "acked_by", "muted_by", "reason"]
        st.dataframe(
            in_zone(firing[columns], ctx.tz), hide_index=True, width="stretch", key="firing"
        )


def _filtered(board: pd.DataFrame) -> pd.DataFrame:
    tiers = sorted(t for t in board["tier"].dropna().unique())
    services = sorted(s for s in board["service"].dropna().unique())
    left, right = st.columns(2)
    chosen_tiers = left.multiselect("Tier", tiers, key="filter_tier", placeholder="all tiers")
    chosen_services = right.multiselect(
        "Service", services, key="filter_service", placeholder="all services"
    )
    keep = pd.Series(True, index=board.index)
    if chosen_tiers:
        keep &= board["tier"].isin(chosen_tiers)
    if chosen_services:
        keep &= board["service"].isin(chosen_services)
    return board[keep]


def _status_counts(board: pd.DataFrame) -> None:
    counts = board["status"].value_counts()
    columns = st.columns(len(BADGES))
    for column, (status, badge) in zip(columns, BADGES.items(), strict=True):
        column.metric(badge, int(counts.get(status, 0)))


def _vendor_table(board: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "vendor": [vendor_link(v) for v in board["vendor_id"]],
            "name": board["name"],
            "status": board["status"].map(BADGES),
            "tier": board["tier"],
            "service": board["service"],
            "backsourcing_score": board["backsourcing_score"],
            "quality_score": board["quality_score"],
            "security_score": board["security_score"],
            "cost_score": board["cost_score"],
            "latency_p95_trend": board["latency_p95_trend"],
            "backsourcing_trend": board["backsourcing_trend"],
            "firing_alerts": board["firing_alerts"],
        }
    )
