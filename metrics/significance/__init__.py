"""Statistical evidence for breach detection: pure functions, no I/O, no database, no clock.

What a rule of the judge decides with (issue #23, docs/design/judgement.md):

* :func:`share_test` / :func:`rate_test` (:mod:`.fixed`): one window's count against the SLA,
  exact one-sided binomial and Poisson tests at a stated false-alarm rate, both sides (breach,
  and evidence of being within the target), with the exact bounds;
* :class:`SequentialTest` / :class:`SequentialState` (:mod:`.sequential`): Wald's SPRT over
  period counts for slow or sparse signals, a frozen, serialisable state;
* :func:`min_sample` (:mod:`.power`): the window size a degradation needs
  to be detected with a stated power, and :func:`critical_counts`, the judge's prefilter;
* :class:`Verdict` (:mod:`.verdict`): the one result, with :meth:`Verdict.sentence`.

Probabilities are floats here; money never passes through this package.
"""

from metrics.significance.fixed import rate_bounds, rate_test, share_bounds, share_test
from metrics.significance.power import (
    critical_counts,
    detection_power,
    min_sample,
)
from metrics.significance.sequential import SequentialState, SequentialTest
from metrics.significance.verdict import Decision, Interval, Model, Verdict

__all__ = [
    "Decision",
    "Interval",
    "Model",
    "SequentialState",
    "SequentialTest",
    "Verdict",
    "critical_counts",
    "detection_power",
    "min_sample",
    "rate_bounds",
    "rate_test",
    "share_bounds",
    "share_test",
]
