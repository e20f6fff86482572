"""The dashboard's navigation: :func:`main` runs the page the URL names.

The Streamlit script is ``vendorwatch/dashboard_app.py`` (what ``vendorwatch dashboard``
runs): it loads the settings and gives them, with the wall clock, to :func:`main`. Pages are
callables registered in :data:`PAGES` under ``st.navigation``; the URL paths are a contract:
alert notifications link to ``<dashboard_url>/vendor?vendor_id=X&alert_id=Y``.

To add a page (Monthly review, Backsourcing case, Data quality, Rules): write
``dashboard/views/<page>.py`` with ``render(ctx: PageContext, snapshot: SnapshotInfo) -> None``
that reads through :mod:`dashboard.data` (the title and the snapshot header are shown for it,
:func:`dashboard.frame.show_page`), then add a :class:`PageSpec` to :data:`PAGES` under its
section. A page that needs a permission checks
``ctx.viewer.refusal(...)`` and disables its controls with that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard.access import current_viewer, login, show_viewer
from dashboard.frame import PageContext, PageRender, show_page
from dashboard.settings import DashboardConfig
from dashboard.views import alerts, backsourcing, data_quality, monthly, overview, rules, vendor


@dataclass(frozen=True)
class PageSpec:
    """One page of the navigation: where it sits, its title, URL path and renderer;
    ``live`` pages re-render on their own timer (``dashboard.refresh_seconds``)."""

    section: str
    title: str
    url_path: str
    icon: str
    render: PageRender
    live: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("Operations", "Overview", "overview", ":material/dashboard:", overview.render, True),
    PageSpec("Operations", "Alerts", "alerts", ":material/notifications:", alerts.render),
    PageSpec("Vendors", "Vendor", "vendor", ":material/storefront:", vendor.render),
    PageSpec(
        "Vendors", "Backsourcing case", "backsourcing", ":material/home_work:", backsourcing.render
    ),
    PageSpec("Reviews", "Monthly review", "monthly", ":material/calendar_month:", monthly.render),
    PageSpec("Engine", "Data quality", "data-quality", ":material/rule:", data_quality.render),
    PageSpec("Engine", "Rules", "rules", ":material/tune:", rules.render),
)
# Where the root URL leads. Streamlit serves the default page at "/" only, so the root is a
# hidden page that switches to this one: every page, the home page too, has its own path.
# (No bare string literals in this module: Streamlit's "magic" would show them.)
HOME = "overview"


def _page(
    spec: PageSpec, settings: DashboardConfig, clock: Callable[[], datetime]
) -> Callable[[], None]:
    """The page callable: the login when nobody is logged in, else the page with its banner."""

    def run() -> None:
        viewer = current_viewer(settings)
        if viewer is None:
            login(settings)
            return
        show_viewer(viewer)
        ctx = PageContext(settings, viewer, clock)
        show_page(spec.title, spec.render, ctx, live=spec.live)

    run.__name__ = spec.url_path
    return run


def configure_page() -> None:
    """The browser tab's title and the wide layout; first thing on every run."""
    st.set_page_config(page_title="vendorwatch", page_icon="📡", layout="wide")


def cannot_start(reason: str) -> None:
    """Instead of the pages: why the dashboard cannot run (bad settings), never a traceback."""
    st.error(f"vendorwatch dashboard cannot start: {reason}")


def main(settings: DashboardConfig, *, clock: Callable[[], datetime]) -> None:
    """Run the page the URL names (after :func:`configure_page`); every page reads its
    instants from ``clock``."""
    pages = {
        spec.url_path: st.Page(
            _page(spec, settings, clock),
            title=spec.title,
            url_path=spec.url_path,
            icon=spec.icon,
        )
        for spec in PAGES
    }

    def to_home() -> None:
        st.switch_page(pages[HOME], query_params=st.query_params.to_dict())

    root = st.Page(to_home, title="vendorwatch", url_path="home", default=True, visibility="hidden")
    sections: dict[str, list[StreamlitPage]] = {}
    for spec in PAGES:
        sections.setdefault(spec.section, []).append(pages[spec.url_path])
    sections[PAGES[0].section].insert(0, root)
    logged_in = current_viewer(settings) is not None
    st.navigation(sections, position="sidebar" if logged_in else "hidden").run()
