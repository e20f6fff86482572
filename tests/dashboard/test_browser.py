"""The real dashboard in a real browser: ``vendorwatch dashboard`` as a subprocess on a fixture
read model and the real broker, driven by Debian's headless Chromium (Playwright).

Every page registered in :data:`dashboard.app.PAGES` is loaded by its URL path (pages added
later are covered by the checks every page must pass); the pages known here get their key
elements checked too. Acknowledging an alert on the Alerts page must put an ``ack`` command on
the control topic. A full-page screenshot of each page goes to ``artifacts/screenshots/``
(see :mod:`tests.dashboard.browser`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Error, Page, expect, sync_playwright

from control.kinds.ack import Ack
from dashboard import data
from dashboard.access import DEMO_BANNER
from dashboard.app import PAGES, PageSpec
from dashboard.format import BADGES
from tests.conftest import SettingsFactory
from tests.dashboard.browser import (
    RENDER_TIMEOUT_MS,
    VIEWPORT,
    DashboardServer,
    chromium_path,
    control_commands,
    launch_chromium,
    open_page,
    running_dashboard,
    screenshot,
    wait_rendered,
)
from tests.dashboard.readmodels import ReadModels
from vendorwatch.settings import Settings

# The firing, unacknowledged alert the Vendor page opens and the Alerts page acknowledges.
VENDOR_ID = "hooli-claims-1"
RULE = "security_score"
COMMENT = "looking into it (browser test)"
BADGE = "|".join(map(re.escape, BADGES.values()))


@dataclass(frozen=True)
class Target:
    """The alert the test works with, as the fixture read model holds it."""

    vendor_id: str
    vendor_name: str
    rule: str
    alert_id: str


@dataclass(frozen=True)
class PageCheck:
    """What the test knows about one page: its query string and its key elements."""

    query: Callable[[Target], dict[str, str]]
    check: Callable[[Page, Target], None]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module (a failure, not a skip, when it is missing)."""
    chromium_path()
    expect.set_options(timeout=RENDER_TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        try:
            yield launched
        finally:
            launched.close()
            expect.set_options(timeout=None)  # Playwright's default again


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (its own Streamlit session) and page."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(RENDER_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def target(read_models: ReadModels) -> Target:
    """The :data:`VENDOR_ID` / :data:`RULE` alert in the normal fixture read model."""
    snapshot = data.current_snapshot(read_models.normal)
    states = data.alert_states(snapshot.path)
    row = states[(states["vendor_id"] == VENDOR_ID) & (states["rule"] == RULE)].iloc[0]
    assert row["board"] == "active", row.to_dict()
    return Target(VENDOR_ID, str(row["name"]), RULE, str(row["alert_id"]))


@pytest.fixture
def settings(settings_factory: SettingsFactory, read_models: ReadModels) -> Settings:
    """Real settings (the session's broker, fresh topics) on the normal fixture read model."""
    return settings_factory(read_model={"dir": read_models.normal, "stale_after": "P1D"})


@pytest.fixture
def dashboard(settings: Settings, tmp_path: Path) -> Iterator[DashboardServer]:
    """``vendorwatch dashboard`` serving ``settings``, stopped after the test."""
    with running_dashboard(settings, tmp_path / "dashboard.log") as server:
        yield server


def check_every_page(page: Page, spec: PageSpec) -> None:
    """What every page shows: no exception; it ran (the demo banner, its title as the heading,
    the snapshot header); the navigation lists every page and marks this one."""
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    expect(page.get_by_text(DEMO_BANNER)).to_be_visible()
    expect(page.get_by_role("heading", name=spec.title, exact=True, level=1)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^data as of "))).to_be_visible()
    nav = page.locator("[data-testid='stSidebarNav']")
    for other in PAGES:
        expect(nav.locator("a", has_text=other.title).first).to_be_attached()
    expect(nav.locator("a[aria-current='page']")).to_contain_text(spec.title)


def check_overview(page: Page, target: Target) -> None:
    """A status badge per status, the vendor board (a data grid: its cells are read from the
    grid's accessible table) with the vendor and its badge, the active alerts."""
    for badge in BADGES.values():
        expect(page.locator("[data-testid='stMetricLabel']", has_text=badge)).to_be_visible()
    grids = page.locator("[data-testid='stDataFrame']")
    board = grids.filter(has=page.locator("th[role='columnheader']", has_text="Backsourcing"))
    expect(board).to_be_visible()
    name = page.locator(
        "td[role='gridcell']", has_text=re.compile(f"^{re.escape(target.vendor_name)}$")
    )
    row = board.locator("tr[role='row']").filter(has=name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(re.compile(BADGE))
    expect(page.get_by_role("heading", name="Active alerts")).to_be_visible()
    expect(grids).to_have_count(2)


def check_vendor(page: Page, target: Target) -> None:
    """The vendor's name and status, its charts drawn, the linked alert's evidence open."""
    header = page.get_by_role("heading", level=2).filter(has_text=target.vendor_name)
    expect(header).to_be_visible()
    expect(header).to_contain_text(re.compile(BADGE))
    charts = page.locator("[data-testid='stVegaLiteChart']")
    expect(charts.nth(4)).to_be_visible()  # latency, SLA, defects, incidents, cost: 5 at least
    for chart in charts.all():
        expect(chart.locator("canvas, svg").first).to_be_visible()
    opened = page.locator("[data-testid='stExpander'] details[open]")
    expect(opened).to_have_count(1)
    expect(opened).to_contain_text(target.rule)
    expect(opened).to_contain_text("Why:")
    expect(opened).to_contain_text(f"alert {target.alert_id}")


def check_alerts(page: Page, target: Target) -> None:
    """The tabs with counts, the firing alerts to act on, the Acknowledge button enabled."""
    expect(page.get_by_role("tab", name=re.compile(r"^Active \(\d+\)$"))).to_be_visible()
    expect(page.get_by_role("tab", name=re.compile(r"^Acknowledged \(\d+\)$"))).to_be_visible()
    expect(page.get_by_role("heading", name="Act on an alert")).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge", exact=True)).to_be_enabled()
    expect(page.get_by_role("button", name="Silence", exact=True)).to_be_enabled()


KNOWN_PAGES: dict[str, PageCheck] = {
    "overview": PageCheck(lambda t: {}, check_overview),
    "vendor": PageCheck(lambda t: {"vendor_id": t.vendor_id, "alert_id": t.alert_id}, check_vendor),
    "alerts": PageCheck(lambda t: {}, check_alerts),
}


def page_url(server: DashboardServer, spec: PageSpec, target: Target) -> str:
    """``/<url_path>`` with the query the page is known to take."""
    known = KNOWN_PAGES.get(spec.url_path)
    query = known.query(target) if known is not None else {}
    return f"{server.url}/{spec.url_path}" + (f"?{urlencode(query)}" if query else "")


def test_every_page_renders_its_key_elements_in_chromium(
    dashboard: DashboardServer, page: Page, target: Target
) -> None:
    """Each page of ``PAGES`` by its URL: the checks every page passes and, for the pages
    known here, their key elements; all pages are tried and screenshotted before failing."""
    problems: list[str] = []
    for spec in PAGES:
        try:
            open_page(page, page_url(dashboard, spec, target))
            check_every_page(page, spec)
            known = KNOWN_PAGES.get(spec.url_path)
            if known is not None:
                known.check(page, target)
        except (AssertionError, Error) as exc:
            problems.append(f"page {spec.url_path!r}: {exc}")
        try:
            screenshot(page, spec.url_path)
        except Error as exc:
            problems.append(f"page {spec.url_path!r}: no screenshot: {exc}")
    assert not problems, "\n\n".join(problems) + f"\n\nserver output:\n{dashboard.log_tail()}"


def test_acknowledge_in_chromium_puts_an_ack_on_the_control_topic(
    dashboard: DashboardServer, page: Page, target: Target, settings: Settings
) -> None:
    """Choose a firing alert, write a comment, press Acknowledge: the success message names
    the command, and exactly that ``ack`` arrives on the control topic.

    Widget values travel with every rerun request, so the click carries the chosen alert and
    the comment even if an earlier rerun is still going; the server-side proof that the click
    was handled is the success message (and, below, the command itself)."""
    open_page(page, f"{dashboard.url}/alerts")
    try:
        chooser = page.locator(".st-key-act_alert")
        chooser.get_by_role("button", name="Open").click()
        label = re.compile(f"^{re.escape(f'{target.vendor_id} · {target.rule} ·')}")
        page.get_by_role("option", name=label).click()
        expect(chooser.get_by_role("combobox")).to_have_value(label)
        comment = page.locator(".st-key-act_comment input")
        comment.fill(COMMENT)
        comment.press("Enter")
        page.get_by_role("button", name="Acknowledge", exact=True).click()
        sent = page.locator("[data-testid='stAlertContentSuccess']", has_text="Acknowledge sent")
        expect(sent).to_be_visible()
        wait_rendered(page)
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        expect(page.locator("[data-testid='stAlertContentError']")).to_have_count(0)
    finally:
        screenshot(page, "alerts-acknowledged")
    (command,) = control_commands(settings)
    Ack.model_validate(command)
    assert command["command_id"] in sent.inner_text()
    assert command | {"command_id": "", "issued_at": ""} == {
        "type": "ack",
        "command_id": "",
        "issued_at": "",
        "issued_by": "demo",
        "vendor_id": target.vendor_id,
        "rule": target.rule,
        "alert_id": target.alert_id,
        "comment": COMMENT,
    }
