"""Robust trends: Theil-Sen slope with a Mann-Kendall significance test (scipy).

A trend over trailing periods resists noise and outliers: the Theil-Sen slope is the median of
the pairwise slopes, so one bad month moves it little; the Mann-Kendall test (Kendall's tau of
the values against time, tie-corrected) says whether the direction is more than chance.
Month-over-month differences are never used.

Contract of :func:`trend`: periods with no value (``None`` / NaN) are left out, keeping the
others' positions; with fewer than ``min_periods`` values the result is ``insufficient`` with
no slope — never a flat trend. A constant series is ``flat`` with slope 0 and p-value 1.

The figures equal ``scipy.stats.theilslopes`` and ``scipy.stats.kendalltau`` (the tests hold
them to it), at a small part of the cost: a metrics run computes a trend per vendor and month,
and the two scipy calls took ~0.8 ms each time, mostly argument checking. Kendall's tau and
its p-value depend only on the order of the values (their ranks, ties included), so scipy's
result is kept per rank pattern; the Theil-Sen slope is the median of the pairwise slopes and
its interval Sen's (1968, eq. 2.6), as scipy computes them.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from scipy import special, stats

Direction = Literal["rising", "falling", "flat", "insufficient"]

DEFAULT_MIN_PERIODS = 4
DEFAULT_ALPHA = 0.05


@dataclass(frozen=True)
class Trend:
    """A trend over ``periods`` values; ``slope`` is in the metric's unit per period."""

    direction: Direction
    periods: int
    slope: float | None = None
    slope_low: float | None = None
    slope_high: float | None = None
    tau: float | None = None
    p_value: float | None = None
    median: float | None = None

    @property
    def relative_slope(self) -> float | None:
        """The slope as a share of the series' median per period (``0.02`` = +2 %/period);
        None without a slope or with a median of 0."""
        if self.slope is None or not self.median:
            return None
        return self.slope / abs(self.median)

    def describe(self, unit: str = "", period: str = "period") -> str:
        """Plain words with the numbers, e.g. ``rising +35.2 ms per month (p=0.01, 6 months)``."""
        if self.direction == "insufficient" or self.slope is None:
            return f"not enough data for a trend ({self.periods} {period}s)"
        sign = "+" if self.slope >= 0 else ""
        significance = f"p={self.p_value:.2g}" if self.p_value is not None else "p=n/a"
        return (
            f"{self.direction} {sign}{self.slope:.3g}{unit} per {period} "
            f"({significance}, {self.periods} {period}s)"
        )


def trend(
    values: Sequence[float | None],
    *,
    min_periods: int = DEFAULT_MIN_PERIODS,
    alpha: float = DEFAULT_ALPHA,
) -> Trend:
    """Theil-Sen slope and Mann-Kendall significance of ``values`` (equally spaced periods)."""
    points = [
        (float(i), float(v)) for i, v in enumerate(values) if v is not None and math.isfinite(v)
    ]
    n = len(points)
    if n < max(min_periods, 3):
        return Trend("insufficient", n)
    x = [p[0] for p in points]
    y = [p[1] for p in points]
    median = float(stats.scoreatpercentile(y, 50))
    if max(y) == min(y):
        return Trend("flat", n, 0.0, 0.0, 0.0, 0.0, 1.0, median)
    slope, low, high = _theil_sen(x, y, confidence=1 - alpha)
    tau, p_value = _kendall(_rank_pattern(y))
    p = 1.0 if math.isnan(p_value) else p_value
    direction: Direction = "flat"
    if p < alpha and slope != 0:
        direction = "rising" if slope > 0 else "falling"
    return Trend(direction, n, float(slope), float(low), float(high), float(tau), p, median)


def _theil_sen(x: list[float], y: list[float], confidence: float) -> tuple[float, float, float]:
    """Slope and its ``confidence`` interval, as ``scipy.stats.theilslopes(y, x, confidence)``
    for distinct, increasing ``x``."""
    n = len(y)
    slopes = sorted((y[j] - y[i]) / (x[j] - x[i]) for i in range(n) for j in range(i + 1, n))
    z = float(special.ndtri((1 - confidence) / 2))
    ties = sum(k * (k - 1) * (2 * k + 5) for k in Counter(y).values() if k > 1)
    sigma = math.sqrt((n * (n - 1) * (2 * n + 5) - ties) / 18)
    count = len(slopes)
    upper = min(round((count - z * sigma) / 2), count - 1)
    lower = max(round((count + z * sigma) / 2) - 1, 0)
    return statistics.median(slopes), slopes[lower], slopes[upper]


def _rank_pattern(values: list[float]) -> tuple[int, ...]:
    """Each value's rank among the distinct values (ties share one): all Kendall's tau sees."""
    rank = {v: r for r, v in enumerate(sorted(set(values)))}
    return tuple(rank[v] for v in values)


@lru_cache(maxsize=8192)
def _kendall(pattern: tuple[int, ...]) -> tuple[float, float]:
    """Kendall's tau-b of the values against their positions, and its p-value (scipy's)."""
    result = stats.kendalltau(range(len(pattern)), pattern)
    return float(result.statistic), float(result.pvalue)
