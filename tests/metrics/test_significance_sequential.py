"""metrics.significance, the sequential tests: Wald's bounds and ratio, a sparse surge caught
by accumulated evidence, the state's incremental = rebuild contract, the false-alarm rate by
simulation (fixed seed), and the parameter checks."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.significance import SequentialState, SequentialTest
from tests.metrics.test_significance import three_sigma

# --- sequential evidence --------------------------------------------------------------------

SURGE = SequentialTest("poisson", allowed=0.003, detect=0.007, alpha=0.01, beta=0.2)
TAIL = SequentialTest("binomial", allowed=0.05, detect=0.10, alpha=0.01, beta=0.2)


def test_wald_bounds_and_the_log_likelihood_ratio() -> None:
    assert TAIL.upper == pytest.approx(math.log(0.8 / 0.01))
    assert TAIL.lower == pytest.approx(math.log(0.2 / 0.99))
    expected = 12 * math.log(2) + 88 * math.log(0.90 / 0.95)
    assert TAIL.log_ratio(12, 100) == pytest.approx(expected)
    assert SURGE.log_ratio(5, 1000) == pytest.approx(5 * math.log(7 / 3) - 0.004 * 1000)


def test_a_sparse_surge_is_caught_by_accumulated_evidence() -> None:
    state = SURGE.start()
    days = 0
    while state.decision == "insufficient":  # 100 responses a day, 7 defects per 1k
        state = state.feed([(1 if days % 10 < 7 else 0, 100)])
        days += 1
    assert state.decision == "breach"
    assert days < 30  # before the calendar month would have said so
    verdict = state.verdict()
    assert verdict.test == "sprt-poisson"
    assert verdict.p_value <= SURGE.alpha / (1 - SURGE.beta)
    assert verdict.bound is None
    assert "reached the breach bound" in verdict.reason
    assert state.feed([(0, 100)]).periods == 1  # a decision ends the test: the next starts anew


def test_a_healthy_vendor_is_shown_within_and_the_test_restarts() -> None:
    state = TAIL.start().feed([(3, 100)] * 10)
    assert state.decision == "ok"
    assert state.verdict().clear_p_value <= TAIL.beta / (1 - TAIL.alpha)  # type: ignore[operator]
    assert state.reset() == TAIL.start()
    assert TAIL.start().verdict().reason == "no periods judged yet"


period_counts = st.lists(
    st.integers(0, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))), max_size=40
)


@given(periods=period_counts, cut=st.integers(0, 40))
def test_feeding_days_one_at_a_time_equals_feeding_them_all(
    periods: list[tuple[int, int]], cut: int
) -> None:
    all_at_once = TAIL.start().feed(periods)
    one_by_one = TAIL.start()
    for period in periods:
        one_by_one = one_by_one.feed([period])
    assert one_by_one == all_at_once
    resumed = TAIL.start().feed(periods[:cut])  # an incremental run resumes a stored state
    stored = SequentialState.from_dict(json.loads(json.dumps(resumed.as_dict())))
    assert stored == resumed
    assert stored.feed(periods[cut:]) == all_at_once


@pytest.mark.parametrize(
    ("test", "draw"),
    [
        (TAIL, lambda rng: (int(rng.binomial(10, 0.05)), 10)),  # 10 responses a day
        (SURGE, lambda rng: (int(rng.poisson(0.003 * 100)), 100)),  # 100 responses a day
    ],
)
def test_at_the_allowed_level_a_sequential_test_false_alarms_at_most_alpha_over_1_minus_beta(
    test: SequentialTest, draw: object
) -> None:
    rng = np.random.default_rng(42)
    trials, breaches = 4000, 0
    for _ in range(trials):
        state = test.start()
        while state.decision == "insufficient":
            state = state.feed([draw(rng)])  # type: ignore[operator]
        breaches += state.decision == "breach"
    bound = test.alpha / (1 - test.beta)
    assert breaches / trials <= bound + three_sigma(bound, trials)


def test_numpy_counts_feed_a_state_that_stays_json_safe() -> None:
    state = TAIL.start().feed([(np.int64(3), np.int64(100))])
    assert json.loads(json.dumps(state.as_dict()))["exposure"] == 100


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: SequentialTest("binomial", 0.05, 0.04, 0.01), "detect must be > allowed"),
        (lambda: SequentialTest("binomial", 0.05, 0.1, 0.01, beta=0.6), "beta must be in"),
        (lambda: SequentialTest("normal", 0.05, 0.1, 0.01), "model must be one of"),  # type: ignore[arg-type]
        (lambda: TAIL.start().feed([(5, 4)]), "events must be <= n"),
        (lambda: SequentialState.from_dict({"model": "poisson"}), "lacks allowed, alpha"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter_and_the_rule(
    call: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
