"""The monthly review: every vendor's month next to the month before, from a read-model snapshot.

What the Monthly review page shows and ``vendorwatch report`` prints (the renderers are in
:mod:`dashboard.report_render`). Contract of :func:`monthly_review`:

* it reads only read-model tables (``vendor_monthly``, ``vendor_scores``, ``profile_terms``,
  ``alert_log``, ``vendor_cost_trends``, ``snapshot_meta``), with parameterized SQL;
* the vendors are those with a ``vendor_monthly`` row in the month (that table has no gaps
  from a vendor's first event to the last run); none, or not the one asked for: :class:`NoFigures`;
* each figure is ``vendor_monthly``'s value of the month and of the month before, unchanged
  (money stays ``Decimal``) with one exception: in a month whose ``status`` is ``no_data`` the
  service figures, and counts of zero, are missing (``None``), never 0: silence is not a zero.
  A month before the vendor's first event is ``no_data`` too;
* the change is current - previous (for money only in one currency); the arrow compares the
  values at the precision shown (``→`` when equal); the verdict uses :data:`Metric.better`,
  and is ``unjudged`` when a side's status is not ``ok`` or a volume is compared with a month
  still in progress;
* scores are ``vendor_scores`` of the month's last day, or its latest day while the month is
  in progress; alerts are the ``alert_log`` transitions whose period lies in the month;
  contract dates are those of the profile in force at the month's end.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import duckdb

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
    ``additive`` figures grow with the length of the period (not judged in a partial month).
    """

    key: str
    label: str
    unit: Unit
    better: Better | None
    basis: Basis
    additive: bool = False


SERVICE_METRICS: tuple[Metric, ...] = tuple(
    Metric(f.key, f.label, f.unit, f.better, f.basis, f.additive)
    for kind in KINDS
    for f in kind.report
)
"""The service figures, as the registered kinds declare them (:mod:`ingest.kinds`)."""
COST_METRICS: tuple[Metric, ...] = (
    Metric("invoiced_amount", "Invoiced amount", "money", "lower", "cost"),
    Metric("variance_pct", "Variance vs contracted fee", "percent", "lower", "cost"),
    # credits are due only for a month that breached the SLA: fewer is better
    Metric("service_credit_due", "Service credits due", "money", "lower", "cost"),
    Metric("net_effective_cost", "Net effective cost", "money", "lower", "cost"),
)
SCORE_METRICS: tuple[Metric, ...] = (
    Metric("quality_score", "Quality score", "points", "higher", "score"),
    Metric("security_score", "Security score", "points", "higher", "score"),
    Metric("cost_score", "Cost score", "points", "higher", "score"),
    # high means a strong case for bringing the work back in-house
    Metric("backsourcing_score", "Backsourcing score", "points", "lower", "score"),
)
METRICS: dict[str, Metric] = {m.key: m for m in (*SERVICE_METRICS, *COST_METRICS, *SCORE_METRICS)}
"""Every metric of the review by column: the explicit table of which direction is better."""

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


def monthly_review(
    con: duckdb.DuckDBPyConnection, month: date, vendor_id: str | None = None
) -> MonthlyReview:
    """The review of ``month`` for every vendor, or for ``vendor_id``; see the module docstring."""
    month = month.replace(day=1)
    before, after = previous_month(month), next_month(month)
    monthly = _rows(
        con,
        "SELECT * FROM vendor_monthly WHERE month IN (?, ?) AND (? IS NULL OR vendor_id = ?)",
        [month, before, vendor_id, vendor_id],
    )
    current = {r["vendor_id"]: r for r in monthly if r["month"] == month}
    previous = {r["vendor_id"]: r for r in monthly if r["month"] == before}
    if not current:
        first, last = con.execute("SELECT min(month), max(month) FROM vendor_monthly").fetchall()[0]
        span = f"figures cover {first:%Y-%m} to {last:%Y-%m}" if first else "no figures at all"
        who = f"{vendor_id} in " if vendor_id else ""
        raise NoFigures(f"no figures for {who}{month:%Y-%m} ({span})")
    ids = sorted(current)
    profiles = _profiles(con, ids, current)
    scores = {
        (r["vendor_id"], r["score_month"]): r for r in _rows(con, _SCORES_SQL, [ids, before, after])
    }
    alerts: dict[str, list[AlertChange]] = {}
    for r in _rows(con, _ALERTS_SQL, [ids, month, after]):
        alerts.setdefault(r.pop("vendor_id"), []).append(AlertChange(**r))
    trends = {r.pop("vendor_id"): CostTrend(**r) for r in _rows(con, _TRENDS_SQL, [month, ids])}
    vendors = [
        _vendor(
            current[v],
            previous.get(v),
            profiles.get(v),
            scores=(scores.get((v, month)), scores.get((v, before))),
            alerts=tuple(alerts.get(v, ())),
            cost_trend=trends.get(v),
        )
        for v in ids
    ]
    vendors.sort(key=lambda r: (r.display_name.casefold(), r.vendor_id))
    meta = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'snapshot_meta'"
    ).fetchall()
    as_of = published_at = None
    if meta[0][0]:
        as_of, published_at = con.execute(
            "SELECT as_of, published_at FROM snapshot_meta"
        ).fetchall()[0]
    return MonthlyReview(month, before, as_of, published_at, tuple(vendors))


_SCORES_SQL = """SELECT date_trunc('month', day)::DATE AS score_month, * FROM vendor_scores
WHERE list_contains(?, vendor_id) AND day >= ? AND day < ?
QUALIFY row_number() OVER (
    PARTITION BY vendor_id, date_trunc('month', day) ORDER BY day DESC) = 1"""
_ALERTS_SQL = """SELECT vendor_id, rule, metric, grain, period, state, severity, value, reason
FROM alert_log WHERE list_contains(?, vendor_id) AND period >= ? AND period < ?
ORDER BY vendor_id, period, recorded_at, rule, alert_id"""
_TRENDS_SQL = """SELECT vendor_id, direction, months_used, relative_slope_pct, p_value
FROM vendor_cost_trends WHERE month = ? AND list_contains(?, vendor_id)"""
_CONTRACT_COLUMNS = {
    "end_date": "contract_end_date",
    "notice_period_days": "notice_period_days",
    "notice_deadline": "notice_deadline",
    "act_by": "act_by",
    "auto_renew": "auto_renew",
    "monthly_fee": "monthly_fee",
    "termination_fee": "termination_fee",
    "currency": "contract_currency",
}


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object]
) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _profiles(
    con: duckdb.DuckDBPyConnection, ids: list[str], current: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The profile in force at the month's end (``profile_event_id``), else the vendor's latest
    one, marked ``_in_force`` = False (its name, service and tier are shown, no contract)."""
    chosen: dict[str, dict[str, Any]] = {}
    for row in _rows(
        con,
        "SELECT * FROM profile_terms WHERE list_contains(?, vendor_id) "
        'ORDER BY vendor_id, valid_from, "partition", "offset"',
        [ids],
    ):
        vendor = row["vendor_id"]
        in_force = row["event_id"] == current[vendor]["profile_event_id"]
        if in_force or not chosen.get(vendor, {}).get("_in_force"):
            chosen[vendor] = {**row, "_in_force": in_force}
    return chosen


def _vendor(
    row: dict[str, Any],
    before: dict[str, Any] | None,
    profile: dict[str, Any] | None,
    *,
    scores: tuple[dict[str, Any] | None, dict[str, Any] | None],
    alerts: tuple[AlertChange, ...],
    cost_trend: CostTrend | None,
) -> VendorReview:
    old: dict[str, Any] = before or {"status": "no_data", "cost_status": None, "currency": None}
    profile = profile or {"name": None, "service": None, "tier": None, "_in_force": False}
    contract = None
    if profile["_in_force"]:
        contract = Contract(**{k: profile[c] for k, c in _CONTRACT_COLUMNS.items()})
    breaches = row["sla_breaches"]
    return VendorReview(
        vendor_id=row["vendor_id"],
        name=profile["name"],
        service=profile["service"],
        tier=profile["tier"],
        status=row["status"],
        previous_status=old["status"],
        cost_status=row["cost_status"],
        previous_cost_status=old["cost_status"],
        currency=row["currency"],
        complete=bool(row["complete"]),
        sla_breaches=tuple(breaches) if breaches is not None else None,
        service_figures=tuple(_figure(m, row, old, row["complete"]) for m in SERVICE_METRICS),
        cost_figures=tuple(_figure(m, row, old, row["complete"]) for m in COST_METRICS),
        score_figures=tuple(
            _figure(m, scores[0] or {}, scores[1] or {}, True) for m in SCORE_METRICS
        ),
        scores_day=scores[0]["day"] if scores[0] else None,
        alerts=alerts,
        contract=contract,
        cost_trend=cost_trend,
    )


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


def _figure(metric: Metric, now: dict[str, Any], old: dict[str, Any], complete: bool) -> Figure:
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
