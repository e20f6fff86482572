"""What every page shares: settings, the viewer, the clock, the page frame (title and
snapshot header), the vendor board and the vendor picker.

:func:`show_page` is how :mod:`dashboard.app` runs a page: the title, then the snapshot
header, then the page's ``render(ctx, snapshot)`` only when there is a snapshot to read.

:func:`snapshot_header` is the honesty rule of the board: it says which instant the data
describes ("data as of ... (published ...)"), warns when the snapshot is older than
``read_model.stale_after`` (the engine may be down), and shows an info instead of a page
when nothing was published yet or the snapshot cannot be read — never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import Viewer
from dashboard.format import age, when
from dashboard.settings import DashboardConfig
from readmodel.contract import NoSnapshot


@dataclass(frozen=True)
class PageContext:
    """What a page needs besides the snapshot: settings, who is looking, the clock."""

    settings: DashboardConfig
    viewer: Viewer
    clock: Callable[[], datetime]

    @property
    def tz(self) -> str:
        """The zone times are shown in (``metrics.reporting_tz``)."""
        return self.settings.metrics.reporting_tz


def snapshot_header(ctx: PageContext) -> data.SnapshotInfo | None:
    """Show the snapshot's times (and a staleness warning); None, with an info or error shown,
    when there is no readable snapshot."""
    directory = ctx.settings.read_model.dir
    try:
        snapshot = data.current_snapshot(directory)
    except NoSnapshot:
        st.info(
            f"No data yet: the engine has not published a read-model snapshot in {directory}. "
            "Start it with `vendorwatch run` (or `make demo`); this page fills in by itself.",
            icon="⏳",
        )
        return None
    except (duckdb.Error, OSError) as exc:
        st.error(f"The read-model snapshot in {directory} cannot be read: {exc}")
        return None
    as_of = when(snapshot.as_of, ctx.tz) if snapshot.as_of else "— (no metrics run yet)"
    st.caption(f"data as of {as_of} (published {when(snapshot.published_at, ctx.tz)})")
    old = ctx.clock() - snapshot.published_at
    if old > ctx.settings.read_model.stale_after:
        st.warning(
            f"Stale data: the snapshot was published {age(old)} ago, longer than "
            f"{age(ctx.settings.read_model.stale_after)} — engine down? Figures and alerts "
            "may be out of date.",
            icon="⚠️",
        )
    return snapshot


PageRender = Callable[[PageContext, data.SnapshotInfo], None]
"""A page's body: it runs under the title and snapshot header, with the snapshot to read."""


def show_page(title: str, render: PageRender, ctx: PageContext, *, live: bool = False) -> None:
    """``title``, the snapshot header, then ``render`` (when there is a readable snapshot).
    ``live``: all below the title re-runs every ``dashboard.refresh_seconds`` (a fragment),
    picking up a newly published snapshot without a reload."""
    st.title(title)

    def body() -> None:
        snapshot = snapshot_header(ctx)
        if snapshot is not None:
            render(ctx, snapshot)

    if live:
        every = timedelta(seconds=ctx.settings.dashboard.refresh_seconds)
        st.fragment(run_every=every)(body)()
    else:
        body()


def vendor_board(
    snapshot: data.SnapshotInfo, nothing: str, *, scored: bool = False
) -> pd.DataFrame | None:
    """The snapshot's vendor board (:func:`dashboard.data.vendor_board` on its as-of day);
    None, with ``nothing`` shown as an info, when it has no vendor (with ``scored``: also
    before the first metrics run, when no day is scored)."""
    board = data.vendor_board(snapshot.path, snapshot.as_of_day)
    if board.empty or (scored and snapshot.as_of_day is None):
        st.info(nothing, icon="⏳")
        return None
    return board


def picked_vendor(board: pd.DataFrame, *, key: str) -> str:
    """A vendor picker over ``board`` (``vendor_id``, ``name``), starting at the vendor the
    ``vendor_id`` query parameter names (a warning if it names none; then the first). The pick
    is written back to the query, so links and reloads keep it; a pick of another vendor drops
    the ``alert_id`` that belonged to the previous one."""
    ids = board["vendor_id"].tolist()
    names = dict(zip(ids, board["name"], strict=True))
    wanted = st.query_params.get("vendor_id")
    if wanted is not None and wanted not in names:
        st.warning(f"No vendor {wanted!r} in the read model; showing another.")
    picked = st.selectbox(
        "Vendor",
        ids,
        index=ids.index(wanted) if wanted in names else 0,
        format_func=lambda v: f"{names[v]} ({v})" if isinstance(names[v], str) else v,
        key=key,
    )
    if picked != wanted:
        st.query_params["vendor_id"] = picked
        st.query_params.pop("alert_id", None)
    return str(picked)
