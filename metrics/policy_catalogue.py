"""What a policy rule may watch, derived from the event-kind registry (:mod:`ingest.kinds`).

The metric catalogue the policy models validate against: every numeric projection column a
registered kind marks for rules (:class:`ingest.kinds.kind.Figure`), the 0-100 scores, which of
them are fractions, which have an SLA target, which exist per month only, and the column that
counts the observations behind each. Also the vendor tiers and the rule settings an override
may replace. Nothing here is written per kind: adding a kind adds its figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, get_args

from ingest.kinds import KINDS

Tier = Literal["critical", "high", "medium", "low"]
TIERS: Final[tuple[str, ...]] = get_args(Tier)

_FIGURES = tuple(f for kind in KINDS if kind.metrics for f in kind.metrics.figures)

# fmt: off
MONTH_ONLY_METRICS: Final = frozenset(
    m for kind in KINDS if kind.metrics for m in kind.metrics.month_only_rule_metrics
)
"""Columns of ``vendor_monthly`` only (the money side); a rule on them needs grain "month"."""
FRACTION_METRICS: Final = frozenset(f.name for f in _FIGURES if f.rule and f.fraction)
SCORE_METRICS: Final = frozenset({"quality_score", "security_score", "cost_score",
                                  "backsourcing_score"})
KNOWN_METRICS: Final = frozenset(
    f.name for f in _FIGURES if f.rule
) | FRACTION_METRICS | SCORE_METRICS | MONTH_ONLY_METRICS
"""Every metric a rule may watch: the numeric projection columns the registered kinds mark
for rules (:mod:`ingest.kinds`) and the 0-100 scores."""
SLA_TARGETS: Final[Mapping[str, str]] = MappingProxyType({
    f.name: f.sla_target for f in _FIGURES if f.rule and f.sla_target is not None
})
"""Metric -> key of its SLA target in the ``sla`` mapping given to :meth:`Policy.effective_rule`."""
SAMPLE_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    {f.name: f.sample for f in _FIGURES if f.rule}
    | dict.fromkeys(SCORE_METRICS, "responses_30d")
)
"""Metric -> the column counting the observations behind it (a rule's ``min_sample``)."""
OVERRIDABLE: Final = ("warn", "critical", "clear", "for_periods", "clear_periods", "min_sample",
                      "escalate_within_days", "enabled")
"""The rule settings a tier or vendor override may replace."""
# fmt: on
