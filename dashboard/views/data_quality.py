"""Data quality: dead letters with their reasons and a raw preview, consumer lag per
partition, the last event per vendor and type, and the vendors that went quiet.

Lag = Kafka's end offset - the next offset the engine stored in the snapshot: it includes
what arrived since the snapshot was published. The end offsets come from Kafka (read-only,
short timeout, cached 10 s); when it cannot be reached the page says "lag unknown: broker
unreachable" and shows the stored offsets alone.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data_engine
from dashboard.data import SnapshotInfo
from dashboard.format import in_zone
from dashboard.frame import PageContext
from readmodel.contract import RAW_PREVIEW_BYTES

DEAD_LETTER_LIMIT = 500
HEX_WIDTH = 16


def render(ctx: PageContext, snapshot: SnapshotInfo) -> None:
    """The page."""
    _dead_letters(snapshot.path, ctx)
    _lag(snapshot.path, ctx)
    _quiet(snapshot.path, ctx)
    _last_events(snapshot.path, ctx)


def hex_dump(raw: bytes) -> str:
    """``offset  hex bytes  printable`` lines, :data:`HEX_WIDTH` bytes a line."""
    lines = []
    for start in range(0, len(raw), HEX_WIDTH):
        chunk = raw[start : start + HEX_WIDTH]
        printable = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{start:08x}  {chunk.hex(' '):<{HEX_WIDTH * 3 - 1}}  {printable}")
    return "\n".join(lines)


def _section(title: str, frame: pd.DataFrame, nothing: str, *, good: bool = False) -> bool:
    """The section's subheader; False, with ``nothing`` shown (a success when the emptiness is
    ``good`` news, else an info), when ``frame`` is empty."""
    st.subheader(title)
    if frame.empty:
        (st.success if good else st.info)(nothing)
        return False
    return True


def _table(frame: pd.DataFrame, ctx: PageContext, key: str) -> None:
    st.dataframe(in_zone(frame, ctx.tz), hide_index=True, width="stretch", key=key)


def _dead_letters(path: str, ctx: PageContext) -> None:
    reasons = data_engine.dead_letter_reasons(path)
    nothing = "No dead letters: every record met the event contract."
    if not _section("Dead letters", reasons, nothing, good=True):
        return
    st.caption(
        f"{int(reasons['dead_letters'].sum()):,} records broke the event contract; kept with "
        "their reason (never dropped), grouped by the field named, newest first."
    )
    _table(reasons, ctx, "dlq_reasons")
    letters = data_engine.dead_letters(path, DEAD_LETTER_LIMIT)
    rows = letters.to_dict("records")
    labels = {
        i: f"{r['topic']}[{r['partition']}]@{r['offset']} · {r['reason']}"
        for i, r in enumerate(rows)
    }
    chosen = st.selectbox(
        f"Raw preview of (newest {DEAD_LETTER_LIMIT})",
        list(labels),
        format_func=lambda i: labels[i],
        key="dlq_pick",
    )
    if chosen is None:
        return
    letter = rows[int(chosen)]
    raw = data_engine.dead_letter_raw(
        path, str(letter["topic"]), int(letter["partition"]), int(letter["offset"])
    )
    st.markdown(f"**Reason:** {letter['reason']}")
    size = letter["raw_bytes"]
    shown = len(raw) if raw is not None else 0
    st.caption(
        f"topic {letter['topic']}, partition {letter['partition']}, offset {letter['offset']}, "
        f"key {letter['key'] or '—'}; {shown} of {size if pd.notna(size) else '?'} bytes shown "
        f"(the read model keeps the first {RAW_PREVIEW_BYTES})"
    )
    if raw is None:
        st.info("No raw value (the record had none).")
        return
    left, right = st.columns(2)
    left.markdown("Hex")
    left.code(hex_dump(raw), language=None)
    right.markdown("UTF-8 (undecodable bytes as �)")
    right.code(raw.decode("utf-8", errors="replace"), language=None, wrap_lines=True)


def _lag(path: str, ctx: PageContext) -> None:
    offsets = data_engine.consumer_offsets(path)
    nothing = "No consumer offsets stored yet: the engine has not consumed anything."
    if not _section("Consumer lag", offsets, nothing):
        return
    partitions = tuple(
        (str(t), int(p)) for t, p in zip(offsets["topic"], offsets["partition"], strict=True)
    )
    settings = ctx.settings
    ends = data_engine.end_offsets(settings, settings.kafka_bootstrap, partitions)
    shown = offsets.copy()
    if ends.error is not None:
        st.warning(f"lag unknown: {ends.error}. Stored offsets only.", icon="⚠️")
        shown["end_offset"] = pd.NA
        shown["lag"] = "unknown"
    else:
        end = [ends.offsets.get(p) for p in partitions]
        shown["end_offset"] = pd.array(end, dtype="Int64")
        shown["lag"] = [
            "unknown" if e is None else f"{max(e - n, 0):,}"
            for e, n in zip(end, shown["next_offset"], strict=True)
        ]
        st.caption(
            "lag = Kafka's end offset - the engine's next offset in this snapshot (records "
            f"not yet in the store); end offsets from {settings.kafka_bootstrap}, refreshed "
            f"every {data_engine.LAG_CACHE_SECONDS} s."
        )
    _table(shown, ctx, "lag")


def _quiet(path: str, ctx: PageContext) -> None:
    quiet = data_engine.quiet_vendors(path)
    if not _section("Silent and no-data vendors", quiet, "Every vendor is reporting.", good=True):
        return
    st.caption(
        "silent: reported before, nothing recently; no data: never sent a response (vendor_status)."
    )
    _table(quiet, ctx, "quiet")


def _last_events(path: str, ctx: PageContext) -> None:
    events = data_engine.last_events(path)
    if not _section("Last event per vendor and type", events, "No events stored yet."):
        return
    types = sorted(events["type"].unique())
    chosen = st.multiselect("Event types", types, key="event_types", placeholder="all types")
    if chosen:
        events = events[events["type"].isin(chosen)]
    _table(events, ctx, "last_events")
