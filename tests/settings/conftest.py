"""Every settings test starts from a clean slate: no ``VENDORWATCH_*`` variable from the
outside and no ``./vendorwatch.toml`` in the working directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No VENDORWATCH_* variable from the outside, and no ./vendorwatch.toml in the cwd."""
    for name in list(os.environ):
        if name.startswith("VENDORWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
