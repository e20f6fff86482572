"""Running the dashboard under ``streamlit.testing`` with given settings.

The app reads its settings from the environment (``load_settings()``), as under
``vendorwatch dashboard``; :func:`dashboard_app` puts ``settings`` there.

:func:`open_page` selects a page by its URL path. ``AppTest.switch_page`` resolves only pages
backed by files (streamlit#16611/#16711); our pages are callables, which ``st.navigation``
registers under ``calc_hash(url_path)`` — the hash a browser's ``/<url_path>`` request resolves
to — so the test requests that hash, as the browser would.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

import vendorwatch
from vendorwatch.settings import Settings, settings_environment

APP = Path(vendorwatch.__file__).resolve().parent / "dashboard_app.py"
TIMEOUT = 60.0


def use_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``settings`` what ``load_settings()`` returns in this process."""
    for name in [n for n in os.environ if n.startswith("VENDORWATCH_")]:
        monkeypatch.delenv(name)
    for name, value in settings_environment(settings).items():
        if name.startswith("VENDORWATCH_"):
            monkeypatch.setenv(name, value)


def dashboard_app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    use_settings(settings, monkeypatch)
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def open_page(at: AppTest, url_path: str, **query: str) -> AppTest:
    """Run the page at ``/<url_path>?<query>`` (see the module docstring)."""
    at._page_hash = calc_hash(url_path)
    at.query_params.clear()
    at.query_params.update(query)
    return at.run()


def texts(elements: Any) -> list[str]:
    return [str(e.value) for e in elements]


def joined(elements: Any) -> str:
    return "\n".join(texts(elements))
