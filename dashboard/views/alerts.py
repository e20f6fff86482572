"""Alerts: active, acknowledged and silenced alerts; acknowledge and silence; history and
notifications.

Acknowledge and silence produce control commands (see :mod:`dashboard.commands`) — the engine
applies them within a cycle, and the board shows the result with the next snapshot. The
buttons are disabled, with the reason, for a viewer whose role may not use them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import commands, data
from dashboard.data import SnapshotInfo
from dashboard.format import in_zone, vendor_link
from dashboard.frame import PageContext

HISTORY_LIMIT = 500
SENT = "sent — the engine applies it within a cycle"
_ALERT_COLUMNS = ["severity", "vendor_id", "name", "tier", "rule", "period", "value", "warn"]
_ALERT_COLUMNS += ["critical", "since", "reason"]
_SCOPES = {
    "this vendor and rule": ("vendor_id", "rule"),
    "this vendor (all rules)": ("vendor_id",),
    "this rule (all vendors)": ("rule",),
}


def render(ctx: PageContext, snapshot: SnapshotInfo) -> None:
    """The page."""
    states = data.alert_states(snapshot.path)
    boards = {name: states[states["board"] == name] for name in ("active", "acknowledged")}
    muted = states[states["muted_by"].notna()]
    active, acked, silenced, history, told = st.tabs(
        [
            f"Active ({len(boards['active'])})",
            f"Acknowledged ({len(boards['acknowledged'])})",
            f"Silenced ({len(muted)})",
            "History",
            "Notifications",
        ]
    )
    with active:
        _table(boards["active"], _ALERT_COLUMNS, ctx, "No alert is firing unacknowledged.")
        _actions(ctx, states[states["state"] == "firing"])
    with acked:
        columns = [*_ALERT_COLUMNS[:6], "acked_by", "acked_at", "ack_comment", "since"]
        _table(boards["acknowledged"], columns, ctx, "No acknowledged alert is firing.")
    with silenced:
        _table(muted, [*_ALERT_COLUMNS[:7], "state", "muted_by"], ctx, "No alert is muted.")
        st.markdown("**Silences and maintenance windows in force**")
        _table(data.silences(snapshot.path), None, ctx, "No silence is set.")
    with history:
        log = data.alert_history(snapshot.path, None, HISTORY_LIMIT).drop(columns=["evidence"])
        links = [vendor_link(v, a) for v, a in zip(log["vendor_id"], log["alert_id"], strict=True)]
        log.insert(0, "evidence", links)
        st.caption(f"Every transition, newest first (at most {HISTORY_LIMIT}).")
        _table(
            log,
            None,
            ctx,
            "No alert has ever been recorded.",
            {"evidence": st.column_config.LinkColumn("Evidence", display_text="open")},
        )
    with told:
        st.caption("Who was told what, and how delivery went (newest first).")
        _table(data.notifications(snapshot.path, HISTORY_LIMIT), None, ctx, "Nothing sent yet.")


def _table(
    frame: pd.DataFrame,
    columns: list[str] | None,
    ctx: PageContext,
    empty: str,
    config: dict[str, Any] | None = None,
) -> None:
    if frame.empty:
        st.caption(empty)
        return
    shown = frame[columns] if columns is not None else frame
    st.dataframe(in_zone(shown, ctx.tz), hide_index=True, width="stretch", column_config=config)


def _label(alert: dict[str, Any]) -> str:
    acked = f", acknowledged by {alert['acked_by']}" if isinstance(alert["acked_by"], str) else ""
    return f"{alert['vendor_id']} · {alert['rule']} · {alert['severity']}{acked}"


def _actions(ctx: PageContext, firing: pd.DataFrame) -> None:
    """Acknowledge or silence one firing alert (control commands)."""
    if firing.empty:
        return
    st.subheader("Act on an alert")
    refusal = ctx.viewer.refusal("acknowledge")
    if refusal is not None:
        st.caption(f"Acknowledge and silence are disabled: {refusal}.")
    alerts = {str(a["alert_id"]): a for a in firing.to_dict("records")}
    chosen = st.selectbox(
        "Alert", list(alerts), format_func=lambda a: _label(alerts[a]), key="act_alert"
    )
    alert = alerts[str(chosen)]
    comment = st.text_input("Comment (audited, shown to others)", key="act_comment")
    ack_column, silence_column = st.columns(2)
    with ack_column:
        acked = st.button(
            "Acknowledge", key="ack", disabled=refusal is not None, help=refusal, type="primary"
        )
    with silence_column:
        scope = st.selectbox("Silence", list(_SCOPES), key="silence_scope")
        duration = st.selectbox("for", list(commands.SILENCE_DURATIONS), key="silence_for")
        silenced = st.button("Silence", key="silence", disabled=refusal is not None, help=refusal)
    try:
        if acked:
            command_id = commands.acknowledge(
                ctx.settings,
                ctx.viewer,
                vendor_id=str(alert["vendor_id"]),
                rule=str(alert["rule"]),
                alert_id=str(alert["alert_id"]),
                comment=comment,
                now=ctx.clock(),
            )
            st.success(f"Acknowledge {SENT} (command {command_id}).")
        if silenced:
            command_id = commands.silence(
                ctx.settings,
                ctx.viewer,
                matchers={field: str(alert[field]) for field in _SCOPES[str(scope)]},
                duration=commands.SILENCE_DURATIONS[str(duration)],
                now=ctx.clock(),
                comment=comment,
            )
            st.success(f"Silence {SENT} (command {command_id}).")
    except commands.CommandNotSent as exc:
        st.error(str(exc))
