"""``vendorwatch explain``: why a vendor has its scores and flags, in plain words with numbers.

:func:`explain_vendor` reads only what the metrics job stored (scores, projections, profile
terms), so the words always match the numbers on the board for the same day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from ingest.kinds import KINDS
from metrics.backsourcing import BacksourcingCase, backsourcing_case
from metrics.quality import BUILT_IN, num
from metrics.scores import QUALITY_COMPONENTS
from metrics.trends import trend

TREND_MONTHS = 6
_TRENDED = (
    ("latency_p95_ms", " ms"),
    ("sla_attainment", ""),
    ("defects_per_1k", ""),
    ("net_effective_cost", ""),
)


def _money(value: Decimal | None, currency: str | None = None) -> str:
    if value is None:
        return "unknown"
    return f"{value:,.2f}" + (f" {currency}" if currency else "")


def _quality(s: dict[str, Any]) -> list[str]:
    if s["quality_status"] != "ok":
        return [
            f"quality: not scored ({s['quality_status']}: {s['responses_30d']:,} responses "
            "in 30 days)"
        ]
    lines = [f"quality {num(s['quality_score'])} = mean of the components with an SLA target:"]
    lines += [f"{c.explain(s)} -> {num(s[c.score])}" for c in BUILT_IN]
    for component in QUALITY_COMPONENTS:  # those the registered kinds add
        inputs = ", ".join(f"{name} {s.get(name)}" for name, _, _ in component.window)
        score = s.get(f"{component.name}_score")
        left_out = "" if score is not None else " (too few to count, left out)"
        lines.append(
            f"  {component.name} (weight {component.weight:g}): {inputs}{left_out} -> {num(score)}"
        )
    return lines


def _kinds(con: duckdb.DuckDBPyConnection, vendor_id: str, day: date) -> list[str]:
    """The registered kinds' own lines, from the month of ``day`` in ``vendor_monthly``."""
    explained = [kind for kind in KINDS if kind.explain is not None]
    if not explained:
        return []
    result = con.execute(
        "SELECT * FROM vendor_monthly WHERE vendor_id = ? AND month <= ? "
        "ORDER BY month DESC LIMIT 1",
        [vendor_id, day],
    )
    names = [d[0] for d in result.description]
    found = result.fetchone()
    if found is None:
        return []
    month = dict(zip(names, found, strict=True))
    return [
        f"{line} ({month['month']:%Y-%m})"
        for kind in explained
        if kind.explain is not None
        for line in kind.explain(month)
    ]


def _security(s: dict[str, Any]) -> list[str]:
    if s["security_score"] is None:
        return ["security: not scored (no responses in 30 days: silence is not safety)"]
    return [
        f"security {num(s['security_score'])} = 100 - penalties: in 90 days "
        f"{s['incidents_critical_90d']} critical, {s['incidents_high_90d']} high, "
        f"{s['incidents_medium_90d']} medium, {s['incidents_low_90d']} low incidents; "
        f"{s['open_critical_incidents']} critical still open; "
        f"{s['records_exposed_90d']:,} records exposed"
    ]


def _cost(case: BacksourcingCase) -> list[str]:
    s = case.scores
    if s["cost_score"] is None:
        return ["cost: not scored (no invoiced month in the contract currency yet)"]
    return [
        f"cost {num(s['cost_score'])} = mean of:",
        f"  vs contract: run-rate {_money(case.run_rate, case.currency)}/month over "
        f"{s['cost_months']} month(s), {num(s['variance_pct'], '+.1f')}% vs the fee -> "
        f"{num(s['variance_score'])}",
        f"  vs in-house: {_money(case.inhouse_monthly_cost, case.currency)}/month, ratio "
        f"{num(s['inhouse_ratio'], '.2f')} -> {num(s['inhouse_score'])}",
        _cost_trend(s),
    ]


def _cost_trend(s: dict[str, Any]) -> str:
    if s["cost_trend_score"] is None:
        return "  trend: fewer than 4 invoiced months before this one, left out"
    return (
        f"  trend: {num(s['cost_trend_pct'], '+.1f')}%/month counted "
        f"(p={num(s['cost_trend_p_value'], '.2g')}; only significant growth counts)"
        f" -> {num(s['cost_trend_score'])}"
    )


def _trends(con: duckdb.DuckDBPyConnection, vendor_id: str, day: date) -> list[str]:
    rows = con.execute(
        f"""SELECT {", ".join(m for m, _ in _TRENDED)} FROM vendor_monthly
        WHERE vendor_id = ? AND month < date_trunc('month', CAST(? AS DATE))
        ORDER BY month DESC LIMIT {TREND_MONTHS}""",
        [vendor_id, day],
    ).fetchall()[::-1]
    lines = [f"trends over the last {len(rows)} complete month(s) (Theil-Sen, Mann-Kendall):"]
    for index, (metric, unit) in enumerate(_TRENDED):
        values = [None if r[index] is None else float(r[index]) for r in rows]
        lines.append(f"  {metric}: {trend(values).describe(unit, 'month')}")
    return lines


def _contract(case: BacksourcingCase) -> list[str]:
    if case.contract_end is None:
        return ["contract: no vendor profile in force"]
    renew = " (auto-renews)" if case.auto_renew else ""
    lines = [
        f"contract: ends {case.contract_end}{renew}; notice deadline {case.notice_deadline}; "
        f"act by {case.act_by} to have the in-house team ready "
        f"({case.days_left} days left)"
        if case.act_by is not None
        else f"contract: ends {case.contract_end}{renew}; notice deadline {case.notice_deadline}"
    ]
    if case.monthly_saving is None:
        lines.append("in-house: no estimate in the contract currency")
    else:
        fee = (
            f" + termination fee {_money(case.termination_fee)}"
            if case.termination_applies and case.termination_fee
            else ""
        )
        payback = (
            f"payback {case.payback_months} months"
            if case.payback_months is not None
            else "no payback (in-house is not cheaper)"
        )
        lines.append(
            f"in-house: saves {_money(case.monthly_saving, case.currency)}/month; one-time "
            f"{_money(case.one_time_cost)}{fee}; {payback}"
        )
    return lines


def explain_vendor(con: duckdb.DuckDBPyConnection, vendor_id: str, day: date) -> list[str] | None:
    """Lines explaining ``vendor_id`` as of the end of ``day``; None if it has no scores."""
    case = backsourcing_case(con, vendor_id, day)
    if case is None:
        return None
    s = case.scores
    title = f"{vendor_id}" + (f" ({case.name}, tier {case.tier})" if case.name else "")
    return [
        f"{title} as of {case.day} (policy {s['policy_version']})",
        f"backsourcing score {num(s['backsourcing_score'])} / 100: "
        "high means a strong case for a serious look",
        f"hint: {case.hint.replace('_', ' ')}: {case.hint_reason}",
        *_quality(s),
        *_kinds(con, vendor_id, case.day),
        *_security(s),
        *_cost(case),
        *_contract(case),
        *_trends(con, vendor_id, case.day),
    ]
