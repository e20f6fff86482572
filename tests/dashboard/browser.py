"""Driving the real dashboard in a real browser: ``vendorwatch dashboard`` as a subprocess and
Debian's Chromium under Playwright.

* The browser is Debian's ``chromium`` (``scripts/system-deps.sh`` installs it), launched by
  the Playwright Python package through ``executable_path``: no ``playwright install``, nothing
  downloaded. A missing ``chromium`` is a failure that says to run ``make system-deps``, never
  a skip.
* :class:`DashboardServer` runs ``python -m vendorwatch dashboard --port N`` with the
  environment that reproduces the test's settings, waits until ``/_stcore/health`` answers
  ``ok`` (bounded), and stops it with SIGTERM, then SIGKILL.
* :func:`wait_rendered` is how a test knows Streamlit has finished a page: the ``stApp``
  element carries ``data-test-script-state``, which is ``initial`` until the first script run
  of a freshly loaded page and ``notRunning`` once a run has finished, and
  ``data-test-connection-state`` (``CONNECTED``). A fresh ``goto`` therefore cannot see a
  premature ``notRunning``; after an interaction a test waits for something that only the
  rerun produces (the success message, say).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
from kafka import KafkaConsumer, TopicPartition
from playwright.sync_api import Browser, Page, Playwright, ViewportSize

from vendorwatch.settings import Settings, settings_environment

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT: ViewportSize = {"width": 1440, "height": 1000}
START_TIMEOUT_S = 60.0
RENDER_TIMEOUT_MS = 45_000
RENDERED = "[data-testid='stApp'][data-test-script-state='notRunning']"
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
NO_BROWSER = (
    "Debian's chromium is not installed (no `chromium` on PATH): run `make system-deps` "
    "(scripts/system-deps.sh installs it with apt-get; CI runs it through `make test`)."
)


def chromium_path() -> str:
    """The Chromium executable; AssertionError (a failure, not a skip) when it is missing."""
    found = shutil.which("chromium")
    assert found is not None, NO_BROWSER
    return found


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, with nothing reaching out to the network on its own."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS
    )


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DashboardServer:
    """``vendorwatch dashboard`` on a free loopback port, its output in ``log``."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.settings = settings
        self.log = log
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The dashboard's root URL (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's output, for failure messages."""
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no output)"

    def start(self) -> None:
        """Start the server and wait (bounded) until it answers; a port taken meanwhile by
        someone else is retried with another one."""
        for _attempt in range(3):
            self.port = free_port()
            env = settings_environment(self.settings) | {"PYTHONUNBUFFERED": "1"}
            with self.log.open("ab") as out:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "vendorwatch", "dashboard", "--port", str(self.port)],
                    cwd=REPO,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if self._wait_healthy():
                return
            if f"Port {self.port} is already in use" not in self.log_tail():
                break
        raise AssertionError(
            f"vendorwatch dashboard did not answer on {self.url}/_stcore/health within "
            f"{START_TIMEOUT_S:.0f} s; its output:\n{self.log_tail()}"
        )

    def _wait_healthy(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    return False
                try:
                    answer = client.get(f"{self.url}/_stcore/health")
                    if answer.status_code == 200 and answer.text.strip() == "ok":
                        return True
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        self.stop()
        return False

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s; idempotent."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextmanager
def running_dashboard(settings: Settings, log: Path) -> Iterator[DashboardServer]:
    """A started :class:`DashboardServer`, stopped whatever happens."""
    server = DashboardServer(settings, log)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def wait_rendered(page: Page, timeout_ms: int = RENDER_TIMEOUT_MS) -> None:
    """Wait until the page is connected and its script run has finished (module docstring)."""
    page.wait_for_selector(CONNECTED, state="attached", timeout=timeout_ms)
    page.wait_for_selector(RENDERED, state="attached", timeout=timeout_ms)


def open_page(page: Page, url: str) -> None:
    """Load ``url`` in ``page`` and wait until Streamlit has rendered it."""
    page.goto(url, wait_until="domcontentloaded")
    wait_rendered(page)


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG at ``artifacts/screenshots/<name>.png``: the viewport is stretched to
    the height of Streamlit's scrolling main area first, so nothing below the fold is lost."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
            ...Array.from(document.querySelectorAll('[data-testid="stMain"], section'),
                          e => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height) + 40, 12_000)})
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)
    return path


def control_commands(
    settings: Settings, wanted: int = 1, timeout_s: float = 20.0
) -> list[dict[str, Any]]:
    """The command documents on the control topic, from the beginning, polled until at least
    ``wanted`` have arrived or ``timeout_s`` has passed (then once more, briefly, so that an
    unexpected extra command is seen too)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    try:
        partitions = consumer.partitions_for_topic(settings.topics.control) or {0}
        consumer.assign([TopicPartition(settings.topics.control, p) for p in partitions])
        consumer.seek_to_beginning()
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout_s
        while len(found) < wanted and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                found += [orjson.loads(record.value) for record in records]
        for records in consumer.poll(timeout_ms=1000).values():
            found += [orjson.loads(record.value) for record in records]
        return found
    finally:
        consumer.close()
