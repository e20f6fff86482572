"""The built-in components of the daily quality score, declared once each, keyed by event kind.

Each :class:`BuiltinComponent` is one row of a data table: the registered kind whose figures it
reads, its ratio column (SQL over the 30-day windows and the SLA terms of ``metrics.scores``),
its score column, and its ``vendorwatch explain`` line. ``metrics.scores`` derives the
``vendor_scores`` columns, the ratio and score SQL and the quality mean from :data:`BUILT_IN`;
``metrics.explain`` writes one line per row. Components a kind adds on its own
(``EventKind.quality``, e.g. the survey's satisfaction) follow them, with the same weight rules.

Why here and not in the kind modules: each of these measures a kind's figures *against the
vendor's SLA terms* (``vendor_profile``), so it joins two kinds; the score module is where the
two meet. A kind that scores itself alone declares a ``QualityComponent`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ingest.kinds import KIND_BY_TYPE


def ratio_score(r: str) -> str:
    """SQL: "how far from the target" as points: r <= 0.5 -> 100, 1 -> 70, >= 2 -> 0, linear."""
    return f"""(CASE WHEN {r} IS NULL THEN NULL WHEN {r} <= 0.5 THEN 100.0
        WHEN {r} <= 1 THEN 100 - 60 * ({r} - 0.5) WHEN {r} <= 2 THEN 70 - 70 * ({r} - 1)
        ELSE 0.0 END)"""


def ratio(numerator: str, denominator: str) -> str:
    """numerator / denominator, where a zero allowance is infinitely exceeded by any excess."""
    return f"""(CASE WHEN {denominator} IS NULL OR {numerator} IS NULL THEN NULL
        WHEN {denominator} > 0 THEN {numerator} / {denominator}
        WHEN {numerator} > 0 THEN 'infinity'::DOUBLE ELSE 0.0 END)"""


def num(value: float | None, spec: str = ".1f") -> str:
    """A figure in an explain line; ``n/a`` when missing."""
    return "n/a" if value is None else format(value, spec)


@dataclass(frozen=True)
class BuiltinComponent:
    """One built-in quality component (weight 1): ``ratio_sql`` is NULL unless the day's
    quality status is ``ok``; the score is :func:`ratio_score` of the ratio."""

    kind: str
    """The registered event kind whose figures it measures."""
    ratio: str
    ratio_sql: str
    score: str
    explain: Callable[[Mapping[str, Any]], str]
    """The component's line for ``vendorwatch explain`` (before `` -> <score>``), from a
    ``vendor_scores`` row joined with the SLA terms."""


BUILT_IN: tuple[BuiltinComponent, ...] = (
    BuiltinComponent(
        kind="response_time",
        ratio="latency_ratio",
        ratio_sql="latency_p95_30d_ms / sla_latency_p95_ms",
        score="latency_score",
        explain=lambda s: (
            f"  latency: median daily p95 {num(s['latency_p95_30d_ms'], '.0f')} ms vs SLA "
            f"{num(s['sla_latency_p95_ms'], '.0f')} ms, ratio {num(s['latency_ratio'], '.2f')}"
        ),
    ),
    BuiltinComponent(
        kind="response_time",
        ratio="error_budget_ratio",
        ratio_sql=ratio("(failures_30d / responses_30d)", "(1 - sla_success_rate_min)"),
        score="reliability_score",
        explain=lambda s: (
            f"  reliability: error budget used x{num(s['error_budget_ratio'], '.2f')} "
            f"(SLA success rate {num(s['sla_success_rate_min'], '.4g')})"
        ),
    ),
    BuiltinComponent(
        kind="defect",
        ratio="defect_ratio",
        ratio_sql=ratio("(1000.0 * defects_30d / responses_30d)", "sla_defects_per_1k_max"),
        score="defect_score",
        explain=lambda s: (
            f"  defects: x{num(s['defect_ratio'], '.2f')} of the allowed "
            f"{num(s['sla_defects_per_1k_max'], '.3g')} per 1,000 responses"
        ),
    ),
)
"""The components every vendor's quality score has, in ``vendor_scores`` column order."""
_UNREGISTERED = {c.kind for c in BUILT_IN} - set(KIND_BY_TYPE)
if _UNREGISTERED:  # pragma: no cover - a registry change
    raise ImportError(f"metrics.quality: built-in components read unregistered {_UNREGISTERED}")
