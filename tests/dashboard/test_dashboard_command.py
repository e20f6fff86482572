"""``vendorwatch dashboard`` serves the app with the current settings; bad settings stop it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import httpx

from tests.conftest import REPO, run_vendorwatch
from tests.dashboard.readmodels import ReadModels
from vendorwatch.cli.dashboard import APP, streamlit_command
from vendorwatch.settings import Settings, settings_environment


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_command_line_runs_the_app_headless_on_loopback() -> None:
    command = streamlit_command(8600, "127.0.0.1")
    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(APP)]
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options == {
        "--server.port": "8600",
        "--server.address": "127.0.0.1",
        "--server.headless": "true",
        "--browser.gatherUsageStats": "false",
        "--server.fileWatcherType": "none",
        "--client.toolbarMode": "viewer",
    }


def test_bad_settings_stop_with_a_readable_message() -> None:
    done = run_vendorwatch("dashboard", env={"VENDORWATCH_DASHBOARD__MODE": "open"})
    assert done.returncode == 2
    assert "dashboard.mode (VENDORWATCH_DASHBOARD__MODE" in done.stderr
    assert "Traceback" not in done.stderr


def test_vendorwatch_dashboard_serves_the_pages(read_models: ReadModels) -> None:
    port = free_port()
    settings = Settings(read_model={"dir": read_models.normal, "stale_after": timedelta(days=1)})  # type: ignore[arg-type]
    env = settings_environment(settings)
    process = subprocess.Popen(
        [sys.executable, "-m", "vendorwatch", "dashboard", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        health = ""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).text
                if health == "ok":
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        assert health == "ok", process.stderr.read() if process.poll() is not None else ""
        page = httpx.get(f"http://127.0.0.1:{port}/vendor?vendor_id=acme-support-1", timeout=5)
        assert page.status_code == 200
        assert "<noscript>" in page.text or "streamlit" in page.text.lower()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, 9)
            process.wait()
    assert "vendorwatch dashboard (demo mode) on http://127.0.0.1:" in process.stderr.read()
