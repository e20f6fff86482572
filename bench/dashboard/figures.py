"""Dashboard benchmark: server-side render time of the Overview and a Vendor page (issue #5).

The data is a synthetic published snapshot (``snapshot``, ``alert_sql``); the sessions and
page timing live in ``sessions``, the optional breakdown in ``profiling``.

**The measurement** (``streamlit.testing.v1.AppTest``, the app test harness, in this process;
the app reads its settings from the ``VENDORWATCH_*`` environment, as under ``vendorwatch
dashboard``, pointed at the published snapshot). A page is selected like
``tests/dashboard/apptest.py``'s ``open_page`` (the private ``_page_hash`` = ``calc_hash`` of
the URL path, as a browser's ``/<url_path>`` request resolves to). Timed: ``AppTest.run()``
only, i.e. the whole script run (settings, navigation, the page: queries, pandas, altair, the
elements' protobufs including the dataframes' Arrow serialisation) plus the harness turning
the deltas into its element tree; no browser, no websocket. Before anything is timed, one
untimed render of each page on the small snapshot imports every module (server start-up).
Per page and snapshot:

* **cold**: a new session's render right after ``st.cache_data`` / ``st.cache_resource`` were
  cleared — the first render of a newly published snapshot: its connection is opened and every
  query runs (the caches are keyed by snapshot path, and the engine publishes every
  ``read_model.every_seconds``); N renders, each after clearing, p50 and max (one first render
  alone is too noisy to report);
* **session** (the target figure): a fresh ``AppTest`` per render (a user opening the page:
  a new session) with the server's caches warm; N renders, p50 and p95;
* **rerun**: ``run()`` again on the same session (a widget interaction), N renders, p50.

Pages: ``overview``; ``vendor`` (``?vendor_id=V&alert_id=A``: a vendor with a firing alert,
its evidence expanded, the default 90-day charts); and, for context, ``vendor, all days``:
the same page switched to the whole two years (its timed run is the one after switching the
period, so even "session" and "cold" there are reruns of a session that opened the page; cold
means only that series' query was not cached).

The target (<= 500 ms each) applies to the session p50 of ``overview`` and ``vendor`` on the
big snapshot: what a person opening the page waits for on a running server. A same-run
baseline on a 10-vendor snapshot (same days, same generator) gives ratios; its renders are
interleaved with the big snapshot's (the app reads the environment on every run), so a change
in machine load hits both alike. Also reported: the harness floor (a one-line script in a new
session, and rerun), which every figure includes, and the load average: these are wall-clock
times, and on a shared machine other processes move them. p95 =
``statistics.quantiles(n=20, method="inclusive")[18]``.

With ``profile=True`` one more cold and one session render per page are broken down by
category (``profiling``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bench.dashboard import profiling, sessions
from bench.dashboard.profiling import Breakdown
from bench.dashboard.sessions import PageTimes
from bench.dashboard.snapshot import Store, build

TARGET_MS = 500.0
BASELINE_VENDORS = 10


@dataclass
class DashboardFigures:
    """Milliseconds per page (``big``: V vendors, ``small``: the 10-vendor baseline)."""

    vendors: int
    days: int
    runs: int
    big: dict[str, PageTimes]
    small: dict[str, PageTimes]
    store: Store
    floor_ms: tuple[float, float]
    load: tuple[float, float]
    profiles: dict[str, tuple[Breakdown, Breakdown]] = field(default_factory=dict)

    @property
    def meets(self) -> bool:
        """The target: the session p50 of the two pages the issue names."""
        return all(self.big[name].session_p50 <= TARGET_MS for name in ("overview", "vendor"))

    def details(self) -> str:
        rows = self.store.rows
        lines = [
            f"  store: {rows['vendor_daily']:,} daily rows, {rows['alert_log']:,} alert "
            f"transitions, {rows['alerts']:,} (vendor, rule) alerts; filled in "
            f"{self.store.fill_s:.1f} s, published in {self.store.publish_s:.1f} s; vendor "
            f"page: {self.store.vendor_id} with alert_id {self.store.alert_id}",
            f"  harness floor (a one-line script): new session p50 {self.floor_ms[0]:.0f} ms, "
            f"rerun p50 {self.floor_ms[1]:.0f} ms; load average {self.load[0]:.1f} before, "
            f"{self.load[1]:.1f} after ({os.cpu_count()} CPUs: figures are wall-clock times)",
        ]
        for name, times in self.big.items():
            small = self.small[name]
            lines.append(
                f"  {name}: cold p50 {times.cold_p50:.0f} / max {max(times.cold_ms):.0f} ms; "
                f"session p50 {times.session_p50:.0f} / "
                f"p95 {times.session_p95:.0f} ms; rerun p50 {times.rerun_p50:.0f} ms | "
                f"{BASELINE_VENDORS} vendors: cold p50 {small.cold_p50:.0f}, session p50 "
                f"{small.session_p50:.0f}, rerun p50 {small.rerun_p50:.0f} ms | ratio: session "
                f"{times.session_p50 / small.session_p50:.2f}, cold "
                f"{times.cold_p50 / small.cold_p50:.2f}"
            )
        for name, (cold, session) in self.profiles.items():
            lines.append(f"  {name}, cold: {cold.describe()}")
            lines.append(f"  {name}, session: {session.describe()}")
        return "\n".join(lines)

    @property
    def verdict(self) -> str:
        overview, vendor = self.big["overview"], self.big["vendor"]
        return (
            f"dashboard: overview cold p50 {overview.cold_p50:.0f} ms, warm p50 "
            f"{overview.session_p50:.0f} ms; vendor cold p50 {vendor.cold_p50:.0f} ms, warm p50 "
            f"{vendor.session_p50:.0f} ms ({self.vendors:,} vendors x {self.days} days; "
            f"target <= {TARGET_MS:.0f} ms each, on warm p50 = a new session with warm server "
            f"caches): {'MET' if self.meets else 'NOT MET'}"
        )


def run(
    workdir: Path,
    vendors: int = 1000,
    days: int = 730,
    runs: int = 10,
    *,
    profile: bool = False,
) -> DashboardFigures:
    """Build both snapshots, time every page on each (see the module docstring)."""
    small_store = build(workdir, BASELINE_VENDORS, days)
    big_store = build(workdir, vendors, days)
    load_before = os.getloadavg()[0]
    small_variables = sessions.settings_variables(small_store.directory)
    big_variables = sessions.settings_variables(big_store.directory)
    small_pages, big_pages = sessions.pages(small_store), sessions.pages(big_store)
    with sessions.quiet_streamlit(), sessions.restored_environment():
        sessions.use_environment(small_variables)
        for page in small_pages.values():  # start-up: imports, untimed
            sessions.render(sessions.new_session(), page)
        floor = sessions.floor(workdir, runs)
        small, big = {}, {}
        for name in big_pages:
            small[name], big[name] = sessions.time_pages(
                [
                    sessions.Target(small_variables, small_pages[name]),
                    sessions.Target(big_variables, big_pages[name]),
                ],
                runs,
            )
        sessions.use_environment(big_variables)
        profiles = (
            {name: profiling.profile(page) for name, page in big_pages.items()} if profile else {}
        )
        sessions.clear_caches()  # close the snapshots' connections
    load = (load_before, os.getloadavg()[0])
    return DashboardFigures(vendors, days, runs, big, small, big_store, floor, load, profiles)
