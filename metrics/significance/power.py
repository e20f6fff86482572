"""``min_sample`` as a consequence of power, not a guessed constant.

The power of the exact tests of :mod:`metrics.significance.fixed` is computed exactly: for each
sample size the test's critical count (the fewest events at which it says ``breach``) under the
allowed share or rate, then the probability of reaching it at the true one.

* :func:`detection_power`: that probability for given sizes (vectorised), and
  :func:`critical_counts`, the critical counts themselves (the judge's prefilter);
* :func:`min_sample`: the smallest size at which a true share (rate)
  would be detected with probability at least ``power`` at false-alarm rate ``alpha``.

The power of an exact discrete test is a saw-tooth in the size, not monotonic: a size a little
above the minimum can have slightly less power than the minimum itself. The minimum is the
first size that reaches ``power``; a window that always holds at least that many responses
detects the stated degradation with roughly that power.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import stats

from metrics.significance.verdict import Model, check_alpha, check_rate, check_share

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class _Family(NamedTuple):
    """A test's distribution at each size: ``tail(x, sizes, p) = P(X > x)`` and its inverse
    ``inverse(alpha, sizes, p)`` = the smallest ``x`` with ``P(X > x) <= alpha``."""

    level: str  # "share" or "rate": names the parameters in errors
    check: Callable[[float, str], float]
    tail: Callable[[FloatArray, FloatArray, float], FloatArray]
    inverse: Callable[[float, FloatArray, float], FloatArray]

    def levels(self, allowed: float, true: float, *, worse: bool) -> tuple[float, float]:
        """The allowed and the true level, checked (``worse``: the true one must be above)."""
        allowed = self.check(allowed, f"allowed_{self.level}")
        true = self.check(true, f"true_{self.level}")
        if worse and true <= allowed:
            raise ValueError(
                f"true_{self.level} must be > allowed_{self.level}, got {true} <= {allowed}"
            )
        return allowed, true


_BINOMIAL = _Family(
    "share",
    check_share,
    lambda x, n, share: np.asarray(stats.binom.sf(x, n, share), dtype=np.float64),
    lambda alpha, n, share: np.asarray(stats.binom.isf(alpha, n, share), dtype=np.float64),
)
_POISSON = _Family(
    "rate",
    check_rate,
    lambda x, t, rate: np.asarray(stats.poisson.sf(x, rate * t), dtype=np.float64),
    lambda alpha, t, rate: np.asarray(stats.poisson.isf(alpha, rate * t), dtype=np.float64),
)


def _critical(family: _Family, sizes: FloatArray, allowed: float, alpha: float) -> FloatArray:
    """The fewest events at which the test says breach, per size: the smallest ``c`` with
    ``P(X >= c) <= alpha`` (checked against the very tail the test uses, so float ties in the
    inverse cannot move it by one)."""
    tail = family.tail
    critical = np.nan_to_num(family.inverse(alpha, sizes, allowed), nan=0.0) + 1
    critical = np.where(tail(critical - 1, sizes, allowed) > alpha, critical + 1, critical)
    return np.where(tail(critical - 2, sizes, allowed) <= alpha, critical - 1, critical)


_FAMILIES = {"binomial": _BINOMIAL, "poisson": _POISSON}


def _family(model: Model) -> _Family:
    family = _FAMILIES.get(model)
    if family is None:
        raise ValueError(f"model must be one of {sorted(_FAMILIES)}, got {model!r}")
    return family


def critical_counts(
    sizes: float | FloatArray | IntArray, *, model: Model, allowed: float, alpha: float
) -> FloatArray:
    """The fewest events at which ``share_test`` (``model="binomial"``, ``allowed`` a share,
    sizes in responses) or ``rate_test`` (``"poisson"``, a rate per unit, sizes in units) says
    breach, per size: the judge's vectorised prefilter (a binomial count above its size means
    that size can never breach). ValueError naming the parameter as the tests do."""
    family = _family(model)
    allowed = family.check(allowed, f"allowed_{family.level}")
    sizes = np.atleast_1d(np.asarray(sizes, dtype=np.float64))
    return _critical(family, sizes, allowed, check_alpha(alpha))


def _power(
    family: _Family, sizes: FloatArray, allowed: float, true: float, alpha: float
) -> FloatArray:
    """P(the test says breach) at each size when the true level is ``true``."""
    critical = _critical(family, sizes, allowed, check_alpha(alpha))
    return family.tail(critical - 1, sizes, true)


def detection_power(
    sizes: float | FloatArray | IntArray,
    *,
    model: Model,
    allowed: float,
    true: float,
    alpha: float,
) -> FloatArray:
    """The probability that ``share_test`` (``model="binomial"``: shares, sizes in responses)
    or ``rate_test`` (``"poisson"``: rates per unit, sizes in units) says breach at each size
    when the true share or rate is ``true``. ValueError naming the parameter."""
    family = _family(model)
    allowed, true = family.levels(allowed, true, worse=False)
    return _power(family, np.atleast_1d(np.asarray(sizes, dtype=np.float64)), allowed, true, alpha)


def min_sample(
    *,
    model: Model,
    allowed: float,
    true: float,
    alpha: float,
    power: float = 0.8,
    step: float = 1.0,
    limit: int = 10_000_000,
) -> float:
    """The smallest size at which a true share or rate ``true`` (above ``allowed``) is detected
    with probability >= ``power`` at false-alarm rate ``alpha``: for ``model="binomial"`` the
    fewest responses (an int), for ``"poisson"`` the smallest exposure that is a whole number
    of ``step`` units (responses, days).

    ValueError, naming the parameter, for a level out of range, a true level not above the
    allowed one, an alpha outside (0, 0.5), a power outside (0.5, 1), a binomial ``step`` other
    than 1, or no such size up to ``limit`` steps.
    """
    family = _family(model)
    allowed, true = family.levels(allowed, true, worse=True)
    step = check_rate(step, "step")
    if family is _BINOMIAL:
        if step != 1:
            raise ValueError(f"step must be 1 for the binomial model (responses), got {step}")
        return int(_first_size(family, allowed, true, alpha, power, limit, step))
    return _first_size(family, allowed, true, alpha, power, limit, step)


def _first_size(
    family: _Family,
    allowed: float,
    true: float,
    alpha: float,
    power: float,
    limit: int,
    step: float,
) -> float:
    """Scan the sizes 1, 2, ... (times ``step``) in doubling chunks for the first that reaches
    ``power``: about twice the answer's work, exact, and never misled by the saw-tooth."""
    alpha = check_alpha(alpha)
    if not (isinstance(power, int | float) and 0.5 < power < 1):
        raise ValueError(f"power must be in (0.5, 1), got {power!r}")
    first, chunk = 1, 1024
    while first <= limit:
        last = min(first + chunk, limit + 1)
        sizes = np.arange(first, last, dtype=np.float64) * step
        reached = np.flatnonzero(_power(family, sizes, allowed, true, alpha) >= power)
        if reached.size:
            return float(sizes[reached[0]])
        first, chunk = last, chunk * 2
    raise ValueError(
        f"limit: no size up to {limit} detects {true} against {allowed} with power {power}"
    )
