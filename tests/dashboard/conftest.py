"""Dashboard fixtures: the metrics tests' generated vendor history, reused."""

from __future__ import annotations

from tests.metrics.conftest import history

__all__ = ["history"]
