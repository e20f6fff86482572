"""How the monthly review's values are shown: the one set of rules every renderer and the page use.

A percentage has two decimals (``99.84%``), a change of a percentage is in percentage points
(``+0.08 pp``), money is the ``Decimal`` rounded half-up to cents with its currency, a missing
figure is ``—`` (never 0); an instant is ``YYYY-MM-DD HH:MM UTC``, a day ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from dashboard.report_model import DISPLAY_DECIMALS, Figure, Metric, Number, Unit

MISSING = "—"
STATUS_TEXT = {"insufficient": "insufficient data", "no_data": "no data"}  # others: "_" -> " "
_SHOW = {"count": (1, ""), "fraction": (100, "%"), "percent": (1, "%")}
_SHOW |= {"ms": (1, " ms"), "per_1k": (1, ""), "points": (1, ""), "money": (1, "")}
"""unit -> (scale, suffix) of a shown value; its decimals are the review's rounding
(:data:`~dashboard.report_model.DISPLAY_DECIMALS`) less the digits the scale moves (a fraction
kept to 4 places is a percentage with 2)."""


def _places(unit: Unit) -> int:
    scale = _SHOW[unit][0]
    return DISPLAY_DECIMALS[unit] - (len(str(scale)) - 1)


def status_text(status: str | None) -> str:
    return STATUS_TEXT.get(status or "", (status or MISSING).replace("_", " "))


def show(
    metric: Metric, value: Number | None, currency: str | None = None, *, change: bool = False
) -> str:
    """A value (or with ``change``, a signed change) as every renderer prints it: rounded
    half-up, percentages with 2 decimals and their changes in points, money with its currency."""
    if value is None:
        return MISSING
    (scale, suffix), places = _SHOW[metric.unit], _places(metric.unit)
    if change and metric.unit in ("fraction", "percent"):
        suffix = " pp"
    if metric.unit == "money" and currency:
        suffix = f" {currency}"
    number = (Decimal(value) * scale).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    sign = "+" if (change or metric.unit == "percent") and number != 0 else ""
    return f"{abs(number) if number == 0 else number:{sign},.{places}f}{suffix}"


def when(value: date | datetime | None) -> str:
    """An instant in UTC to the minute, or a day in ISO 8601; ``—`` when missing."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat() if value is not None else MISSING


def shown(f: Figure, currency: str | None) -> dict[str, str]:
    """A figure's shown ``current``, ``previous``, ``change``, ``arrow`` and ``verdict``."""
    return {
        "current": show(f.metric, f.current, currency),
        "previous": show(f.metric, f.previous, currency),
        "change": show(f.metric, f.change, currency, change=True),
        "arrow": f.trend.arrow if f.trend else "",
        "verdict": f.trend.verdict if f.trend else "",
    }
