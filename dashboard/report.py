"""The monthly review: every vendor's month next to the month before, from a read-model snapshot.

What the Monthly review page shows and ``vendorwatch report`` prints. The figures and how two
months compare are :mod:`dashboard.report_model`'s; the renderers are in
:mod:`dashboard.report_render`. Contract of :func:`monthly_review`:

* it reads only read-model tables (``vendor_monthly``, ``vendor_scores``, ``profile_terms``,
  ``alert_log``, ``vendor_cost_trends``, ``snapshot_meta``), with parameterized SQL;
* the vendors are those with a ``vendor_monthly`` row in the month (that table has no gaps
  from a vendor's first event to the last run); none, or not the one asked for: :class:`NoFigures`;
* each figure is ``vendor_monthly``'s value of the month and of the month before, compared by
  :func:`dashboard.report_model.compare` (silence is not a zero). A month before the vendor's
  first event is ``no_data``;
* scores are ``vendor_scores`` of the month's last day, or its latest day while the month is
  in progress; alerts are the ``alert_log`` transitions whose period lies in the month;
  contract dates are those of the profile in force at the month's end.

The review's types (:class:`~dashboard.report_model.MonthlyReview`,
:class:`~dashboard.report_model.NoFigures`, ...) are :mod:`dashboard.report_model`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb

from dashboard.report_model import (
    COST_METRICS,
    SCORE_METRICS,
    SERVICE_METRICS,
    AlertChange,
    Contract,
    CostTrend,
    MonthlyReview,
    NoFigures,
    VendorReview,
    compare,
    next_month,
    previous_month,
)


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
_MONTHLY_FIELDS = ("vendor_id", "status", "cost_status", "currency")
"""The vendor's fields that are ``vendor_monthly``'s columns of the month, as they are."""
_PROFILE_FIELDS = ("name", "service", "tier")
"""The vendor's fields that are its profile's columns, as they are."""
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
        **{field: row[field] for field in _MONTHLY_FIELDS},
        **{field: profile[field] for field in _PROFILE_FIELDS},
        previous_status=old["status"],
        previous_cost_status=old["cost_status"],
        complete=bool(row["complete"]),
        sla_breaches=tuple(breaches) if breaches is not None else None,
        service_figures=tuple(compare(m, row, old, row["complete"]) for m in SERVICE_METRICS),
        cost_figures=tuple(compare(m, row, old, row["complete"]) for m in COST_METRICS),
        score_figures=tuple(
            compare(m, scores[0] or {}, scores[1] or {}, True) for m in SCORE_METRICS
        ),
        scores_day=scores[0]["day"] if scores[0] else None,
        alerts=alerts,
        contract=contract,
        cost_trend=cost_trend,
    )
