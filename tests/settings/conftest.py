"""Every settings test starts from a clean slate: no ``VENDORWATCH_*`` variable from the
outside and no ``./vendorwatch.toml`` in the working directory. ``named_config`` writes the
config file a test is about."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.settings.support import NamedConfig, write_toml


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No VENDORWATCH_* variable from the outside, and no ./vendorwatch.toml in the cwd."""
    for name in list(os.environ):
        if name.startswith("VENDORWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def named_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> NamedConfig:
    """Write a TOML text to ``custom.toml`` and name it by ``VENDORWATCH_CONFIG``."""

    def write(text: str) -> Path:
        path = write_toml(tmp_path, text)
        monkeypatch.setenv("VENDORWATCH_CONFIG", str(path))
        return path

    return write
