"""Exact fixed-window tests: a window's count against what the SLA allows.

* :func:`share_test`: ``events`` of ``n`` responses (over a latency target, failed) against an
  allowed share ``q``, one-sided exact binomial tests. A p95 target ``T`` is "at most 5 % of
  responses over ``T``"; a success-rate minimum ``s`` is "at most ``1 - s`` of them failed".
* :func:`rate_test`: ``events`` in an ``exposure`` (defects in responses, incidents in periods)
  against an allowed rate per unit, one-sided exact Poisson tests.

Both sides are tested, so hysteresis can be expressed in evidence:

* **breach** when, were the vendor exactly at the allowed share (rate), a count at least this
  high has probability at most ``alpha`` (the false-alarm rate): ``P(X >= events) <= alpha``;
* **ok** when, were the vendor exactly at the clear share (rate, default: the allowed one), a
  count at most this low has probability at most ``clear_alpha`` (default ``alpha``):
  ``P(X <= events) <= clear_alpha``: evidence that the vendor is within the target;
* **insufficient** otherwise, with the bounds that straddle the target as the reason (also for
  an empty window). The two sides cannot both hold while ``clear <= allowed``.

The bounds are the exact ones dual to the tests (Clopper-Pearson for a share, Garwood for a
rate): breach exactly when the lower bound is above the allowed share, ok exactly when the
upper bound is below the clear share (up to floating-point ties).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, cast

from scipy import stats

from metrics.significance import verdict as v
from metrics.significance.verdict import Decision, Interval, Model, Verdict


def _alphas(alpha: float, clear_alpha: float | None) -> tuple[float, float]:
    """The breach side's and the clear side's false-alarm rates (the clear one defaults to
    the breach one), both checked."""
    alpha = v.check_alpha(alpha)
    return alpha, alpha if clear_alpha is None else v.check_alpha(clear_alpha, "clear_alpha")


def _share_size(events: int, n: float) -> float:
    """A share's ``n``: a count of responses, at least ``events`` (float-typed for the table)."""
    count = v.check_count(cast(int, n), "n")
    v.check_within(events, count)
    return count


def share_bounds(events: int, n: int, alpha: float, clear_alpha: float | None = None) -> Interval:
    """Clopper-Pearson bounds of the share ``events / n``: the lower at level 1 - ``alpha``, the
    upper at 1 - ``clear_alpha`` (default ``alpha``), each one-sided; (0, 1) for ``n == 0``."""
    events = v.check_count(events, "events")
    return _share_interval(events, _share_size(events, n), *_alphas(alpha, clear_alpha))


def _share_interval(events: int, n: float, alpha: float, upper_alpha: float) -> Interval:
    """:func:`share_bounds` of checked arguments."""
    low = 0.0 if events == 0 else float(stats.beta.ppf(alpha, events, n - events + 1))
    high = 1.0 if events == n else float(stats.beta.ppf(1 - upper_alpha, events + 1, n - events))
    return Interval(low, high)


def rate_bounds(
    events: int, exposure: float, alpha: float, clear_alpha: float | None = None
) -> Interval:
    """Garwood (exact Poisson) bounds of the rate ``events / exposure`` per unit, levels as in
    :func:`share_bounds`; (0, inf) for an exposure of 0."""
    events = v.check_count(events, "events")
    return _rate_interval(events, v.check_exposure(exposure), *_alphas(alpha, clear_alpha))


def _rate_interval(events: int, exposure: float, alpha: float, upper_alpha: float) -> Interval:
    """:func:`rate_bounds` of checked arguments."""
    if exposure == 0:
        return Interval(0.0, float("inf"))
    low = 0.0 if events == 0 else float(stats.gamma.ppf(alpha, events)) / exposure
    return Interval(low, float(stats.gamma.ppf(1 - upper_alpha, events + 1)) / exposure)


class _Family(NamedTuple):
    """What differs between a share of responses and a rate over an exposure."""

    model: Model
    level: str  # "share" or "rate": names the parameters in errors
    check_size: Callable[[int, float], float]
    check_level: Callable[[float, str], float]
    bounds: Callable[[int, float, float, float], Interval]  # of checked arguments
    breach_p: Callable[[int, float, float], float]  # P(X >= events) at the allowed level
    clear_p: Callable[[int, float, float], float]  # P(X <= events) at the clear level
    empty: str
    say: Callable[[float], str]


_SHARE = _Family(
    "binomial",
    "share",
    _share_size,
    v.check_share,
    _share_interval,
    lambda k, n, q: float(stats.binom.sf(k - 1, n, q)),
    lambda k, n, q: float(stats.binom.cdf(k, n, q)),
    "no responses in the window",
    v.percent,
)
_RATE = _Family(
    "poisson",
    "rate",
    lambda events, exposure: v.check_exposure(exposure),
    v.check_rate,
    _rate_interval,
    lambda k, t, r: float(stats.poisson.sf(k - 1, r * t)),
    lambda k, t, r: float(stats.poisson.cdf(k, r * t)),
    "no exposure in the window",
    lambda rate: f"{rate:.3g} per unit",
)


def share_test(
    events: int,
    n: int,
    *,
    allowed_share: float,
    alpha: float,
    clear_share: float | None = None,
    clear_alpha: float | None = None,
) -> Verdict:
    """Judge ``events`` of ``n`` responses against ``allowed_share`` (see the module docstring).

    ValueError, naming the parameter, for negative counts, ``events > n``, a share outside
    (0, 1), an alpha outside (0, 0.5) or a clear share above the allowed one.
    """
    return _test(_SHARE, events, n, (allowed_share, clear_share), (alpha, clear_alpha))


def rate_test(
    events: int,
    exposure: float,
    *,
    allowed_rate: float,
    alpha: float,
    clear_rate: float | None = None,
    clear_alpha: float | None = None,
) -> Verdict:
    """Judge ``events`` in ``exposure`` units against ``allowed_rate`` events per unit (a rate of
    3 defects per 1k responses is ``allowed_rate=0.003`` with the responses as exposure).

    ValueError, naming the parameter, for negative counts or exposure, a rate that is not
    positive, an alpha outside (0, 0.5) or a clear rate above the allowed one.
    """
    return _test(_RATE, events, exposure, (allowed_rate, clear_rate), (alpha, clear_alpha))


def _test(
    family: _Family,
    events: int,
    size: float,
    levels: tuple[float, float | None],
    alphas: tuple[float, float | None],
) -> Verdict:
    """Check the parameters, test both sides and decide (see the module docstring)."""
    events = v.check_count(events, "events")
    n = family.check_size(events, size)
    name = family.level
    allowed = family.check_level(levels[0], f"allowed_{name}")
    clear = allowed if levels[1] is None else family.check_level(levels[1], f"clear_{name}")
    if clear > allowed:
        raise ValueError(f"clear_{name} must be <= allowed_{name}, got {clear} > {allowed}")
    alpha, clear_alpha = _alphas(*alphas)
    bound = family.bounds(events, n, alpha, clear_alpha)
    test = f"{family.model}-exact"
    if n == 0:
        nan = float("nan")
        return Verdict(
            "insufficient", test, family.model, nan, 1.0, alpha, 0, 0, 0.0, bound, family.empty
        )
    p_breach = family.breach_p(events, n, allowed)
    p_clear = family.clear_p(events, n, clear)
    say, observed = family.say, events / n
    decision: Decision
    if p_breach <= alpha:
        decision = "breach"
        reason = f"{say(observed)} observed; at least {say(bound.low)} with {_level(alpha)}"
        reason += f" confidence, above the allowed {say(allowed)}"
    elif p_clear <= clear_alpha:
        decision = "ok"
        reason = f"{say(observed)} observed; at most {say(bound.high)} with {_level(clear_alpha)}"
        reason += f" confidence, within the clear {say(clear)}"
    else:
        decision = "insufficient"
        reason = f"{say(observed)} observed from {v.number(n)}; the bounds {say(bound.low)} to "
        reason += f"{say(bound.high)} show neither a breach of {say(allowed)}"
        reason += f" nor a clear {say(clear)}" if clear != allowed else " nor that it is within"
    return Verdict(
        decision,
        test,
        family.model,
        observed,
        p_breach,
        alpha,
        n,
        events,
        allowed * n,
        bound,
        reason,
        p_clear,
    )


def _level(alpha: float) -> str:
    return f"{100 * (1 - alpha):g} %"
