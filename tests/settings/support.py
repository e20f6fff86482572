"""What the settings tests share: a TOML file written for the test, the message a bad setting
produces, the bar that message must meet, and the ``vendorwatch`` command line in a clean
environment."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_vendorwatch
from vendorwatch.settings import SettingsError, load_settings

ONE_SCREEN = 24  # lines

NamedConfig = Callable[[str], Path]
"""The ``named_config`` fixture: writes a TOML text to a file that ``VENDORWATCH_CONFIG`` names,
and returns the file."""


def write_toml(directory: Path, text: str, name: str = "custom.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def settings_error(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    """The :class:`SettingsError` message :func:`load_settings` raises under ``env``."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    return str(info.value)


def assert_readable(message: str) -> None:
    """One screen, no traceback, no pydantic internals."""
    assert len(message.splitlines()) <= ONE_SCREEN, message
    assert "Traceback" not in message
    assert "errors.pydantic.dev" not in message
    assert "pydantic_core" not in message


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m vendorwatch ARGS`` in ``tmp_path`` with only the given VENDORWATCH_* vars."""
    return run_vendorwatch(*args, cwd=tmp_path, env=env, timeout=60)
