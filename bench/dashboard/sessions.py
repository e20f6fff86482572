"""Sessions and page timing for the dashboard benchmark (the measurement: ``figures``).

A render is ``streamlit.testing.v1.AppTest`` (the app test harness) in this process; the app
reads its settings from the ``VENDORWATCH_*`` environment, as under ``vendorwatch dashboard``,
so ``use_environment`` points the next run at a snapshot. A page is selected like
``tests/dashboard/apptest.py``'s ``open_page`` (the private ``_page_hash`` = ``calc_hash`` of
the URL path, as a browser's ``/<url_path>`` request resolves to). Timed: ``AppTest.run()``
only; a render that raised or shows an error fails the benchmark rather than being timed.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

import vendorwatch
from bench.dashboard.snapshot import Store
from vendorwatch.settings import (
    DashboardSettings,
    ReadModelSettings,
    Settings,
    settings_environment,
)

APP = Path(vendorwatch.__file__).resolve().parent / "dashboard_app.py"
TIMEOUT_S = 120.0


def settings_variables(directory: Path) -> dict[str, str]:
    """The ``VENDORWATCH_*`` variables of demo-mode settings reading ``directory``."""
    settings = Settings(
        read_model=ReadModelSettings(dir=directory, stale_after=timedelta(days=1)),
        dashboard=DashboardSettings(mode="demo"),
    )
    return {k: v for k, v in settings_environment(settings).items() if k.startswith("VENDORWATCH_")}


def use_environment(variables: dict[str, str]) -> None:
    """Make ``load_settings()`` in this process (the app's next run) read ``variables``."""
    for name in [n for n in os.environ if n.startswith("VENDORWATCH_")]:
        del os.environ[name]
    os.environ.update(variables)


@contextmanager
def restored_environment() -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith("VENDORWATCH_")}
    try:
        yield
    finally:
        use_environment(saved)


@dataclass(frozen=True)
class Page:
    """A page as a user opens it: URL path and query; ``period``: then switched to it."""

    url_path: str
    query: dict[str, str]
    period: str | None = None


def new_session(script: Path = APP) -> AppTest:
    return AppTest.from_file(str(script), default_timeout=TIMEOUT_S)


def render(at: AppTest, page: Page, *, fresh: bool = True) -> float:
    """Seconds of one ``run()`` of ``page`` in the session. ``fresh``: the session opens the
    page first (as tests/dashboard/apptest.py's ``open_page`` does); with a ``period``, the
    opening run is untimed and the run after switching the period is timed."""
    if fresh:
        at._page_hash = calc_hash(page.url_path)
        at.query_params.clear()
        at.query_params.update(page.query)
        if page.period is not None:
            at.run()
            _check(at, Page(page.url_path, page.query))
            at.segmented_control(key="period").set_value(page.period)
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    _check(at, page)
    return elapsed


def _check(at: AppTest, page: Page) -> None:
    """Fail loudly rather than time an error page."""
    if at.exception:
        raise RuntimeError(f"/{page.url_path} raised: {at.exception[0].message}")
    if at.error:
        raise RuntimeError(f"/{page.url_path} shows an error: {at.error[0].value}")
    titles = [t.value for t in at.title]
    if page.url_path == "overview" and "Overview" not in titles:
        raise RuntimeError(f"/overview did not render its board: titles {titles}")
    if page.url_path == "vendor":
        why = [m.value for m in at.markdown if str(m.value).startswith("**Why:**")]
        if "Vendor" not in titles or not why:
            raise RuntimeError("/vendor did not render the alert's evidence")
        if page.period is not None and at.segmented_control(key="period").value != page.period:
            raise RuntimeError(f"/vendor did not switch to the period {page.period!r}")


def clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def _p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


@dataclass(frozen=True)
class PageTimes:
    """Milliseconds: cold renders, new-session renders and reruns of one session."""

    cold_ms: list[float]
    session_ms: list[float]
    rerun_ms: list[float]

    @property
    def cold_p50(self) -> float:
        return statistics.median(self.cold_ms)

    @property
    def session_p50(self) -> float:
        return statistics.median(self.session_ms)

    @property
    def session_p95(self) -> float:
        return _p95(self.session_ms)

    @property
    def rerun_p50(self) -> float:
        return statistics.median(self.rerun_ms)


@dataclass(frozen=True)
class Target:
    """A page on one snapshot: the environment pointing at the snapshot, and the page."""

    variables: dict[str, str]
    page: Page


def time_pages(targets: list[Target], runs: int) -> list[PageTimes]:
    """Time each target (cold, session, rerun: see ``figures``), interleaved render by
    render, so that a change in machine load hits every target alike and their ratios stay
    fair."""

    def render_ms(target: Target, at: AppTest | None = None) -> float:
        use_environment(target.variables)
        if at is None:
            return render(new_session(), target.page) * 1e3
        return render(at, target.page, fresh=False) * 1e3

    colds: list[list[float]] = [[] for _ in targets]
    sessions: list[list[float]] = [[] for _ in targets]
    for _ in range(runs):
        for index, target in enumerate(targets):
            clear_caches()
            colds[index].append(render_ms(target))
    for _ in range(runs):
        for index, target in enumerate(targets):
            sessions[index].append(render_ms(target))
    apps = []
    for target in targets:
        use_environment(target.variables)
        apps.append(new_session())
        render(apps[-1], target.page)
    reruns: list[list[float]] = [[] for _ in targets]
    for _ in range(runs):
        for index, (target, at) in enumerate(zip(targets, apps, strict=True)):
            reruns[index].append(render_ms(target, at))
    return [PageTimes(*times) for times in zip(colds, sessions, reruns, strict=True)]


def pages(store: Store) -> dict[str, Page]:
    """The timed pages: the two the target names, and the Vendor page switched to all days."""
    query = {"vendor_id": store.vendor_id, "alert_id": store.alert_id}
    return {
        "overview": Page("overview", {}),
        "vendor": Page("vendor", query),
        "vendor, all days": Page("vendor", query, period="all"),
    }


FLOOR_SCRIPT = 'import streamlit as st\n\nst.title("floor")\n'


def floor(workdir: Path, runs: int) -> tuple[float, float]:
    """The harness's own cost (ms, p50): a one-line script in a new session, and rerun."""
    script = workdir / "dashboard-floor.py"
    script.write_text(FLOOR_SCRIPT, encoding="utf-8")
    session, rerun = [], []
    for _ in range(runs):
        at = new_session(script)
        started = time.perf_counter()
        at.run()
        session.append(time.perf_counter() - started)
        started = time.perf_counter()
        at.run()
        rerun.append(time.perf_counter() - started)
    return statistics.median(session) * 1e3, statistics.median(rerun) * 1e3


@contextmanager
def quiet_streamlit() -> Iterator[None]:
    """Streamlit warns about bare mode when its caches are cleared from this thread."""
    from streamlit import config, logger

    level = config.get_option("logger.level")  # AppTest re-applies it on every run
    config.set_option("logger.level", "error")
    logger.set_log_level(logging.ERROR)
    try:
        yield
    finally:
        config.set_option("logger.level", level)
        logger.set_log_level(str(level).upper())
