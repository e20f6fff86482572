"""The wall clock: the one place vendorwatch reads the time of day. Everything else receives
"now" from here, as a parameter (``clock`` / ``now_getter``), so time logic is tested with a
fake clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""A source of timezone-aware instants."""


def utc_now() -> datetime:
    """The current instant, in UTC."""
    return datetime.now(UTC)
