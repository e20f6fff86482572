"""The one result every test of :mod:`metrics.significance` returns, and the parameter checks
they share.

A :class:`Verdict` is the evidence for one window (or one sequential test): what was counted,
what the SLA allows, the test's p-value at its stated false-alarm rate, and the decision.
``insufficient`` is a decision with a reason, never a polite word for ``ok``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Literal, NamedTuple

Decision = Literal["breach", "ok", "insufficient"]
Model = Literal["binomial", "poisson"]


class Interval(NamedTuple):
    """Confidence bounds of a share or a rate: ``low`` at level 1 - alpha (the breach side),
    ``high`` at level 1 - clear_alpha (the clear side), each one-sided."""

    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """The evidence of one test.

    * ``test``: its name (``binomial-exact``, ``poisson-exact``, ``sprt-binomial``, ...);
      ``model``: whether it counts a share of responses or a rate over an exposure.
    * ``statistic``: the observed share (events / n) or rate (events / exposure) for the exact
      tests; the log-likelihood ratio for a sequential test.
    * ``p_value``: the probability, were the vendor exactly at the allowed share or rate, of
      evidence at least this strong against it (for a sequential test the anytime-valid
      ``min(1, 1 / likelihood ratio)``); ``breach`` exactly when it is at most
      ``alpha`` (``alpha / (1 - beta)`` for a sequential test).
    * ``clear_p_value``: the same for the clear side (evidence that the vendor is within the
      clear share or rate); ``ok`` exactly when it is at most the clear side's alpha (for a
      sequential test ``min(1, ratio)``, against the share or rate to detect; ``ok`` exactly
      when it is at most ``beta / (1 - alpha)``). None when the test has no clear side.
    * ``n``: responses (trials) or exposure (units, periods) behind it; ``observed``: the events
      counted (responses over the target, failures, defects, incidents); ``allowed``: the events
      the SLA allows in that ``n`` (allowed share or rate x ``n``).
    * ``bound``: the share's or rate's confidence bounds (None for a sequential test: bounds
      computed after optional stopping would overstate the certainty).
    * ``reason``: why the decision, in a sentence with the figures.
    """

    decision: Decision
    test: str
    model: Model
    statistic: float
    p_value: float
    alpha: float
    n: float
    observed: int
    allowed: float
    bound: Interval | None
    reason: str
    clear_p_value: float | None = None

    def sentence(self, *, units: str = "responses", what: str = "", window: str = "") -> str:
        """The evidence said plainly, for explain, notifications and the dashboard.

        ``units`` names what ``n`` counts, ``what`` the event of a share (" over 1,500 ms") or
        the events of a rate ("defects"), ``window`` the window (" in the last 6 h")::

            47 of 600 responses in the last 6 h over 1,500 ms, where at most 30 are allowed
            (p < 0.001)

        A rate reads "9 defects in 1,200 responses in the last 7 d, where at most 3.6 are
        allowed (p = 0.004)". A decision other than breach is said after the evidence; ``ok``
        cites the clear side's p-value, the one that decided it.
        """
        if self.model == "binomial":
            counted = f"{self.observed:,} of {number(self.n)} {units}{window}{_spaced(what)}"
        else:
            counted = f"{self.observed:,} {what.strip()} in {number(self.n)} {units}{window}"
        text = f"{counted}, where at most {number(self.allowed)} are allowed"
        if self.decision == "ok" and self.clear_p_value is not None:  # the side that decided
            return f"{text}: within the target ({p_text(self.clear_p_value)}; {self.reason})"
        text += f" ({p_text(self.p_value)})"
        if self.decision == "breach":
            return text
        return f"{text}: not enough evidence either way ({self.reason})"


def _spaced(what: str) -> str:
    return f" {what.strip()}" if what.strip() else ""


def number(value: float) -> str:
    """A count or an allowance for a sentence: ``1,200``, ``30``, ``3.6`` (one decimal)."""
    rounded = round(float(value), 1)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.1f}"


def p_text(p_value: float) -> str:
    """``p < 0.001`` below a thousandth, else ``p = 0.004`` (two significant digits)."""
    if p_value < 0.001:
        return "p < 0.001"
    return f"p = {p_value:.2g}"


def percent(share: float) -> str:
    """A share as a percentage with up to two significant decimals: ``7.5 %``, ``0.5 %``."""
    return f"{100 * share:.3g} %"


def check_alpha(value: float, name: str = "alpha") -> float:
    """A false-alarm (or miss) rate: in (0, 0.5), else ValueError naming ``name``."""
    if not (isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 < value < 0.5):
        raise ValueError(f"{name} must be in (0, 0.5), got {value!r}")
    return float(value)


def check_share(value: float, name: str) -> float:
    """A share of responses: in (0, 1), else ValueError naming ``name``."""
    if not (isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 < value < 1):
        raise ValueError(f"{name} must be in (0, 1), got {value!r}")
    return float(value)


def check_rate(value: float, name: str) -> float:
    """A rate per unit of exposure: finite and > 0, else ValueError naming ``name``."""
    if not (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    ):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def check_count(value: int, name: str) -> int:
    """A count of events or responses: an integer >= 0 (numpy's too), returned as an int;
    ValueError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def check_exposure(value: float, name: str = "exposure") -> float:
    """An exposure (units, periods): finite and >= 0, else ValueError naming ``name``."""
    if not (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    ):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def check_within(events: int, n: int, events_name: str = "events") -> None:
    """A share's events cannot outnumber its responses: ValueError naming both if they do."""
    if events > n:
        raise ValueError(f"{events_name} must be <= n, got {events_name}={events} > n={n}")
