"""The commercial side of a simulated vendor: its profile events and its monthly billing.

Contracts (EVENTS.md ``vendor_profile`` and ``cost_invoice``; money as decimal strings with
two decimals; the caller adds the common fields ``type``/``event_id``/``occurred_at``...):

- :func:`profile_fields`: version 1 is the profile at the window's start; version 2, for a
  vendor with ``renegotiated_fee``, is the renegotiation (2 % lower fee, a year longer, a
  10 % tighter latency target).
- :func:`monthly_billing`: the invoice for the calendar month before ``issue_day`` (a 1st),
  issued between 09:00 and 11:00 UTC with ``units`` billed; about one in ten corrected 3-10
  days later (same ``invoice_id``, another amount); a credit note 5-15 days later (own
  ``invoice_id`` ``CN-...``, negative amount) as the SLA service credit for months a quality
  scenario degraded, else as a goodwill adjustment about one month in twelve. ``forced``
  makes both happen. Amounts follow the fee in force at the period's start times the
  scenario's cost factor, with a little noise.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from ingest.kinds.simulation import DAY_MS, HOUR_MS, Payload
from ingest.simulator.scenarios import CENT, SimulatedVendor


def profile_fields(vendor: SimulatedVendor, version: int) -> Payload:
    """The ``vendor_profile`` fields of profile ``version`` (1: initial, 2: renegotiated)."""
    fee, end, p95 = vendor.monthly_fee, vendor.contract_end, vendor.sla_latency_p95_ms
    if version > 1 and vendor.renegotiated_fee is not None:
        month_after = end + timedelta(days=1)  # extended by a year, to a month's end
        end = date(month_after.year + 1, month_after.month, 1) - timedelta(days=1)
        fee, p95 = vendor.renegotiated_fee, round(p95 * 0.9, 1)
    return {
        "name": vendor.name,
        "service": vendor.service,
        "tier": vendor.tier,
        "contract": {
            "start_date": vendor.contract_start.isoformat(),
            "end_date": end.isoformat(),
            "notice_period_days": vendor.notice_period_days,
            "monthly_fee": str(fee),
            "currency": vendor.currency,
            "termination_fee": str(vendor.termination_fee),
            "auto_renew": vendor.auto_renew,
        },
        "sla": {
            "latency_p95_ms": p95,
            "success_rate_min": vendor.sla_success_rate_min,
            "defects_per_1k_max": vendor.sla_defects_per_1k_max,
            "service_credit_pct": vendor.sla_service_credit_pct,
        },
        "insourcing": {
            "monthly_cost": str(vendor.insourcing_monthly_cost),
            "one_time_cost": str(vendor.insourcing_one_time_cost),
            "lead_time_days": vendor.insourcing_lead_time_days,
            "currency": vendor.currency,
        },
    }


def monthly_billing(
    vendor: SimulatedVendor, issue_day: date, rng: random.Random, *, volume: float, forced: bool
) -> list[tuple[int, str, Payload]]:
    """``(occurred_at_ms, event_id, fields)`` of the month's invoice, correction, credit note."""
    period_end = issue_day - timedelta(days=1)
    period_start = period_end.replace(day=1)
    month = period_start.isoformat()[:7]
    issued_ms = epoch_ms_of(issue_day) + 9 * HOUR_MS + int(rng.random() * 2 * HOUR_MS)
    fee = vendor.fee_at(epoch_ms_of(period_start))
    factor = vendor.cost_factor(period_start) * (1.0 + rng.gauss(0.0, 0.008))
    amount = (fee * Decimal(f"{factor:.6f}")).quantize(CENT)
    units = round(volume * period_end.day * rng.uniform(0.95, 1.05))
    correct_draw, correct_after = rng.random(), rng.randint(3, 10) * DAY_MS
    correct_pct = rng.choice((-1, 1)) * rng.uniform(0.01, 0.05)
    credit_draw, credit_after = rng.random(), rng.randint(5, 15) * DAY_MS
    goodwill_pct = rng.uniform(0.01, 0.03)
    common: Payload = {
        "invoice_id": f"{vendor.code}-{month}",
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
        "currency": vendor.currency,
    }
    event_id = f"inv-{vendor.vendor_id}-{month}"
    billed = [(issued_ms, event_id, common | {"amount": str(amount), "units": units})]
    if forced or correct_draw < 0.1:
        corrected = (amount * Decimal(f"{1 + correct_pct:.6f}")).quantize(CENT)
        corrected += CENT if corrected == amount else Decimal(0)
        fields = common | {"amount": str(corrected), "units": units}
        billed.append((issued_ms + correct_after, f"{event_id}-r1", fields))
    onset, preset = vendor.onset, vendor.preset
    degraded = preset.latency_ramp_per_day > 0 or preset.defect_jump > 1
    credit: Decimal | None = None
    if degraded and onset is not None and period_end >= onset.date() + timedelta(days=10):
        credit = fee * Decimal(str(vendor.sla_service_credit_pct)) / 100  # SLA service credit
    elif forced or credit_draw < 0.08:
        credit = fee * Decimal(f"{goodwill_pct:.4f}")  # goodwill / billing adjustment
    if credit is not None:
        note = common | {"invoice_id": f"CN-{vendor.code}-{month}"}
        note["amount"] = str(-credit.quantize(CENT))
        billed.append((issued_ms + credit_after, f"cn-{vendor.vendor_id}-{month}", note))
    return billed


def epoch_ms_of(day: date) -> int:
    """Epoch milliseconds of midnight UTC starting ``day``."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY_MS


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
