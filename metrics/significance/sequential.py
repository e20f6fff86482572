"""Sequential evidence for slow or sparse signals: Wald's SPRT over period counts.

A :class:`SequentialTest` weighs the counts since it started, period by period (a day's
defects in its responses, its responses over the latency target), as the log-likelihood ratio
of a vendor at the share or rate to ``detect`` against one exactly at the ``allowed`` one:

* binomial (``events`` of ``exposure`` responses): ``k ln(p1/p0) + (n-k) ln((1-p1)/(1-p0))``;
* Poisson (``events`` in ``exposure`` units): ``k ln(r1/r0) - (r1-r0) t``.

It says **breach** once the ratio reaches ``ln A``, A = (1 - beta) / alpha, **ok** once it falls
to ``ln B``, B = beta / (1 - alpha) (Wald's bounds), and **insufficient** in between.
Wald's inequalities make the false-alarm rate of one test at most ``alpha / (1 - beta)`` and
its miss rate at most ``beta / (1 - alpha)``, whatever the overshoot; that they are about
``alpha`` and ``beta`` is Wald's approximation, which ignores the overshoot (a whole period's
counts can jump past a bound). ``min(1, 1 / ratio)`` is an anytime-valid p-value: the ratio is a
non-negative supermartingale for any vendor at or inside the allowed share (Ville's inequality).

A decision ends that test: the next period starts a new one (Wald's repeated SPRT), so a
vendor shown to be fine does not bank credit against a later surge, and a breach that persists
is shown again by the next test. Over a horizon of many tests the false alarms add up: choose
``alpha`` per test from the false flags per vendor-year the policy accepts.

:class:`SequentialState` is a frozen value holding integer (or exact-sum) counts: the state of
feeding periods one at a time equals the state of feeding them all at once, and
``as_dict`` / ``from_dict`` round-trip it exactly (JSON-safe), so an incremental run equals a
rebuild.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, cast, get_args

from metrics.significance.verdict import (
    Decision,
    Model,
    Verdict,
    check_alpha,
    check_count,
    check_exposure,
    check_rate,
    check_share,
    check_within,
)


@dataclass(frozen=True, slots=True)
class SequentialTest:
    """The parameters: ``allowed`` (share or rate per unit the SLA allows), ``detect`` (the
    worse share or rate to detect), ``alpha`` (false alarms) and ``beta`` (misses), both in
    (0, 0.5); ValueError naming the field otherwise."""

    model: Model
    allowed: float
    detect: float
    alpha: float
    beta: float = 0.2

    def __post_init__(self) -> None:
        if self.model not in get_args(Model):
            raise ValueError(f"model must be one of {get_args(Model)}, got {self.model!r}")
        check = check_share if self.model == "binomial" else check_rate
        check(self.allowed, "allowed")
        check(self.detect, "detect")
        if self.detect <= self.allowed:
            raise ValueError(f"detect must be > allowed, got {self.detect} <= {self.allowed}")
        check_alpha(self.alpha, "alpha")
        check_alpha(self.beta, "beta")

    @property
    def upper(self) -> float:
        """``ln A``: the log-likelihood ratio at which the test says breach."""
        return math.log((1 - self.beta) / self.alpha)

    @property
    def lower(self) -> float:
        """``ln B``: the log-likelihood ratio at which the test says ok."""
        return math.log(self.beta / (1 - self.alpha))

    def log_ratio(self, events: int, exposure: float) -> float:
        """The log-likelihood ratio of ``detect`` against ``allowed`` for these counts."""
        p0, p1 = self.allowed, self.detect
        if self.model == "binomial":
            return events * math.log(p1 / p0) + (exposure - events) * math.log((1 - p1) / (1 - p0))
        return events * math.log(p1 / p0) - (p1 - p0) * exposure

    def start(self) -> SequentialState:
        """A test with no evidence yet."""
        return SequentialState(self)


@dataclass(frozen=True, slots=True)
class SequentialState:
    """Where one test stands: the counts since it started and its decision.

    ``decision`` is that of the last period fed; a state that decided starts a new test with
    the next period (see the module docstring)."""

    test: SequentialTest
    events: int = 0
    exposure: float = 0
    periods: int = 0
    decision: Decision = "insufficient"

    def __post_init__(self) -> None:
        check_count(self.events, "events")
        check_exposure(self.exposure)
        check_count(self.periods, "periods")
        if self.test.model == "binomial":
            check_count(cast(int, self.exposure), "exposure")
            check_within(self.events, cast(int, self.exposure))
        if self.decision not in get_args(Decision):
            raise ValueError(f"decision must be one of {get_args(Decision)}, got {self.decision!r}")

    @property
    def log_ratio(self) -> float:
        return self.test.log_ratio(self.events, self.exposure)

    def feed(self, periods: Iterable[tuple[int, float]]) -> SequentialState:
        """The state after ``(events, exposure)`` of each period, in order (for the binomial
        model the exposure is the period's responses, an int). ValueError, naming the field,
        for negative counts or more events than responses."""
        state = self
        for counted, size in periods:
            events = check_count(counted, "events")
            exposure: float = check_exposure(size)
            if self.test.model == "binomial":
                exposure = check_count(cast(int, size), "exposure")  # responses: an int
                check_within(events, exposure)
            if state.decision != "insufficient":
                state = state.reset()
            events_sum, exposure_sum = state.events + events, state.exposure + exposure
            ratio = self.test.log_ratio(events_sum, exposure_sum)
            decision: Decision = "insufficient"
            if ratio >= self.test.upper:
                decision = "breach"
            elif ratio <= self.test.lower:
                decision = "ok"
            state = replace(
                state,
                events=events_sum,
                exposure=exposure_sum,
                periods=state.periods + 1,
                decision=decision,
            )
        return state

    def reset(self) -> SequentialState:
        """A new test with the same parameters (after a decision, or when the judge restarts
        it, e.g. under a new policy)."""
        return self.test.start()

    def verdict(self) -> Verdict:
        """The evidence so far, as a :class:`Verdict` (``bound`` is None: see its docstring)."""
        test, ratio = self.test, self.log_ratio
        if self.periods == 0:
            reason = "no periods judged yet"
        else:
            where = {
                "breach": f"reached the breach bound {test.upper:.3g}",
                "ok": f"fell to the clear bound {test.lower:.3g}",
                "insufficient": f"between the bounds {test.lower:.3g} and {test.upper:.3g}",
            }[self.decision]
            reason = f"log-likelihood ratio {ratio:.3g} {where} after {self.periods} periods"
        return Verdict(
            self.decision,
            f"sprt-{test.model}",
            test.model,
            ratio,
            min(1.0, math.exp(-ratio)),
            test.alpha,
            self.exposure,
            self.events,
            test.allowed * self.exposure,
            None,
            reason,
            min(1.0, math.exp(ratio)),
        )

    def as_dict(self) -> dict[str, Any]:
        """The state as JSON-safe values (floats round-trip exactly through JSON): the test's
        fields, then the state's own."""
        return {name: getattr(self.test, name) for name in _TEST_FIELDS} | {
            name: getattr(self, name) for name in _STATE_FIELDS
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SequentialState:
        """The state :meth:`as_dict` gave; ValueError naming a missing or invalid field."""
        missing = sorted(set(_FIELDS) - set(data))
        if missing:
            raise ValueError(f"sequential state lacks {', '.join(missing)}")
        test = SequentialTest(**{name: data[name] for name in _TEST_FIELDS})
        return cls(test, **{name: data[name] for name in _STATE_FIELDS})


_TEST_FIELDS = tuple(f.name for f in fields(SequentialTest))
_STATE_FIELDS = tuple(f.name for f in fields(SequentialState) if f.name != "test")
_FIELDS = _TEST_FIELDS + _STATE_FIELDS  # what as_dict writes and from_dict needs
