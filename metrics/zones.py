"""Time zone names, as settings and commands accept them: IANA names only."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator


def known_zone(value: str) -> str:
    """``value`` if it names an IANA time zone; ValueError saying what is expected otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not an IANA time zone name such as 'Europe/Berlin' or 'UTC'"
        ) from None
    return value


TimeZoneName = Annotated[str, AfterValidator(known_zone)]
