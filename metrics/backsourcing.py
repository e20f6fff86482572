"""The backsourcing case for one vendor on one day: money, dates, and where the evidence points.

Contract of :func:`backsourcing_case` (all money ``Decimal``, in the contract's currency):

* ``run_rate``: the vendor's average monthly invoiced amount (credit notes and corrections
  applied) over the last 3 invoiced months before the day's month (``vendor_scores``);
* ``monthly_saving`` = run-rate - in-house ``monthly_cost`` (only when the in-house estimate is
  in the contract's currency); ``payback_months`` = (in-house ``one_time_cost`` + the
  termination fee when the earliest in-house start (the day plus ``lead_time_days``) falls
  before the contract's ``end_date``) / ``monthly_saving``; None when there is no saving;
* ``notice_deadline`` = ``end_date`` - ``notice_period_days``; ``act_by`` = notice deadline -
  ``lead_time_days`` (0 without an in-house estimate); ``days_left`` = act-by - the day
  (negative once passed);
* ``hint``: ``backsourcing`` when quality or security is below :data:`ACCEPTABLE` (problems money
  cannot fix from outside), ``switch_vendor`` when only cost is below it with quality of at
  least :data:`GOOD` (another vendor or a renegotiation may do), ``insufficient_data`` when a
  needed score is missing, else ``monitor``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import duckdb

Hint = Literal["backsourcing", "switch_vendor", "monitor", "insufficient_data"]
ACCEPTABLE = 60.0
GOOD = 70.0

_CASE_QUERY = """
SELECT s.*, p.name, p.tier, p.contract_end_date, p.notice_deadline, p.act_by, p.monthly_fee,
    p.contract_currency, p.termination_fee, p.auto_renew, p.insourcing_monthly_cost,
    p.insourcing_one_time_cost, p.insourcing_lead_time_days, p.insourcing_currency,
    p.event_id AS profile_event_id, p.sla_latency_p95_ms, p.sla_success_rate_min,
    p.sla_defects_per_1k_max
FROM vendor_scores s
LEFT JOIN profile_terms p ON p.vendor_id = s.vendor_id
    AND p.valid_from < timezone('UTC', CAST(s.day + 1 AS TIMESTAMP))
    AND p.valid_to >= timezone('UTC', CAST(s.day + 1 AS TIMESTAMP))
WHERE s.vendor_id = ? AND s.day <= ?
ORDER BY s.day DESC LIMIT 1
"""


@dataclass(frozen=True)
class BacksourcingCase:
    """See the module docstring for how each figure is defined."""

    vendor_id: str
    day: date
    scores: dict[str, Any]
    name: str | None
    tier: str | None
    profile_event_id: str | None
    currency: str | None
    run_rate: Decimal | None
    contracted_fee: Decimal | None
    inhouse_monthly_cost: Decimal | None
    monthly_saving: Decimal | None
    one_time_cost: Decimal | None
    termination_fee: Decimal | None
    termination_applies: bool
    earliest_inhouse_start: date | None
    payback_months: Decimal | None
    contract_end: date | None
    auto_renew: bool | None
    notice_deadline: date | None
    act_by: date | None
    days_left: int | None
    hint: Hint
    hint_reason: str


def _hint(scores: dict[str, Any]) -> tuple[Hint, str]:
    quality, security, cost = (
        scores.get(k) for k in ("quality_score", "security_score", "cost_score")
    )
    weak = [
        f"{name} {value:.0f}"
        for name, value in (("quality", quality), ("security", security))
        if value is not None and value < ACCEPTABLE
    ]
    if weak:
        return "backsourcing", (
            f"{' and '.join(weak)} below {ACCEPTABLE:.0f}: problems a price change will not fix"
            "; bringing the work back in-house deserves a serious look"
        )
    if quality is None or security is None:
        return "insufficient_data", "quality or security cannot be scored yet (too little data)"
    if cost is not None and cost < ACCEPTABLE:
        if quality >= GOOD:
            return "switch_vendor", (
                f"cost {cost:.0f} below {ACCEPTABLE:.0f} with good quality ({quality:.0f}): "
                "renegotiate or re-tender before taking the work in-house"
            )
        return "monitor", f"cost {cost:.0f} is weak and quality ({quality:.0f}) only acceptable"
    return "monitor", "quality, security and cost are acceptable"


def backsourcing_case(
    con: duckdb.DuckDBPyConnection, vendor_id: str, day: date
) -> BacksourcingCase | None:
    """The case as of the end of ``day`` (its latest scored day on or before), or None if the
    vendor has no scores."""
    result = con.execute(_CASE_QUERY, [vendor_id, day])
    row = result.fetchone()
    if row is None:
        return None
    r = dict(zip([d[0] for d in result.description], row, strict=True))
    same_currency = r["insourcing_currency"] is not None and (
        r["insourcing_currency"] == r["contract_currency"]
    )
    inhouse = r["insourcing_monthly_cost"] if same_currency else None
    run_rate: Decimal | None = r["run_rate"]
    saving = run_rate - inhouse if run_rate is not None and inhouse is not None else None
    lead = r["insourcing_lead_time_days"]
    scored_day: date = r["day"]
    start = scored_day + timedelta(days=lead) if lead is not None else None
    end: date | None = r["contract_end_date"]
    terminates = start is not None and end is not None and start < end
    fee = r["termination_fee"] if terminates and r["termination_fee"] is not None else Decimal(0)
    one_time = r["insourcing_one_time_cost"] if same_currency else None
    payback = None
    if saving is not None and saving > 0 and one_time is not None:
        payback = ((one_time + fee) / saving).quantize(Decimal("0.1"), ROUND_HALF_UP)
    act_by: date | None = r["act_by"]  # derived once, in the profile_terms view
    hint, reason = _hint(r)
    return BacksourcingCase(
        vendor_id=vendor_id,
        day=scored_day,
        scores=r,
        name=r["name"],
        tier=r["tier"],
        profile_event_id=r["profile_event_id"],
        currency=r["contract_currency"],
        run_rate=run_rate,
        contracted_fee=r["monthly_fee"],
        inhouse_monthly_cost=inhouse,
        monthly_saving=saving,
        one_time_cost=one_time,
        termination_fee=r["termination_fee"],
        termination_applies=terminates,
        earliest_inhouse_start=start,
        payback_months=payback,
        contract_end=end,
        auto_renew=r["auto_renew"],
        notice_deadline=r["notice_deadline"],
        act_by=act_by,
        days_left=(act_by - scored_day).days if act_by is not None else None,
        hint=hint,
        hint_reason=reason,
    )
