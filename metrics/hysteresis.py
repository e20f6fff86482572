"""The breach state machine of one rule for one vendor: ``ok -> pending -> firing -> resolved``.

Pure functions over a rule's thresholds and a period-ordered series of observations: no I/O,
no clock, no database. :func:`evaluate` returns one :class:`Step` per observation; the last
step's :attr:`Step.status` continues the evaluation later with the same result as one call over
the whole series, so the engine can evaluate incrementally and ``rebuild`` from scratch alike.

Semantics:

* An observation is *insufficient* when its value is missing (None or NaN) or its sample is
  below the rule's ``min_sample`` (a sample of None means "not applicable" and is enough). It
  holds the state and both counters: no data never counts as good, never resolves, never fires.
* ``ok`` / ``resolved``: a breaching period (level warn or critical) starts ``pending`` with a
  run of 1, or fires at once when ``for_periods`` is 1; any other period gives ``ok``.
* ``pending``: breaching extends the run and fires once it reaches ``for_periods``; any other
  period breaks the run and returns to ``ok``.
* ``firing``: severity follows the level while breaching (a warn/critical change is a changed
  step); a period at ``clear`` or better counts towards ``clear_periods`` and resolves on
  reaching it; a period between ``clear`` and ``warn`` keeps firing at the last severity and
  restarts the clearing count, so a series hovering at a threshold never flaps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from metrics.effective_rule import EffectiveRule, Severity


class BreachState(StrEnum):
    """Where a rule stands for one vendor."""

    OK = "ok"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


# The members as plain module names: an enum member looked up on its class costs a descriptor
# call, and advance() is called once per recorded step.
_OK, _PENDING, _FIRING, _RESOLVED = (
    BreachState.OK,
    BreachState.PENDING,
    BreachState.FIRING,
    BreachState.RESOLVED,
)


class Observation(NamedTuple):
    """One period's figure: ``sample`` is the number of responses behind it (None: not used).

    Observations and steps are named tuples: immutable like frozen dataclasses, and built at a
    fifth of their cost (a rebuild makes one per judged period and rule)."""

    period: date
    value: float | None
    sample: int | None = None


@dataclass(frozen=True, slots=True)
class BreachStatus:
    """The state carried between evaluations.

    ``severity`` is set exactly while firing. ``breaching_periods`` is the current run of
    breaching periods, ``clearing_periods`` the current run of clear periods while firing (and
    the run that resolved, on a resolved status). ``period`` is the last period evaluated.
    """

    state: BreachState = _OK
    severity: Severity | None = None
    breaching_periods: int = 0
    clearing_periods: int = 0
    period: date | None = None

    def __post_init__(self) -> None:
        if (self.severity is not None) != (self.state is _FIRING):
            raise ValueError(f"severity {self.severity!r} does not fit state {self.state}")
        if self.breaching_periods < 0 or self.clearing_periods < 0:
            raise ValueError("period counters cannot be negative")


class Step(NamedTuple):
    """The outcome of one observation.

    ``changed`` is True when the state or the severity differs from the previous step;
    ``reason`` says why, in a sentence with the figures.
    """

    period: date
    state: BreachState
    severity: Severity | None
    value: float | None
    breaching_periods: int
    clearing_periods: int
    changed: bool
    reason: str

    @property
    def status(self) -> BreachStatus:
        """The status to pass as ``start`` to continue evaluating after this step."""
        return BreachStatus(
            self.state, self.severity, self.breaching_periods, self.clearing_periods, self.period
        )


Status = BreachStatus | Step
"""What :func:`advance` reads of the previous state: a :class:`BreachStatus`, or the last
:class:`Step` itself (no status object per step); both carry ``state``, ``severity`` and the
two period counters."""


def evaluate(
    rule: EffectiveRule, observations: Iterable[Observation], start: BreachStatus | None = None
) -> list[Step]:
    """One step per observation, continuing from ``start`` (default: ``ok``, no history).

    Periods must be strictly increasing, also relative to ``start.period``: ValueError if not.
    """
    status = start if start is not None else BreachStatus()
    steps: list[Step] = []
    for observation in observations:
        if status.period is not None and observation.period <= status.period:
            raise ValueError(
                f"observations must be in period order: {observation.period} after {status.period}"
            )
        step = advance(rule, status, observation)
        steps.append(step)
        status = step.status
    return steps


def advance(rule: EffectiveRule, status: Status, observation: Observation) -> Step:
    """The step that one observation takes from ``status`` (no period-order check)."""
    value = observation.value
    if value is None or math.isnan(value):
        why = f"{rule.metric} has no value"
        return _held(observation, status, _holding(rule, status, why))
    if observation.sample is not None and observation.sample < rule.min_sample:
        why = f"{rule.metric} {_num(value)} from {observation.sample} responses, below min_sample "
        why += str(rule.min_sample)
        return _held(observation, status, _holding(rule, status, why))
    state, level = status.state, rule.level(value)
    if level != "ok":
        ongoing = state in (_PENDING, _FIRING)
        run = status.breaching_periods + 1 if ongoing else 1
        text = f"{_breach(rule, value, level)} for {_periods(run)}"
        if state is _FIRING:
            was = status.severity
            text += f": firing {level}" + (f" (was {was})" if was != level else "")
            return _step(observation, _FIRING, level, run, 0, level != was, text)
        text += f" (dwell {rule.for_periods})"
        if run >= rule.for_periods:
            return _step(observation, _FIRING, level, run, 0, True, f"{text}: firing {level}")
        return _step(observation, _PENDING, None, run, 0, state is not _PENDING, f"{text}: pending")
    if state is _FIRING:
        severity = status.severity
        if rule.is_clear(value):
            count = status.clearing_periods + 1
            text = f"{_clear(rule, value)} for {_periods(count)}"
            if count >= rule.clear_periods:
                why = f"{text} (needed {rule.clear_periods}): resolved"
                return _step(observation, _RESOLVED, None, 0, count, True, why)
            text += f" of {rule.clear_periods} needed: still firing {severity}"
            return _step(observation, _FIRING, severity, 0, count, False, text)
        text = f"{rule.metric} {_num(value)} between clear {_num(rule.clear)} and {_bound(rule)}"
        why = f"{text}: still firing {severity}, not yet clear"
        return _step(observation, _FIRING, severity, 0, 0, False, why)
    text = _within(rule, value)
    if state is _PENDING:
        held = _periods(status.breaching_periods)
        text += f": back to ok, a run of {held} is short of dwell {rule.for_periods}"
    else:
        text += ": ok" + (" (alert closed)" if state is _RESOLVED else "")
    return _step(observation, _OK, None, 0, 0, state is not _OK, text)


def _step(
    observation: Observation,
    state: BreachState,
    severity: Severity | None,
    breaching: int,
    clearing: int,
    changed: bool,
    reason: str,
) -> Step:
    """The step to ``state`` (severity set exactly while firing, as every caller passes it)."""
    return Step(
        observation.period,
        state,
        severity,
        observation.value,
        breaching,
        clearing,
        changed,
        reason,
    )


def _held(observation: Observation, status: Status, reason: str) -> Step:
    """Insufficient data: the state and both counters as they were."""
    return _step(
        observation,
        status.state,
        status.severity,
        status.breaching_periods,
        status.clearing_periods,
        False,
        reason,
    )


def _holding(rule: EffectiveRule, status: Status, why: str) -> str:
    if status.state is _PENDING:
        held = f"pending ({status.breaching_periods} of {rule.for_periods} periods)"
    elif status.state is _FIRING:
        held = f"firing {status.severity}"
    else:
        held = str(status.state)
    return f"{why}: insufficient data, holding {held}"


def _num(value: float) -> str:
    """The value to 10 significant digits, as Python prints a float (``-0.0`` kept)."""
    return _num_text(value, math.copysign(1.0, value))


@lru_cache(maxsize=65536)
def _num_text(value: float, sign: float) -> str:  # sign: 0.0 == -0.0 as keys, not as text
    return repr(float(f"{value:.10g}"))


def _periods(count: int) -> str:
    return f"{count} period" + ("" if count == 1 else "s")


def _breach(rule: EffectiveRule, value: float, level: Severity) -> str:
    threshold = rule.critical if level == "critical" else rule.warn
    return f"{rule.metric} {_num(value)} {rule.direction} {level} {_num(threshold or 0.0)}"


def _bound(rule: EffectiveRule) -> str:
    """The first breaching threshold, named: "warn 1500.0" (or critical when there is no warn)."""
    name, threshold = ("warn", rule.warn) if rule.warn is not None else ("critical", rule.critical)
    return f"{name} {_num(threshold or 0.0)}"


def _within(rule: EffectiveRule, value: float) -> str:
    return f"{rule.metric} {_num(value)} not {rule.direction} {_bound(rule)}"


def _clear(rule: EffectiveRule, value: float) -> str:
    side = "below" if rule.direction == "above" else "above"
    return f"{rule.metric} {_num(value)} at or {side} clear {_num(rule.clear)}"
