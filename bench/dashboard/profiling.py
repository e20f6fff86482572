"""Where a dashboard render's time goes (the benchmark's ``profile=True``).

One more cold and one session render per page are timed by category (cached query functions,
chart building, ``st.dataframe`` / ``st.altair_chart`` calls, which serialise frames and
validate and convert charts) to show where the time goes.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from bench.dashboard.sessions import Page, clear_caches, new_session, render


@dataclass
class Breakdown:
    """Milliseconds per category within one render; ``other`` = the rest of the run."""

    total_ms: float = 0.0
    parts: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def describe(self) -> str:
        other = self.total_ms - sum(self.parts.values())
        shown = sorted(self.parts.items(), key=lambda kv: -kv[1])
        text = ", ".join(f"{name} {ms:.0f}" for name, ms in shown if ms >= 1)
        return f"{self.total_ms:.0f} ms = {text}, other (app shell, page code, harness) {other:.0f}"


def _timed(
    breakdown: Breakdown, name: str, function: Callable[..., Any], depth: list[int]
) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        depth[0] += 1
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:  # only the outermost timed call counts
                breakdown.parts[name] += (time.perf_counter() - started) * 1e3

    return wrapper


@contextmanager
def instrumented(breakdown: Breakdown) -> Iterator[None]:
    """Time the page's building blocks: every cached query in dashboard.data, the chart
    builders, and the Streamlit calls that serialise frames and charts."""
    from dashboard import charts, data

    depth = [0]
    patches: list[tuple[object, str, object]] = []

    def patch(owner: object, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)
        patches.append((owner, attribute, original))
        setattr(owner, attribute, _timed(breakdown, name, original, depth))

    for function in (
        "vendor_board",
        "alert_states",
        "alert_history",
        "vendor_profile",
        "vendor_daily",
        "vendor_costs",
        "rule_thresholds",
        "breach_periods",
        "explanation",
        "current_snapshot",
    ):
        patch(data, function, f"data.{function}")
    for function in ("time_series", "stacked_bars", "monthly_costs"):
        patch(charts, function, "charts (altair build)")
    for element in (st, DeltaGenerator):
        patch(element, "dataframe", "st.dataframe")
        patch(element, "altair_chart", "st.altair_chart")
    try:
        yield
    finally:
        for owner, attribute, original in reversed(patches):
            setattr(owner, attribute, original)


def profile(page: Page) -> tuple[Breakdown, Breakdown]:
    """One cold and one new-session render of ``page``, broken down (the timed run only)."""
    found: list[Breakdown] = []
    for cold in (True, False):
        if cold:
            clear_caches()
        at = new_session()
        if page.period is not None:  # the untimed opening run, outside the breakdown
            render(at, Page(page.url_path, page.query))
            at.segmented_control(key="period").set_value(page.period)
        breakdown = Breakdown()
        with instrumented(breakdown):
            breakdown.total_ms = render(at, page, fresh=page.period is None) * 1e3
        found.append(breakdown)
    return found[0], found[1]
