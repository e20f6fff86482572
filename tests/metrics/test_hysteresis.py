"""The breach state machine: one example per transition, then its properties under hypothesis."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.effective_rule import EffectiveRule
from metrics.hysteresis import BreachState, BreachStatus, Observation, Step, evaluate
from tests.metrics.policy_texts import latency_rule

OK, PENDING, FIRING, RESOLVED = (
    BreachState.OK,
    BreachState.PENDING,
    BreachState.FIRING,
    BreachState.RESOLVED,
)
DAY0 = date(2026, 1, 1)

LATENCY = latency_rule()
"""warn 1500 ms, critical 2500, clear 1300, for 3 periods, clear after 2, min sample 50."""


def series(*values: float | tuple[float | None, int | None] | None) -> list[Observation]:
    """Daily observations from DAY0; a bare value has a sample of 100 responses."""
    observations = []
    for offset, item in enumerate(values):
        value, sample = item if isinstance(item, tuple) else (item, 100)
        observations.append(Observation(DAY0 + timedelta(days=offset), value, sample))
    return observations


def states(steps: Sequence[Step]) -> list[str]:
    return [str(step.state) for step in steps]


# --- transitions, by example ---------------------------------------------------------------


def test_breaching_periods_go_pending_then_fire_after_the_dwell() -> None:
    steps = evaluate(LATENCY, series(1600.0, 1700.0, 2710.0))
    assert states(steps) == ["pending", "pending", "firing"]
    assert [s.breaching_periods for s in steps] == [1, 2, 3]
    assert [s.changed for s in steps] == [True, False, True]
    assert [s.severity for s in steps] == [None, None, "critical"]
    assert steps[2].reason == (
        "latency_p95_ms 2710.0 above critical 2500.0 for 3 periods (dwell 3): firing critical"
    )


def test_a_dwell_of_one_fires_at_once() -> None:
    rule = replace(LATENCY, for_periods=1)
    [step] = evaluate(rule, series(1600.0))
    assert (step.state, step.severity, step.changed) == (FIRING, "warn", True)


def test_pending_falls_back_to_ok_when_the_run_breaks() -> None:
    steps = evaluate(LATENCY, series(1600.0, 1600.0, 1400.0, 1600.0))
    assert states(steps) == ["pending", "pending", "ok", "pending"]
    assert steps[2].breaching_periods == 0
    assert steps[3].breaching_periods == 1
    assert "short of dwell 3" in steps[2].reason


def test_severity_follows_the_level_while_firing() -> None:
    steps = evaluate(replace(LATENCY, for_periods=1), series(1600.0, 2600.0, 2600.0, 1700.0))
    assert [s.severity for s in steps] == ["warn", "critical", "critical", "warn"]
    assert [s.changed for s in steps] == [True, True, False, True]
    assert all(s.state is FIRING for s in steps)
    assert "(was warn)" in steps[1].reason


def test_firing_resolves_after_clear_periods_then_returns_to_ok() -> None:
    rule = replace(LATENCY, for_periods=1)
    steps = evaluate(rule, series(2600.0, 1200.0, 1300.0, 1000.0))
    assert states(steps) == ["firing", "firing", "resolved", "ok"]
    assert [s.clearing_periods for s in steps] == [0, 1, 2, 0]
    assert [s.changed for s in steps] == [True, False, True, True]
    assert steps[1].severity == "critical"  # clearing keeps the last severity
    assert steps[2].reason == (
        "latency_p95_ms 1300.0 at or below clear 1300.0 for 2 periods (needed 2): resolved"
    )


def test_the_band_between_clear_and_warn_keeps_firing_and_restarts_clearing() -> None:
    rule = replace(LATENCY, for_periods=1)
    steps = evaluate(rule, series(1600.0, 1200.0, 1400.0, 1200.0, 1200.0))
    assert states(steps) == ["firing", "firing", "firing", "firing", "resolved"]
    assert [s.clearing_periods for s in steps] == [0, 1, 0, 1, 2]
    assert steps[2].changed is False
    assert "between clear 1300.0 and warn 1500.0" in steps[2].reason


def test_a_breach_right_after_resolving_starts_a_new_pending_run() -> None:
    rule = replace(LATENCY, for_periods=2, clear_periods=1)
    steps = evaluate(rule, series(1600.0, 1600.0, 1000.0, 1600.0))
    assert states(steps) == ["pending", "firing", "resolved", "pending"]
    assert steps[3].breaching_periods == 1


@pytest.mark.parametrize(
    ("observation", "why"),
    [
        ((None, 100), "has no value"),
        ((float("nan"), 100), "has no value"),
        ((2600.0, 49), "from 49 responses, below min_sample 50"),
    ],
)
def test_insufficient_periods_hold_state_and_counters(
    observation: tuple[float | None, int], why: str
) -> None:
    steps = evaluate(LATENCY, series(1600.0, 1600.0, observation, 1600.0))
    assert states(steps) == ["pending", "pending", "pending", "firing"]
    assert steps[2].breaching_periods == 2
    assert steps[2].changed is False
    assert why in steps[2].reason
    assert "insufficient data, holding pending (2 of 3 periods)" in steps[2].reason


def test_a_sample_of_none_means_not_applicable_and_is_enough() -> None:
    [step] = evaluate(replace(LATENCY, for_periods=1), series((1600.0, None)))
    assert step.state is FIRING


def test_direction_below_breaches_on_low_values() -> None:
    rule = EffectiveRule("quality", "quality_score", "day", "below", 60.0, 40.0, 65.0, 1, 1)
    steps = evaluate(rule, series(61.0, 59.0, 39.0, 62.0, 65.0))
    assert states(steps) == ["ok", "firing", "firing", "firing", "resolved"]
    assert [s.severity for s in steps] == [None, "warn", "critical", "critical", None]
    assert steps[1].reason.startswith("quality_score 59.0 below warn 60.0 for 1 period")


def test_a_rule_with_only_a_critical_threshold() -> None:
    rule = EffectiveRule("open", "open_critical_incidents", "day", "above", None, 1.0, 1.0)
    steps = evaluate(rule, series(1.0, 2.0, 1.0))
    assert states(steps) == ["ok", "firing", "resolved"]
    assert steps[1].severity == "critical"


def test_observations_must_be_in_period_order() -> None:
    observations = series(1600.0, 1600.0)
    with pytest.raises(ValueError, match="period order"):
        evaluate(LATENCY, observations[::-1])
    first = evaluate(LATENCY, observations)
    with pytest.raises(ValueError, match="period order"):
        evaluate(LATENCY, observations[1:], start=first[-1].status)


def test_a_status_with_severity_outside_firing_is_rejected() -> None:
    with pytest.raises(ValueError, match="severity"):
        BreachStatus(PENDING, "warn", 1, 0)


# --- properties ----------------------------------------------------------------------------

# Values on a small integer grid so they often sit exactly on a threshold.
VALUES = st.one_of(st.none(), st.integers(0, 12).map(float))
SAMPLES = st.one_of(st.none(), st.integers(0, 4))


@st.composite
def above_rules(draw: st.DrawFn, *, strict_band: bool = False) -> EffectiveRule:
    """An "above" rule on the grid: clear <= warn <= critical (clear < warn if strict_band)."""
    warn = draw(st.integers(2, 8))
    critical = draw(st.integers(warn, 10))
    clear = draw(st.integers(0, warn - 1 if strict_band else warn))
    return EffectiveRule(
        name="r",
        metric="m",
        grain="day",
        direction="above",
        warn=float(warn),
        critical=float(critical),
        clear=float(clear),
        for_periods=draw(st.integers(1, 4)),
        clear_periods=draw(st.integers(1, 4)),
        min_sample=draw(st.integers(0, 3)),
    )


@st.composite
def observation_series(draw: st.DrawFn, max_size: int = 30) -> list[Observation]:
    pairs = draw(st.lists(st.tuples(VALUES, SAMPLES), max_size=max_size))
    return series(*pairs)


def sufficient(rule: EffectiveRule, observation: Observation) -> bool:
    sample_ok = observation.sample is None or observation.sample >= rule.min_sample
    return observation.value is not None and sample_ok


class Entries(NamedTuple):
    """A rule's steps over a series and, for each step that moved into one state from another,
    the sufficient observations up to and including it."""

    rule: EffectiveRule
    observations: list[Observation]
    steps: list[Step]
    judged_runs: list[list[Observation]]


def entries(rule: EffectiveRule, observations: list[Observation], state: BreachState) -> Entries:
    steps = evaluate(rule, observations)
    before = [OK, *(s.state for s in steps)]
    moved = [i for i, step in enumerate(steps) if step.state is state and before[i] is not state]
    runs = [[o for o in observations[: i + 1] if sufficient(rule, o)] for i in moved]
    return Entries(rule, observations, steps, runs)


def fired_only_after_a_full_breaching_run(e: Entries) -> None:
    for judged in e.judged_runs:
        run = 0
        for observation in reversed(judged):
            assert observation.value is not None
            if e.rule.level(observation.value) == "ok":
                break
            run += 1
        assert run >= e.rule.for_periods
    # and conversely, a full run always fires
    run = 0
    for observation, step in zip(e.observations, e.steps, strict=True):
        if sufficient(e.rule, observation):
            assert observation.value is not None
            run = run + 1 if e.rule.level(observation.value) != "ok" else 0
        if run >= e.rule.for_periods:
            assert step.state is FIRING


def resolved_only_after_a_full_clear_run(e: Entries) -> None:
    for judged in e.judged_runs:
        tail = judged[-e.rule.clear_periods :]
        assert len(tail) == e.rule.clear_periods
        assert all(o.value is not None and e.rule.is_clear(o.value) for o in tail)


@pytest.mark.parametrize(
    ("state", "holds"),
    [
        (FIRING, fired_only_after_a_full_breaching_run),
        (RESOLVED, resolved_only_after_a_full_clear_run),
    ],
    ids=["firing", "resolving"],
)
@given(rule=above_rules(), observations=observation_series())
def test_a_state_needs_a_full_run_of_sufficient_periods(
    state: BreachState,
    holds: Callable[[Entries], None],
    rule: EffectiveRule,
    observations: list[Observation],
) -> None:
    """Firing needs a full run of breaching sufficient periods (and a full run always fires);
    resolving needs a full run of clear sufficient periods."""
    holds(entries(rule, observations, state))


@given(
    above_rules(strict_band=True),
    st.lists(st.tuples(st.floats(0.0, 1.0), SAMPLES), max_size=30),
)
def test_a_series_in_the_band_after_firing_never_resolves(
    rule: EffectiveRule, band: list[tuple[float, int | None]]
) -> None:
    assert rule.warn is not None
    in_band = [(rule.clear + (rule.warn - rule.clear) * max(f, 1e-6), s) for f, s in band]
    breaching = [(rule.warn + 1.0, None)] * rule.for_periods
    steps = evaluate(rule, series(*breaching, *in_band))
    after_firing = steps[rule.for_periods - 1 :]
    assert all(step.state is FIRING for step in after_firing)
    assert {step.severity for step in after_firing} == {rule.level(rule.warn + 1.0)}


@given(
    above_rules(),
    st.sampled_from([OK, PENDING, FIRING, RESOLVED]),
    st.integers(0, 5),
    st.integers(0, 5),
    st.lists(st.integers(0, 4), max_size=20),
)
def test_all_insufficient_input_never_changes_the_state(
    rule: EffectiveRule, state: BreachState, breaching: int, clearing: int, samples: list[int]
) -> None:
    start = BreachStatus(state, "critical" if state is FIRING else None, breaching, clearing)
    observations = series(
        *((None, s) if s >= rule.min_sample else (float(s * 3), s) for s in samples)
    )
    for step in evaluate(rule, observations, start=start):
        assert not step.changed
        assert "insufficient data" in step.reason
        assert replace(step.status, period=None) == start


@given(above_rules(), observation_series(), st.data())
def test_continuing_from_a_status_equals_one_evaluation(
    rule: EffectiveRule, observations: list[Observation], data: st.DataObject
) -> None:
    whole = evaluate(rule, observations)
    split = data.draw(st.integers(0, len(observations)))
    head = evaluate(rule, observations[:split])
    start = head[-1].status if head else None
    assert head + evaluate(rule, observations[split:], start=start) == whole


@given(above_rules(), observation_series())
def test_direction_below_mirrors_direction_above(
    rule: EffectiveRule, observations: list[Observation]
) -> None:
    assert rule.warn is not None
    assert rule.critical is not None
    mirrored_rule = replace(
        rule, direction="below", warn=-rule.warn, critical=-rule.critical, clear=-rule.clear
    )
    mirrored = [o._replace(value=None if o.value is None else -o.value) for o in observations]
    above = evaluate(rule, observations)
    below = evaluate(mirrored_rule, mirrored)
    summary = [
        (s.state, s.severity, s.breaching_periods, s.clearing_periods, s.changed) for s in above
    ]
    assert summary == [
        (s.state, s.severity, s.breaching_periods, s.clearing_periods, s.changed) for s in below
    ]


@given(above_rules(), observation_series())
def test_severity_is_set_exactly_while_firing(
    rule: EffectiveRule, observations: list[Observation]
) -> None:
    for step in evaluate(rule, observations):
        assert (step.severity is not None) == (step.state is FIRING)
        assert step.reason


def test_reason_numbers_are_cached_without_mixing_up_signed_zeros() -> None:
    """The reason's figures are cached by value: 0.0 and -0.0 are equal keys, not equal text."""
    from metrics.hysteresis import _num

    assert [_num(0.0), _num(-0.0), _num(0.0)] == ["0.0", "-0.0", "0.0"]
    assert [_num(1500), _num(1500.0), _num(0.1 + 0.2)] == ["1500.0", "1500.0", "0.3"]
