"""Theil-Sen + Mann-Kendall trends: robust to noise and outliers, honest about thin data."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from metrics.trends import trend

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
series = st.lists(finite, min_size=4, max_size=30)


def test_a_steady_rise_is_rising_with_its_slope() -> None:
    result = trend([100 + 5 * i for i in range(8)])
    assert result.direction == "rising"
    assert result.slope == pytest.approx(5.0)
    assert result.p_value is not None
    assert result.p_value < 0.01
    assert result.describe(" ms", "month").startswith("rising +5 ms per month")


def test_one_outlier_does_not_make_a_trend() -> None:
    values: list[float | None] = [100.0, 101.0, 99.0, 100.0, 100.5, 99.5, 100.0, 900.0]
    result = trend(values)
    assert result.direction == "flat"
    assert result.slope is not None
    assert abs(result.slope) < 1.0


def test_noise_around_a_level_is_flat() -> None:
    rng = random.Random(5)
    flat = sum(
        trend([rng.gauss(100, 10) for _ in range(12)]).direction == "flat" for _ in range(200)
    )
    assert flat >= 180  # alpha 0.05: about 5 % false alarms, never most of them


def test_missing_periods_keep_the_others_in_place() -> None:
    result = trend([10.0, None, 30.0, float("nan"), 50.0, 60.0])
    assert result.periods == 4
    assert result.slope == pytest.approx(10.0)


@pytest.mark.parametrize("values", [[], [1.0], [1.0, 2.0, 3.0], [None, None, 1.0, 2.0, None]])
def test_too_few_values_are_insufficient_never_flat(values: list[float | None]) -> None:
    result = trend(values)
    assert result.direction == "insufficient"
    assert result.slope is None
    assert "not enough data" in result.describe()


def test_a_constant_series_is_flat_with_zero_slope() -> None:
    result = trend([7.0] * 6)
    assert (result.direction, result.slope, result.p_value) == ("flat", 0.0, 1.0)


@given(series, finite)
def test_adding_a_constant_does_not_change_the_slope(values: list[float], shift: float) -> None:
    base, shifted = trend(values), trend([v + shift for v in values])
    assert base.slope is not None
    assert shifted.slope is not None
    assert shifted.slope == pytest.approx(base.slope, rel=1e-6, abs=1e-3)


@given(series)
def test_reversing_time_negates_the_slope_and_direction(values: list[float]) -> None:
    forward, backward = trend(values), trend(values[::-1])
    assert forward.slope is not None
    assert backward.slope is not None
    assert backward.slope == pytest.approx(-forward.slope, rel=1e-6, abs=1e-6)
    mirrored = {"rising": "falling", "falling": "rising", "flat": "flat"}
    assert backward.direction == mirrored[forward.direction]


@given(series)
def test_the_slope_lies_in_its_confidence_interval(values: list[float]) -> None:
    result = trend(values)
    assert result.slope is not None
    assert result.slope_low is not None
    assert result.slope_high is not None
    assert result.slope_low - 1e-9 <= result.slope <= result.slope_high + 1e-9


tied_or_missing = st.lists(
    st.one_of(st.none(), st.integers(-5, 5).map(float), finite), min_size=3, max_size=30
)


@given(tied_or_missing, st.sampled_from([0.05, 0.1, 0.2]))
def test_the_figures_are_scipys(values: list[float | None], alpha: float) -> None:
    """The fast path computes what scipy's theilslopes and kendalltau do (ties, gaps included)."""
    result = trend(values, min_periods=3, alpha=alpha)
    points = [(float(i), v) for i, v in enumerate(values) if v is not None]
    if len(points) < 3 or len({v for _, v in points}) == 1:
        assert result.direction in ("insufficient", "flat")
        return
    x, y = [p[0] for p in points], [p[1] for p in points]
    slope, _, low, high = stats.theilslopes(y, x, alpha=1 - alpha)
    tau, p_value = stats.kendalltau(x, y)
    assert (result.slope, result.slope_low, result.slope_high) == pytest.approx(
        (slope, low, high), rel=1e-12, abs=1e-12
    )
    assert result.tau == pytest.approx(tau, rel=1e-12, abs=1e-12)
    assert result.p_value == pytest.approx(p_value, rel=1e-12, abs=1e-12)
