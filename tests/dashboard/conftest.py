"""Dashboard fixtures: the metrics tests' generated vendor history, reused, and read models
built from it (see :mod:`tests.dashboard.readmodels`), and the monthly review's snapshot
(:mod:`tests.dashboard.reviews`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
import streamlit as st

from tests.dashboard.readmodels import ReadModels, build_read_models
from tests.dashboard.reviews import con, published, review
from tests.metrics.conftest import History, history

__all__ = ["con", "history", "published", "read_models", "review"]


@pytest.fixture(scope="session")
def read_models(history: History, tmp_path_factory: pytest.TempPathFactory) -> ReadModels:
    """Every fixture read model, built once per session."""
    return build_read_models(history, tmp_path_factory.mktemp("dashboard-readmodels"))


@pytest.fixture(scope="session", autouse=True)
def _close_cached_snapshots() -> Iterator[None]:
    """The pages cache snapshot connections for the process's life; close them at the end,
    so DuckDB's bindings do not report them as leaked at interpreter exit."""
    yield
    st.cache_resource.clear()
    st.cache_data.clear()
    gc.collect()
