"""``vendorwatch dashboard``: run the Streamlit dashboard on the read-model snapshots.

This process becomes ``streamlit run vendorwatch/dashboard_app.py`` (exec: signals and the
exit status are Streamlit's) with an environment that reproduces the current settings exactly
(:func:`vendorwatch.settings.settings_environment`), so the app's ``load_settings()`` sees what
this command saw. Bad settings stop here with the usual message and exit status 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

import vendorwatch
from vendorwatch.cli.common import settings_or_exit
from vendorwatch.settings import settings_environment

APP = Path(vendorwatch.__file__).resolve().parent / "dashboard_app.py"
"""The Streamlit script: settings and clock in, then the dashboard's pages."""


def streamlit_command(port: int, address: str) -> list[str]:
    """The command line that serves the dashboard (headless, no usage statistics)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "viewer",
    ]


def run_dashboard(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="HTTP port.")] = 8501,
    address: Annotated[
        str, typer.Option("--address", help="Interface to listen on (default: this host only).")
    ] = "127.0.0.1",
) -> None:
    """Serve the dashboard (Streamlit) on http://ADDRESS:PORT until interrupted."""
    settings = settings_or_exit()
    mode = settings.dashboard.mode
    typer.echo(f"vendorwatch dashboard ({mode} mode) on http://{address}:{port}", err=True)
    sys.stderr.flush()
    command = streamlit_command(port, address)
    os.execve(command[0], command, settings_environment(settings))  # noqa: S606 - fixed argv
