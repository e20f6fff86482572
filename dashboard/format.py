"""How figures read on the board: money from ``Decimal``, times in a named zone, status badges."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pandas as pd

BADGES = {
    "breach": "🔴 breach",
    "warn": "🟠 warn",
    "silent": "⚫ silent",
    "no data": "⚪ no data",
    "ok": "🟢 ok",
}
"""Vendor status -> its badge (the words are what a person reads; the dot is a glance)."""

_CENT = Decimal("0.01")


def missing(value: Any) -> bool:
    """True for None, NaN and pandas' missing markers (NULL in the read model)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def money(value: Decimal | None, currency: str | None = None) -> str:
    """``12,345.68 EUR`` rounded half-up to cents from the exact ``Decimal``; ``—`` if unknown."""
    if missing(value) or not isinstance(value, Decimal):
        return "—"
    text = f"{value.quantize(_CENT, ROUND_HALF_UP):,}"
    return f"{text} {currency}" if currency and not missing(currency) else text


def number(value: float | None, spec: str = ".1f", unit: str = "") -> str:
    """A figure with ``spec``, or ``—`` when the engine had none (never 0)."""
    if missing(value) or (isinstance(value, float) and math.isinf(value)):
        return "—"
    return f"{format(value, spec)}{unit}"


def when(value: datetime | None, tz: str) -> str:
    """An instant as wall-clock time in ``tz`` with the zone's abbreviation."""
    if missing(value) or value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def day(value: date | datetime | None) -> str:
    """A calendar date (contract dates, reporting days)."""
    if missing(value) or value is None:
        return "—"
    return value.strftime("%Y-%m-%d")


def age(delta: timedelta) -> str:
    """``3 d 4 h``, ``5 h 2 min``, ``40 s``: how old something is, for people."""
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60} min"
    return f"{hours // 24} d {hours % 24} h"


def in_zone(frame: pd.DataFrame, tz: str) -> pd.DataFrame:
    """``frame`` with every time zone-aware column converted to ``tz`` (for display)."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert(tz)
    return out


def vendor_link(vendor_id: str, alert_id: str | None = None) -> str:
    """The Vendor page's relative URL (the same contract as the notifications' links)."""
    query = {"vendor_id": vendor_id} | ({"alert_id": alert_id} if alert_id else {})
    return f"vendor?{urlencode(query)}"
