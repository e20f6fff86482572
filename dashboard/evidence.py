"""The evidence behind a flag, readable: what was judged, against which thresholds, the run of
periods that led to it, the score's inputs, and a sample of the events (with topic, partition
and offset, so anyone can find the very records in Kafka or the store).

Input is an ``alert_log`` row with its ``evidence`` JSON, read with the model the rules wrote
it with (:class:`metrics.evidence_model.Evidence`). Fields a newer release added are shown as
JSON; evidence that is not in that shape (unreadable, or hand-written) is shown as it is
stored, with the reason, rather than dropped.
"""

from __future__ import annotations

from typing import Any

import orjson
import pandas as pd
import streamlit as st
from pydantic import ValidationError

from dashboard.format import day, number
from metrics.evidence_model import Evidence, parse_evidence

SEVERITY_MARK = {"critical": "🔴", "warn": "🟠"}
STATE_MARK = {"resolved": "🟢", "pending": "⏳", "ok": "🟢"}


def title(alert: dict[str, Any]) -> str:
    """One line naming the transition: mark, rule, period, state and severity."""
    severity = alert.get("severity")
    state = str(alert["state"])
    mark = SEVERITY_MARK.get(str(severity), STATE_MARK.get(state, "•"))
    level = f" {severity}" if isinstance(severity, str) else ""
    return f"{mark} {alert['rule']} · {day(alert['period'])} · {state}{level}"


def parsed(evidence: str | None) -> Evidence | str | None:
    """The evidence document; None when absent; the reason when it is not one."""
    if not evidence:
        return None
    try:
        return parse_evidence(evidence)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "document"
        return f"{where}: {problem['msg']}"


def show(alert: dict[str, Any]) -> None:
    """Render one alert transition's reason and evidence (inside an expander or anywhere)."""
    st.markdown(f"**Why:** {alert['reason']}")
    doc = parsed(alert.get("evidence"))
    metric = doc.metric if isinstance(doc, Evidence) else alert.get("metric")
    st.caption(
        f"alert {alert['alert_id']} · metric {metric} per "
        f"{alert.get('grain')} · value {number(alert.get('value'), ',.4g')} · policy "
        f"{alert.get('policy_version')}"
    )
    if isinstance(doc, str):
        st.caption(f"The evidence is not in the expected shape ({doc}); as stored:")
        _raw(str(alert.get("evidence")))
    elif doc is not None:
        _evidence(doc)


def _evidence(doc: Evidence) -> None:
    st.markdown("**Thresholds**")
    st.dataframe(pd.DataFrame([doc.thresholds.model_dump()]), hide_index=True)
    if doc.values:
        st.markdown("**The run of periods judged**")
        values = [v.model_dump(mode="json") for v in doc.values]
        st.dataframe(pd.DataFrame(values), hide_index=True, width="stretch")
    if doc.components is not None:
        st.markdown("**Score inputs**")
        rows = [{"input": k, "value": _text(v)} for k, v in doc.components.items()]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
    events = doc.events
    if events is not None:
        sample = [e.model_dump(mode="json") for e in events.sample]
        st.markdown(
            f"**Events behind it:** {events.count} in `{events.table}`"
            + (f", a sample of {len(sample)}" if sample else "")
        )
        if sample:
            frame = pd.DataFrame(sample)
            first = [c for c in ("topic", "partition", "offset", "event_id") if c in frame]
            frame = frame[first + [c for c in frame.columns if c not in first]]
            st.dataframe(frame.map(_text), hide_index=True, width="stretch")
    if doc.unknown:
        st.json(doc.unknown, expanded=False)


def _raw(text: str) -> None:
    """The stored text, as JSON when it is JSON."""
    try:
        st.json(orjson.loads(text), expanded=False)
    except orjson.JSONDecodeError:
        st.code(text)


def _text(value: Any) -> str:
    """Cell text: numbers and amounts exactly as the evidence states them."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
