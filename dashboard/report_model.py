"""The monthly review's figures: what a figure of the review is and how two months compare.

:mod:`dashboard.report` fills these from a read-model snapshot and
:mod:`dashboard.report_render` prints them. Contract of :func:`compare`:

* a figure's values are ``vendor_monthly``'s (or ``vendor_scores``') of the month and of the
  month before, unchanged (money stays ``Decimal``) with one exception: in a month whose
  ``status`` is ``no_data`` the service figures, and counts of zero, are missing (``None``),
  never 0: silence is not a zero;
* the change is current - previous (for money only in one currency); the arrow compares the
  values at the precision shown (``→`` when equal); the verdict uses :data:`Metric.better`,
  and is ``unjudged`` when a side's status is not ``ok`` or a volume is compared with a month
  still in progress.

The figures are declared once: the service figures by the registered event kinds
(:mod:`ingest.kinds`, ``EventKind.report``), the cost and score figures here;
:data:`HEADLINE_METRICS` are those of the headline table (every vendor on one row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from ingest.kinds import KINDS

Number = int | float | Decimal
Unit = Literal["count", "fraction", "percent", "ms", "per_1k", "money", "points"]
Better = Literal["higher", "lower"]
Basis = Literal["service", "events", "cost", "score"]
Verdict = Literal["better", "worse", "unchanged", "neutral", "unjudged"]

ARROW_UP, ARROW_DOWN, ARROW_FLAT = "↑", "↓", "→"


@dataclass(frozen=True)
class Metric:
    """A figure of the review: its column, label, unit, and which direction is good.

    ``basis`` names the status that says whether the figure can be judged (``service``:
    ``status``; ``cost``: ``cost_status``; ``events``: the row exists; ``score``: always);
    ``additive`` figures grow with the length of the period (not judged in a partial month);
    ``headline`` figures are in the headline table (one row per vendor).
    """

    key: str
    label: str
    unit: Unit
    better: Better | None
    basis: Basis
    additive: bool = False
    headline: bool = False


SERVICE_METRICS: tuple[Metric, ...] = tuple(
    Metric(
        f.key,
        f.label,
        f.unit,
        f.better,
        f.basis,
        f.additive,
        f.headline,
    )
    for kind in KINDS
    for f in kind.report
)
"""The service figures, as the registered kinds declare them (:mod:`ingest.kinds`)."""
COST_METRICS: tuple[Metric, ...] = (
    Metric("invoiced_amount", "Invoiced amount", "money", "lower", "cost"),
    Metric("variance_pct", "Variance vs contracted fee", "percent", "lower", "cost"),
    # credits are due only for a month that breached the SLA: fewer is better
    Metric("service_credit_due", "Service credits due", "money", "lower", "cost"),
    Metric("net_effective_cost", "Net effective cost", "money", "lower", "cost", headline=True),
)
SCORE_METRICS: tuple[Metric, ...] = (
    Metric("quality_score", "Quality score", "points", "higher", "score"),
    Metric("security_score", "Security score", "points", "higher", "score"),
    Metric("cost_score", "Cost score", "points", "higher", "score"),
    # high means a strong case for bringing the work back in-house
    Metric("backsourcing_score", "Backsourcing score", "points", "lower", "score", headline=True),
)
METRICS: dict[str, Metric] = {m.key: m for m in (*SERVICE_METRICS, *COST_METRICS, *SCORE_METRICS)}
"""Every metric of the review by column: the explicit table of which direction is better."""
HEADLINE_METRICS: tuple[str, ...] = tuple(key for key, m in METRICS.items() if m.headline)
"""The headline table's figures, in the review's order: service (by kind), cost, scores."""

DISPLAY_DECIMALS: dict[Unit, int] = {"count": 0, "fraction": 4, "percent": 2, "ms": 1}
DISPLAY_DECIMALS |= {"per_1k": 2, "money": 2, "points": 1}
"""Decimals at which values are shown (a fraction as a percentage with 2) and compared,
rounded half-up."""


@dataclass(frozen=True)
class Trend:
    """Which way a figure went (an arrow) and whether that is good (the verdict)."""

    arrow: str
    verdict: Verdict


@dataclass(frozen=True)
class Figure:
    """One metric of one vendor: this month, the month before, the change and its trend."""

    metric: Metric
    current: Number | None
    previous: Number | None
    change: Number | None
    trend: Trend | None


@dataclass(frozen=True)
class AlertChange:
    """A transition of the alert log (``firing``, a severity change, ``resolved``)."""

    rule: str
    metric: str
    grain: str
    period: date
    state: str
    severity: str | None
    value: float | None
    reason: str | None


@dataclass(frozen=True)
class Contract:
    """The contract in force at the month's end (``profile_terms``)."""

    end_date: date | None
    notice_period_days: int | None
    notice_deadline: date | None
    act_by: date | None
    auto_renew: bool | None
    monthly_fee: Decimal | None
    termination_fee: Decimal | None
    currency: str | None


@dataclass(frozen=True)
class CostTrend:
    """``vendor_cost_trends`` of the month: net cost over the 6 months before it."""

    direction: str
    months_used: int
    relative_slope_pct: float | None
    p_value: float | None


@dataclass(frozen=True)
class VendorReview:
    """One vendor's month. Statuses are ``vendor_monthly``'s (``no_data`` without a row)."""

    vendor_id: str
    name: str | None
    service: str | None
    tier: str | None
    status: str
    previous_status: str
    cost_status: str | None
    previous_cost_status: str | None
    currency: str | None
    complete: bool
    sla_breaches: tuple[str, ...] | None
    service_figures: tuple[Figure, ...]
    cost_figures: tuple[Figure, ...]
    score_figures: tuple[Figure, ...]
    scores_day: date | None
    alerts: tuple[AlertChange, ...]
    contract: Contract | None
    cost_trend: CostTrend | None

    @property
    def display_name(self) -> str:
        return self.name or self.vendor_id

    @property
    def figures(self) -> tuple[Figure, ...]:
        return (*self.service_figures, *self.cost_figures, *self.score_figures)

    @property
    def sections(self) -> tuple[tuple[str, tuple[Figure, ...]], ...]:
        """(``service`` | ``cost`` | ``scores``, its figures), in the report's order."""
        return (
            ("service", self.service_figures),
            ("cost", self.cost_figures),
            ("scores", self.score_figures),
        )

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.metric.key == key)

    @property
    def alerts_fired(self) -> int:
        """Transitions to ``firing`` in the month (a severity change is one too)."""
        return sum(a.state == "firing" for a in self.alerts)

    @property
    def alerts_resolved(self) -> int:
        return sum(a.state == "resolved" for a in self.alerts)


@dataclass(frozen=True)
class MonthlyReview:
    """The review of ``month`` (its first day) against ``previous_month``."""

    month: date
    previous_month: date
    as_of: datetime | None
    published_at: datetime | None
    vendors: tuple[VendorReview, ...]

    @property
    def complete(self) -> bool:
        """Whether the month had ended by the snapshot's as-of."""
        return all(v.complete for v in self.vendors)


class NoFigures(LookupError):
    """The read model has no figures for the month (or for the vendor in it)."""


_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str) -> date:
    """``YYYY-MM`` -> the month's first day; :class:`ValueError` with a readable message."""
    match = _MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise ValueError(f"{text!r} is not a month: expected YYYY-MM, e.g. 2026-03")
    return date(int(match[1]), int(match[2]), 1)


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _value(metric: Metric, row: dict[str, Any]) -> Number | None:
    value = row.get(metric.key)
    if not isinstance(value, int | float | Decimal) or isinstance(value, bool):
        return None
    silent = metric.basis in ("service", "events") and row.get("status") == "no_data"
    # silence is not a zero: a month without responses shows no rates and no zero counts
    if silent and (metric.basis == "service" or value == 0):
        return None
    return value


def _judged(metric: Metric, now: dict[str, Any], old: dict[str, Any], complete: bool) -> bool:
    if metric.additive and not complete:
        return False
    if metric.basis == "service":
        return bool(now.get("status") == old.get("status") == "ok")
    if metric.basis == "cost":
        return bool(now.get("cost_status") == old.get("cost_status") == "ok")
    return True


def compare(metric: Metric, now: dict[str, Any], old: dict[str, Any], complete: bool) -> Figure:
    """``metric`` of the month (``now``, a row) against the month before (``old``); ``complete``:
    whether the month had ended (see the module docstring)."""
    current, previous = _value(metric, now), _value(metric, old)
    if metric.unit == "money" and now.get("currency") != old.get("currency"):
        return Figure(metric, current, previous, None, None)  # no exchange rate is guessed
    if current is None or previous is None:
        return Figure(metric, current, previous, None, None)
    change: Number
    if isinstance(current, Decimal) or isinstance(previous, Decimal):
        change = Decimal(current) - Decimal(previous)
    else:
        change = current - previous
    places = Decimal(1).scaleb(-DISPLAY_DECIMALS[metric.unit])
    shown_now = Decimal(current).quantize(places, ROUND_HALF_UP)
    shown_before = Decimal(previous).quantize(places, ROUND_HALF_UP)
    if shown_now == shown_before:
        return Figure(metric, current, previous, change, Trend(ARROW_FLAT, "unchanged"))
    arrow = ARROW_UP if shown_now > shown_before else ARROW_DOWN
    verdict: Verdict = "neutral"
    if metric.better is not None and not _judged(metric, now, old, complete):
        verdict = "unjudged"
    elif metric.better is not None:
        verdict = "better" if (arrow == ARROW_UP) == (metric.better == "higher") else "worse"
    return Figure(metric, current, previous, change, Trend(arrow, verdict))
