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

from scipy import stats

from metrics.significance.verdict import (
    Decision,
    Interval,
    Model,
    Verdict,
    check_alpha,
    check_count,
    check_exposure,
    check_rate,
    check_share,
    check_within,
    number,
    percent,
)


def share_bounds(events: int, n: int, alpha: float, clear_alpha: float | None = None) -> Interval:
    """Clopper-Pearson bounds of the share ``events / n``: the lower at level 1 - ``alpha``, the
    upper at 1 - ``clear_alpha`` (default ``alpha``), each one-sided; (0, 1) for ``n == 0``."""
    check_count(events, "events")
    check_count(n, "n")
    check_within(events, n)
    alpha = check_alpha(alpha)
    upper_alpha = alpha if clear_alpha is None else check_alpha(clear_alpha, "clear_alpha")
    low = 0.0 if events == 0 else float(stats.beta.ppf(alpha, events, n - events + 1))
    high = 1.0 if events == n else float(stats.beta.ppf(1 - upper_alpha, events + 1, n - events))
    return Interval(low, high)


def rate_bounds(
    events: int, exposure: float, alpha: float, clear_alpha: float | None = None
) -> Interval:
    """Garwood (exact Poisson) bounds of the rate ``events / exposure`` per unit, levels as in
    :func:`share_bounds`; (0, inf) for an exposure of 0."""
    check_count(events, "events")
    exposure = check_exposure(exposure)
    alpha = check_alpha(alpha)
    upper_alpha = alpha if clear_alpha is None else check_alpha(clear_alpha, "clear_alpha")
    if exposure == 0:
        return Interval(0.0, float("inf"))
    low = 0.0 if events == 0 else float(stats.gamma.ppf(alpha, events)) / exposure
    return Interval(low, float(stats.gamma.ppf(1 - upper_alpha, events + 1)) / exposure)


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
    check_count(events, "events")
    check_count(n, "n")
    check_within(events, n)
    allowed = check_share(allowed_share, "allowed_share")
    clear = allowed if clear_share is None else check_share(clear_share, "clear_share")
    _check_clear(clear, allowed, "clear_share", "allowed_share")
    alpha = check_alpha(alpha)
    clear_alpha = alpha if clear_alpha is None else check_alpha(clear_alpha, "clear_alpha")
    bound = share_bounds(events, n, alpha, clear_alpha)
    if n == 0:
        return _empty("binomial-exact", "binomial", alpha, bound, "no responses in the window")
    p_breach = float(stats.binom.sf(events - 1, n, allowed))
    p_clear = float(stats.binom.cdf(events, n, clear))
    return _verdict(
        "binomial-exact",
        "binomial",
        events,
        n,
        allowed,
        clear,
        (alpha, clear_alpha),
        (p_breach, p_clear),
        bound,
        percent,
    )


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
    check_count(events, "events")
    exposure = check_exposure(exposure)
    allowed = check_rate(allowed_rate, "allowed_rate")
    clear = allowed if clear_rate is None else check_rate(clear_rate, "clear_rate")
    _check_clear(clear, allowed, "clear_rate", "allowed_rate")
    alpha = check_alpha(alpha)
    clear_alpha = alpha if clear_alpha is None else check_alpha(clear_alpha, "clear_alpha")
    bound = rate_bounds(events, exposure, alpha, clear_alpha)
    if exposure == 0:
        return _empty("poisson-exact", "poisson", alpha, bound, "no exposure in the window")
    p_breach = float(stats.poisson.sf(events - 1, allowed * exposure))
    p_clear = float(stats.poisson.cdf(events, clear * exposure))
    return _verdict(
        "poisson-exact",
        "poisson",
        events,
        exposure,
        allowed,
        clear,
        (alpha, clear_alpha),
        (p_breach, p_clear),
        bound,
        _rate_text,
    )


def _rate_text(rate: float) -> str:
    return f"{rate:.3g} per unit"


def _check_clear(clear: float, allowed: float, clear_name: str, allowed_name: str) -> None:
    if clear > allowed:
        raise ValueError(
            f"{clear_name} must be <= {allowed_name}, got {clear_name}={clear} > {allowed}"
        )


def _empty(test: str, model: Model, alpha: float, bound: Interval, reason: str) -> Verdict:
    return Verdict("insufficient", test, model, float("nan"), 1.0, alpha, 0, 0, 0.0, bound, reason)


def _verdict(
    test: str,
    model: Model,
    events: int,
    n: float,
    allowed: float,
    clear: float,
    alphas: tuple[float, float],
    p_values: tuple[float, float],
    bound: Interval,
    say: Callable[[float], str],
) -> Verdict:
    """The decision from both sides' p-values, with the reason in the figures' own terms."""
    (alpha, clear_alpha), (p_breach, p_clear) = alphas, p_values
    observed = events / n
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
        reason = f"{say(observed)} observed from {number(n)}; the bounds {say(bound.low)} to "
        reason += f"{say(bound.high)} show neither a breach of {say(allowed)}"
        reason += f" nor a clear {say(clear)}" if clear != allowed else " nor that it is within"
    return Verdict(
        decision,
        test,
        model,
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
