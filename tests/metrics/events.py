"""Event payloads for the metrics tests, built from the few values a test cares about."""

from __future__ import annotations

from typing import Any


def vendor_profile(
    vendor_id: str,
    *,
    event_id: str,
    occurred_at: str,
    name: str,
    tier: str,
    contract: tuple[str, str, str],
    sla: dict[str, float],
    service: str = "helpdesk",
) -> dict[str, Any]:
    """A ``vendor_profile`` event; ``contract`` is (start_date, end_date, monthly_fee), in EUR
    with 90 days' notice."""
    start_date, end_date, monthly_fee = contract
    return {
        "type": "vendor_profile",
        "event_id": event_id,
        "vendor_id": vendor_id,
        "occurred_at": occurred_at,
        "name": name,
        "service": service,
        "tier": tier,
        "contract": {
            "start_date": start_date,
            "end_date": end_date,
            "notice_period_days": 90,
            "monthly_fee": monthly_fee,
            "currency": "EUR",
        },
        "sla": sla,
    }
