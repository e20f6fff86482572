"""metrics.significance, the fixed windows: the decisions on hand-checked cases, the stated
false-alarm rate and power by simulation (fixed seeds), and the parameter checks. The
sequential tests are in test_significance_sequential.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from metrics.significance import (
    critical_counts,
    detection_power,
    min_sample,
    rate_bounds,
    rate_test,
    share_bounds,
    share_test,
)
from metrics.significance.verdict import Verdict

TRIALS = 20_000
SHARE: dict[str, Any] = {"allowed_share": 0.05}  # the p95 target: at most 5 % over it
RATE: dict[str, Any] = {"allowed_rate": 0.003}  # 3 defects per 1k responses


def three_sigma(rate: float, trials: int) -> float:
    """Three standard errors of a share ``rate`` estimated from ``trials`` draws."""
    return 3 * math.sqrt(rate * (1 - rate) / trials)


# --- fixed windows: hand-checked cases ----------------------------------------------------


def test_the_issues_example_is_a_breach_and_says_so() -> None:
    verdict = share_test(47, 600, allowed_share=0.05, alpha=0.01)
    assert verdict.decision == "breach"
    assert verdict.test == "binomial-exact"
    # P(X >= 47) for X ~ Binomial(600, 0.05), by the sum of the probabilities
    expected = sum(math.comb(600, k) * 0.05**k * 0.95 ** (600 - k) for k in range(47, 601))
    assert verdict.p_value == pytest.approx(expected, rel=1e-9)
    assert (verdict.n, verdict.observed, verdict.allowed) == (600, 47, 30.0)
    assert verdict.statistic == pytest.approx(47 / 600)
    assert verdict.bound is not None
    assert verdict.bound.low > 0.05
    assert verdict.sentence(what="over 1,500 ms", window=" in the last 6 h") == (
        "47 of 600 responses in the last 6 h over 1,500 ms, where at most 30 are allowed"
        " (p = 0.0019)"
    )
    strong = share_test(80, 600, allowed_share=0.05, alpha=0.01)
    assert strong.sentence(what="over 1,500 ms").endswith("(p < 0.001)")


@pytest.mark.parametrize(
    ("events", "n", "decision"),
    [
        (47, 600, "breach"),  # 7.8 %: p = 0.0019
        (40, 600, "insufficient"),  # 6.7 %: p = 0.04, not at 1 %
        (30, 600, "insufficient"),  # exactly the allowed share: no evidence either way
        (15, 600, "ok"),  # 2.5 %: P(X <= 15) = 0.0016
        (3, 40, "insufficient"),  # a small sample proves nothing
        (12, 40, "breach"),  # unless the excess is gross: 30 % of 40
        (0, 0, "insufficient"),  # an empty window
    ],
)
def test_share_decisions(events: int, n: int, decision: str) -> None:
    assert share_test(events, n, allowed_share=0.05, alpha=0.01).decision == decision


def test_an_empty_window_is_insufficient_with_a_reason_never_ok() -> None:
    verdict = share_test(0, 0, allowed_share=0.05, alpha=0.01)
    assert verdict.decision == "insufficient"
    assert verdict.reason == "no responses in the window"
    assert "not enough evidence either way (no responses in the window)" in verdict.sentence()
    assert rate_test(0, 0, allowed_rate=0.003, alpha=0.01).reason == "no exposure in the window"


def test_the_clear_side_is_hysteresis_in_evidence() -> None:
    # 24 of 600 (4 %): P(X <= 24) = 0.15, within 5 % with evidence at 20 %, not at 1 %; and
    # never within a clear share of 3 %
    assert share_test(24, 600, allowed_share=0.05, alpha=0.01).decision == "insufficient"
    lenient = share_test(24, 600, allowed_share=0.05, alpha=0.01, clear_alpha=0.2)
    assert lenient.decision == "ok"
    assert lenient.clear_p_value == pytest.approx(stats.binom.cdf(24, 600, 0.05))
    strict = share_test(24, 600, allowed_share=0.05, alpha=0.01, clear_share=0.03)
    assert strict.decision == "insufficient"
    assert "nor a clear 3 %" in strict.reason


def test_a_success_rate_minimum_is_a_share_of_failures() -> None:
    # SLA 99.5 % success: 0.5 % may fail; 30 failures of 2,000 (1.5 %) is a breach
    verdict = share_test(30, 2000, allowed_share=1 - 0.995, alpha=0.01)
    assert verdict.decision == "breach"
    assert verdict.p_value == pytest.approx(stats.binom.sf(29, 2000, 0.005))


@pytest.mark.parametrize(
    ("events", "exposure", "decision"),
    [
        (9, 1200, "insufficient"),  # 7.5 per 1k against 3: p = 0.012, not at 1 %
        (12, 1200, "breach"),  # p = 0.0003
        (0, 2000, "ok"),  # P(X = 0 | 6) = 0.0025
        (6, 2000, "insufficient"),
    ],
)
def test_rate_decisions(events: int, exposure: int, decision: str) -> None:
    verdict = rate_test(events, exposure, allowed_rate=0.003, alpha=0.01)
    assert verdict.decision == decision
    assert verdict.test == "poisson-exact"
    assert verdict.p_value == pytest.approx(stats.poisson.sf(events - 1, 0.003 * exposure))


def test_a_rate_sentence_names_its_events() -> None:
    verdict = rate_test(12, 1200, allowed_rate=0.003, alpha=0.01)
    assert verdict.sentence(what="defects", window=" in the last 7 d") == (
        "12 defects in 1,200 responses in the last 7 d, where at most 3.6 are allowed (p < 0.001)"
    )


def test_bounds_are_the_exact_ones() -> None:
    low, high = share_bounds(0, 10, 0.05)
    assert low == 0.0
    assert high == pytest.approx(1 - 0.05 ** (1 / 10))  # Clopper-Pearson upper for k = 0
    assert share_bounds(10, 10, 0.05).high == 1.0
    assert share_bounds(0, 0, 0.05) == (0.0, 1.0)
    assert rate_bounds(0, 100, 0.05).high == pytest.approx(-math.log(0.05) / 100)
    assert rate_bounds(3, 0, 0.05) == (0.0, math.inf)


@given(
    n=st.integers(1, 3000),
    fraction=st.floats(0, 1),
    allowed=st.floats(0.001, 0.3),
    alpha=st.sampled_from([0.001, 0.01, 0.05, 0.2]),
)
def test_a_share_breaches_exactly_when_its_lower_bound_is_above_the_allowed_share(
    n: int, fraction: float, allowed: float, alpha: float
) -> None:
    events = round(n * fraction)
    verdict = share_test(events, n, allowed_share=allowed, alpha=alpha)
    assert verdict.bound is not None
    low, high = verdict.bound
    if not (math.isclose(low, allowed, rel_tol=1e-6) or math.isclose(high, allowed, rel_tol=1e-6)):
        assert (verdict.decision == "breach") == (low > allowed)
        assert (verdict.decision == "ok") == (high < allowed)
    more = share_test(min(events + 1, n), n, allowed_share=allowed, alpha=alpha)
    assert more.p_value <= verdict.p_value  # one more response over never weakens a breach


@given(
    exposure=st.integers(1, 100_000),
    events=st.integers(0, 500),
    allowed=st.floats(1e-4, 0.1),
)
def test_a_rate_breaches_exactly_when_its_lower_bound_is_above_the_allowed_rate(
    exposure: int, events: int, allowed: float
) -> None:
    verdict = rate_test(events, exposure, allowed_rate=allowed, alpha=0.01)
    assert verdict.bound is not None
    if not math.isclose(verdict.bound.low, allowed, rel_tol=1e-6):
        assert (verdict.decision == "breach") == (verdict.bound.low > allowed)


def test_numpy_counts_are_counts_and_the_verdict_holds_python_values() -> None:
    verdict = share_test(np.int64(47), np.int64(600), allowed_share=0.05, alpha=0.01)
    assert verdict == share_test(47, 600, allowed_share=0.05, alpha=0.01)
    assert type(verdict.observed) is int


def test_ok_and_insufficient_sentences_say_the_decision() -> None:
    ok = share_test(15, 600, allowed_share=0.05, alpha=0.01)
    assert ok.sentence(what="over 1,500 ms") == (
        "15 of 600 responses over 1,500 ms, where at most 30 are allowed: within the target"
        " (p = 0.0016; 2.5 % observed; at most 4.41 % with 99 % confidence, within the clear 5 %)"
    )
    unsure = share_test(3, 40, allowed_share=0.05, alpha=0.01)
    assert unsure.sentence().endswith(
        "not enough evidence either way (7.5 % observed from 40; the bounds 1.11 % to 23 %"
        " show neither a breach of 5 % nor that it is within)"
    )


def _verdict(model: str, events: int, size: int, alpha: float) -> Verdict:
    if model == "binomial":
        return share_test(events, size, alpha=alpha, **SHARE)
    return rate_test(events, size, alpha=alpha, **RATE)


@given(model=st.sampled_from(["binomial", "poisson"]), size=st.integers(0, 20_000))
def test_critical_counts_are_where_the_test_starts_to_breach(model: str, size: int) -> None:
    allowed = SHARE["allowed_share"] if model == "binomial" else RATE["allowed_rate"]
    critical = int(critical_counts(size, model=model, allowed=allowed, alpha=0.01)[0])  # type: ignore[arg-type]
    if size and (model == "poisson" or critical <= size):
        assert _verdict(model, critical, size, 0.01).decision == "breach"
    if critical >= 1 and (model == "poisson" or critical <= size + 1):
        assert _verdict(model, critical - 1, size, 0.01).decision != "breach"


# --- the stated false-alarm rate and power, by simulation ---------------------------------


def _breach_rate(counts: np.ndarray, judge: object) -> float:
    """The share of simulated counts judged breach (each distinct count judged once)."""
    values, times = np.unique(counts, return_counts=True)
    breached = sum(int(t) for v, t in zip(values, times, strict=True) if judge(int(v)))  # type: ignore[operator]
    return breached / len(counts)


@pytest.mark.parametrize(
    ("model", "size", "alpha"),
    [
        *[("binomial", 600, 0.01), ("binomial", 100, 0.05), ("binomial", 2400, 1e-3)],
        *[("poisson", 700, 0.01), ("poisson", 5000, 0.05)],
    ],
)
def test_at_the_allowed_level_breaches_are_at_most_alpha(
    model: str, size: int, alpha: float
) -> None:
    rng = np.random.default_rng(23)
    if model == "binomial":
        counts = rng.binomial(size, SHARE["allowed_share"], TRIALS)
    else:
        counts = rng.poisson(RATE["allowed_rate"] * size, TRIALS)
    rate = _breach_rate(counts, lambda k: _verdict(model, k, size, alpha).decision == "breach")
    assert rate <= alpha + three_sigma(alpha, TRIALS)


def test_min_sample_is_the_first_size_with_the_stated_power() -> None:
    n = min_sample(model="binomial", allowed=0.05, true=0.10, alpha=0.01, power=0.8)
    powers = detection_power(
        np.arange(1, n + 1), model="binomial", allowed=0.05, true=0.10, alpha=0.01
    )
    assert powers[-1] >= 0.8
    assert (powers[:-1] < 0.8).all()
    # the power agrees with simulating the test itself at that size
    counts = np.random.default_rng(5).binomial(n, 0.10, TRIALS)
    simulated = _breach_rate(
        counts, lambda k: share_test(k, n, allowed_share=0.05, alpha=0.01).decision == "breach"
    )
    assert simulated == pytest.approx(powers[-1], abs=three_sigma(powers[-1], TRIALS))


SURGE_POWER: dict[str, Any] = {"model": "poisson", "allowed": 0.003, "true": 0.007, "alpha": 0.01}


def test_min_sample_of_a_sparse_defect_surge_is_an_exposure() -> None:
    # 7 per 1k against an SLA of 3 per 1k, 1 % false alarms, 80 % power
    units = min_sample(**SURGE_POWER, power=0.8)
    assert detection_power(units, **SURGE_POWER)[0] >= 0.8
    assert detection_power(units - 1, **SURGE_POWER)[0] < 0.8
    counts = np.random.default_rng(11).poisson(0.007 * units, TRIALS)
    simulated = _breach_rate(
        counts, lambda k: rate_test(k, units, allowed_rate=0.003, alpha=0.01).decision == "breach"
    )
    power = float(detection_power(units, **SURGE_POWER)[0])
    assert simulated == pytest.approx(power, abs=three_sigma(power, TRIALS))
    days = min_sample(model="poisson", allowed=0.5, true=2.0, alpha=0.01, step=0.5)
    assert days % 0.5 == 0  # exposures on the step's grid (here half days)


# --- bad parameters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: share_test(1, 10, allowed_share=0.05, alpha=0.5), r"alpha must be in \(0, 0.5\)"),
        (lambda: share_test(1, 10, allowed_share=0.05, alpha=0), r"alpha must be in \(0, 0.5\)"),
        (
            lambda: share_test(1, 10, allowed_share=0.05, alpha=0.01, clear_alpha=0.7),
            r"clear_alpha must be in \(0, 0.5\)",
        ),
        (lambda: share_test(-1, 10, allowed_share=0.05, alpha=0.01), "events must be an integer"),
        (lambda: share_test(11, 10, allowed_share=0.05, alpha=0.01), "events must be <= n"),
        (lambda: share_test(1, -2, allowed_share=0.05, alpha=0.01), "n must be an integer >= 0"),
        (lambda: share_test(1, 10, allowed_share=1.0, alpha=0.01), r"allowed_share must be in"),
        (
            lambda: share_test(1, 10, allowed_share=0.05, alpha=0.01, clear_share=0.06),
            "clear_share must be <= allowed_share",
        ),
        (lambda: rate_test(1, -5, allowed_rate=0.003, alpha=0.01), "exposure must be"),
        (lambda: rate_test(1, 5, allowed_rate=0, alpha=0.01), "allowed_rate must be"),
        (
            lambda: min_sample(model="binomial", allowed=0.05, true=0.05, alpha=0.01),
            "true_share must be > allowed_share",
        ),
        (
            lambda: min_sample(model="binomial", allowed=0.05, true=0.1, alpha=0.01, power=0.4),
            r"power must be in \(0.5, 1\)",
        ),
        (
            lambda: min_sample(model="binomial", allowed=0.05, true=0.051, alpha=0.01, limit=100),
            "limit: no size up to 100",
        ),
        (
            lambda: min_sample(model="binomial", allowed=0.05, true=0.1, alpha=0.01, step=2),
            "step must be 1 for the binomial model",
        ),
        (
            lambda: critical_counts(10, model="normal", allowed=0.05, alpha=0.01),  # type: ignore[arg-type]
            "model must be one of",
        ),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter_and_the_rule(
    call: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
