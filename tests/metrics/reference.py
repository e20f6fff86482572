"""An independent, plain-Python/numpy computation of the projections, to check the SQL against.

It starts from the JSON events themselves (first of each ``event_id``), not from DuckDB, and
follows docs/metrics.md literally, one vendor and period at a time. Slow, and meant to be.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson

Row = dict[str, Any]
DEFECT_LEVELS = ["minor", "major", "critical"]
INCIDENT_LEVELS = ["low", "medium", "high", "critical"]


def parse_events(values: Iterable[bytes]) -> list[Row]:
    """The stored events: first of each event_id, in arrival order, with parsed times."""
    seen: set[str] = set()
    events = []
    for value in values:
        event = orjson.loads(value)
        if event["event_id"] in seen:
            continue
        seen.add(event["event_id"])
        event["at"] = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
        events.append(event)
    return events


@dataclass(frozen=True)
class Periods:
    """A period grain: the period of an instant, and a period's start instant."""

    of: Callable[[datetime], date]
    start: Callable[[date], datetime]
    next: Callable[[date], date]

    def end(self, period: date) -> datetime:
        return self.start(self.next(period))


def daily() -> Periods:
    return Periods(
        of=lambda t: t.astimezone(UTC).date(),
        start=lambda d: datetime(d.year, d.month, d.day, tzinfo=UTC),
        next=lambda d: d + timedelta(days=1),
    )


def monthly(tz: str) -> Periods:
    zone = ZoneInfo(tz)

    def of(t: datetime) -> date:
        local = t.astimezone(zone)
        return date(local.year, local.month, 1)

    return Periods(
        of=of,
        start=lambda d: datetime(d.year, d.month, 1, tzinfo=zone),
        next=lambda d: date(d.year + d.month // 12, d.month % 12 + 1, 1),
    )


def profile_at(profiles: list[Row], moment: datetime, *, inclusive: bool = True) -> Row | None:
    """The profile in force at ``moment`` (latest occurred_at at or before it; ties: later)."""
    chosen = None
    for p in profiles:  # arrival order, so a later equal occurred_at wins
        if (p["at"] <= moment if inclusive else p["at"] < moment) and (
            chosen is None or p["at"] >= chosen["at"]
        ):
            chosen = p
    return chosen


def _lifecycles(events: list[Row], key: str, levels: list[str]) -> list[Row]:
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for e in events:
        groups[(e["vendor_id"], e[key])].append(e)
    out = []
    for (vendor, _), group in groups.items():
        opened = [e for e in group if e["status"] == "opened"]
        resolved = [e for e in group if e["status"] == "resolved"]
        ranked = opened or group
        out.append(
            {
                "vendor_id": vendor,
                "first_at": min(e["at"] for e in group),
                "opened_at": min((e["at"] for e in opened), default=None),
                "resolved_at": max((e["at"] for e in resolved), default=None),
                "severity": max((e["severity"] for e in ranked), key=levels.index),
                "units": max(e.get("units_affected", 1) for e in group),
                "records": max(e.get("records_exposed", 0) for e in group),
            }
        )
    return out


def _hours(life: Row) -> float | None:
    if life["opened_at"] is None or life["opened_at"] > life["resolved_at"]:
        return None
    return float((life["resolved_at"] - life["opened_at"]).total_seconds() / 3600)


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def service_rows(
    events: list[Row], periods: Periods, as_of: datetime, min_responses: int
) -> dict[tuple[str, date], Row]:
    """Service figures per (vendor, period), for every period from the vendor's first event."""
    events = [e for e in events if e["at"] < as_of]
    by_type: dict[str, list[Row]] = defaultdict(list)
    for e in events:
        by_type[e["type"]].append(e)
    profiles: dict[str, list[Row]] = defaultdict(list)
    for p in by_type["vendor_profile"]:
        profiles[p["vendor_id"]].append(p)
    defects = _lifecycles(by_type["defect"], "defect_id", DEFECT_LEVELS)
    incidents = _lifecycles(by_type["security_incident"], "incident_id", INCIDENT_LEVELS)
    last = periods.of(as_of - timedelta(microseconds=1))
    rows: dict[tuple[str, date], Row] = {}
    for vendor in {e["vendor_id"] for e in events}:
        period = periods.of(min(e["at"] for e in events if e["vendor_id"] == vendor))
        while period <= last:
            rows[(vendor, period)] = {"responses": [], "targets": []}
            period = periods.next(period)
    for r in by_type["response_time"]:
        row = rows[(r["vendor_id"], periods.of(r["at"]))]
        profile = profile_at(profiles[r["vendor_id"]], r["at"])
        target = None if profile is None else (profile.get("sla") or {}).get("latency_p95_ms")
        row["responses"].append((r["latency_ms"], r.get("success", True), target))
    for (vendor, period), row in rows.items():
        cut = min(periods.end(period), as_of)
        latencies = np.array([lat for lat, _, _ in row["responses"]], dtype=float)
        n = len(latencies)
        failures = sum(1 for _, ok, _ in row["responses"] if not ok)
        with_target = [(lat, ok, t) for lat, ok, t in row["responses"] if t is not None]
        within = sum(1 for lat, ok, t in with_target if ok and lat <= t)
        q = np.percentile(latencies, [50, 95, 99]) if n else [None] * 3
        mine = [d for d in defects if d["vendor_id"] == vendor]
        opened = [d for d in mine if d["opened_at"] and periods.of(d["opened_at"]) == period]
        resolved = [d for d in mine if d["resolved_at"] and periods.of(d["resolved_at"]) == period]
        inc = [i for i in incidents if i["vendor_id"] == vendor]
        inc_opened = [i for i in inc if i["opened_at"] and periods.of(i["opened_at"]) == period]
        inc_resolved = [
            i for i in inc if i["resolved_at"] and periods.of(i["resolved_at"]) == period
        ]
        row.clear()
        row.update(
            status="no_data" if n == 0 else "insufficient" if n < min_responses else "ok",
            complete=periods.end(period) <= as_of,
            responses=n,
            failures=failures,
            success_rate=1 - failures / n if n else None,
            latency_p50_ms=q[0],
            latency_p95_ms=q[1],
            latency_p99_ms=q[2],
            sla_responses=len(with_target),
            within_sla=within,
            sla_attainment=within / len(with_target) if with_target else None,
            defects_opened=len(opened),
            **{
                f"defects_opened_{s}": sum(d["severity"] == s for d in opened)
                for s in DEFECT_LEVELS
            },
            defect_units=sum(d["units"] for d in opened),
            defects_resolved=len(resolved),
            defects_per_1k=1000 * len(opened) / n if n else None,
            defect_resolve_hours_mean=_mean([_hours(d) for d in resolved]),
            incidents_opened=len(inc_opened),
            **{
                f"incidents_opened_{s}": sum(i["severity"] == s for i in inc_opened)
                for s in INCIDENT_LEVELS
            },
            incidents_resolved=len(inc_resolved),
            open_critical_incidents=sum(
                1
                for i in inc
                if i["severity"] == "critical"
                and i["opened_at"] is not None
                and i["opened_at"] < cut
                and (i["resolved_at"] is None or i["resolved_at"] >= cut)
            ),
            incident_resolve_hours_mean=_mean([_hours(i) for i in inc_resolved]),
            records_exposed=sum(i["records"] for i in inc if periods.of(i["first_at"]) == period),
        )
    return rows


def money_rows(
    events: list[Row], periods: Periods, as_of: datetime, service: dict[tuple[str, date], Row]
) -> dict[tuple[str, date], Row]:
    """The money side of each (vendor, month) of ``service``."""
    events = [e for e in events if e["at"] < as_of]
    current: dict[tuple[str, str], Row] = {}
    versions: dict[tuple[str, str], int] = defaultdict(int)
    for e in events:
        if e["type"] != "cost_invoice":
            continue
        key = (e["vendor_id"], e["invoice_id"])
        versions[key] += 1
        if key not in current or e["at"] >= current[key]["at"]:
            current[key] = e
    out = {}
    for (vendor, month), figures in service.items():
        cut = min(periods.end(month), as_of)
        vendor_profiles = [
            e for e in events if e["type"] == "vendor_profile" and e["vendor_id"] == vendor
        ]
        profile = profile_at(vendor_profiles, cut, inclusive=False)
        contract = profile["contract"] if profile else {}
        currency = contract.get("currency")
        invoices = [
            (inv, versions[key])
            for key, inv in current.items()
            if key[0] == vendor and date.fromisoformat(inv["period_start"]).replace(day=1) == month
        ]
        mine = [(i, v) for i, v in invoices if i["currency"] == currency]
        amounts = [Decimal(str(i["amount"])) for i, _ in mine]
        units = [i["units"] for i, _ in mine if i.get("units") is not None]
        fee = Decimal(str(contract["monthly_fee"])) if profile else None
        invoiced = sum(amounts, Decimal(0)) if amounts else None
        sla = (profile or {}).get("sla") or {}
        breaches = None
        if (
            figures["status"] == "ok"
            and profile
            and any(k in sla for k in ("latency_p95_ms", "success_rate_min", "defects_per_1k_max"))
        ):
            breaches = [
                name
                for name, broken in (
                    (
                        "latency_p95_ms",
                        "latency_p95_ms" in sla
                        and figures["latency_p95_ms"] > sla["latency_p95_ms"],
                    ),
                    (
                        "success_rate",
                        "success_rate_min" in sla
                        and figures["success_rate"] < sla["success_rate_min"],
                    ),
                    (
                        "defects_per_1k",
                        "defects_per_1k_max" in sla
                        and figures["defects_per_1k"] > sla["defects_per_1k_max"],
                    ),
                )
                if broken
            ]
        credit = None
        if breaches is not None and fee is not None:
            pct = Decimal(str(sla.get("service_credit_pct", 0)))
            credit = (fee * pct / 100).quantize(Decimal("0.0001")) if breaches else Decimal(0)
        unit_total = sum(units) if units else None
        out[(vendor, month)] = {
            "profile_event_id": profile["event_id"] if profile else None,
            "currency": currency,
            "invoices": len(mine),
            "corrected_invoices": sum(1 for _, v in mine if v > 1),
            "unconverted_invoices": len(invoices) - len(mine),
            "invoiced_amount": invoiced,
            "credit_note_amount": sum((a for a in amounts if a < 0), Decimal(0)),
            "units": unit_total,
            "cost_per_unit": (invoiced / Decimal(str(unit_total))).quantize(Decimal("0.0001"))
            if invoiced is not None and unit_total
            else None,
            "contracted_fee": fee,
            "variance_pct": float(100 * (invoiced - fee) / fee)
            if invoiced is not None and fee
            else None,
            "sla_breached": None if breaches is None else bool(breaches),
            "sla_breaches": breaches,
            "service_credit_due": credit,
            "net_effective_cost": None if invoiced is None else invoiced - (credit or 0),
            "cost_status": "no_contract"
            if profile is None
            else "currency_mismatch"
            if len(invoices) > len(mine)
            else "no_invoice"
            if not mine
            else "ok",
        }
    return out
