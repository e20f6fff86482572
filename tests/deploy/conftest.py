"""The parsed docker-compose.yml, once per test module."""

from __future__ import annotations

import pytest
import yaml

from tests.deploy.files import COMPOSE_FILE, Compose


@pytest.fixture(scope="module")
def compose() -> Compose:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    assert isinstance(data.get("services"), dict)
    return data
