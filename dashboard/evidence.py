"""The evidence behind a flag, readable: what was judged, against which thresholds, the run of
periods that led to it, the score's inputs, and a sample of the events (with topic, partition
and offset, so anyone can find the very records in Kafka or the store).

Input is an ``alert_log`` row with its ``evidence`` JSON (see docs/metrics.md); anything
unexpected in it is shown as JSON rather than dropped.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.format import day, number

SEVERITY_MARK = {"critical": "🔴", "warn": "🟠"}
STATE_MARK = {"resolved": "🟢", "pending": "⏳", "ok": "🟢"}
_KNOWN = {"metric", "period", "thresholds", "values", "events", "components"}


def title(alert: dict[str, Any]) -> str:
    """One line naming the transition: mark, rule, period, state and severity."""
    severity = alert.get("severity")
    state = str(alert["state"])
    mark = SEVERITY_MARK.get(str(severity), STATE_MARK.get(state, "•"))
    level = f" {severity}" if isinstance(severity, str) else ""
    return f"{mark} {alert['rule']} · {day(alert['period'])} · {state}{level}"


def parsed(evidence: str | None) -> dict[str, Any]:
    """The evidence document, or ``{}`` when absent or unreadable."""
    if not evidence:
        return {}
    try:
        value = json.loads(evidence)
    except ValueError:
        return {"unreadable": evidence}
    return value if isinstance(value, dict) else {"value": value}


def show(alert: dict[str, Any]) -> None:
    """Render one alert transition's reason and evidence (inside an expander or anywhere)."""
    st.markdown(f"**Why:** {alert['reason']}")
    doc = parsed(alert.get("evidence"))
    st.caption(
        f"alert {alert['alert_id']} · metric {doc.get('metric', alert.get('metric'))} per "
        f"{alert.get('grain')} · value {number(alert.get('value'), ',.4g')} · policy "
        f"{alert.get('policy_version')}"
    )
    thresholds = doc.get("thresholds")
    if isinstance(thresholds, dict):
        st.markdown("**Thresholds**")
        st.dataframe(pd.DataFrame([thresholds]), hide_index=True)
    values = doc.get("values")
    if isinstance(values, list) and values:
        st.markdown("**The run of periods judged**")
        st.dataframe(pd.DataFrame(values), hide_index=True, width="stretch")
    components = doc.get("components")
    if isinstance(components, dict):
        st.markdown("**Score inputs**")
        rows = [{"input": k, "value": _text(v)} for k, v in components.items()]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
    events = doc.get("events")
    if isinstance(events, dict):
        sample = events.get("sample") or []
        st.markdown(
            f"**Events behind it:** {events.get('count', '?')} in `{events.get('table', '?')}`"
            + (f", a sample of {len(sample)}" if sample else "")
        )
        if sample:
            frame = pd.DataFrame(sample)
            first = [c for c in ("topic", "partition", "offset", "event_id") if c in frame]
            frame = frame[first + [c for c in frame.columns if c not in first]]
            st.dataframe(frame.map(_text), hide_index=True, width="stretch")
    rest = {k: v for k, v in doc.items() if k not in _KNOWN}
    if rest:
        st.json(rest, expanded=False)


def _text(value: Any) -> str:
    """Cell text: numbers and amounts exactly as the evidence states them."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
