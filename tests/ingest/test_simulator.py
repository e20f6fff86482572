"""The simulator: contract-valid, deterministic, and each preset carries its intended signal.

Pure unit tests, no wall clock. The live trickle, the sinks and the CLI:
``test_simulator_live.py``.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import fields
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.contract import parse_event
from ingest.kinds import KINDS
from ingest.simulator import (
    EVENT_TYPES,
    PRESET_NAMES,
    SimEvent,
    SimulatedVendor,
    build_vendors,
    generate_events,
)
from ingest.simulator.processes import vendor_view
from tests.ingest.simulated import DAY, NOW, SEED, SKEW, TOPIC_OF, TOPICS

REPO = Path(__file__).resolve().parents[2]


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def when(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"])


def simulate_preset(
    scenario: str, days: int, events_per_day: int, include: set[str] | None = None
) -> tuple[SimulatedVendor, list[dict[str, Any]]]:
    start = NOW - timedelta(days=days)
    [vendor] = build_vendors([scenario], start=start, end=NOW, seed=SEED)
    events = generate_events([vendor], start, NOW, SEED, events_per_day, include_types=include)
    return vendor, [orjson.loads(e.value) for e in events]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


@pytest.fixture(scope="module")
def every_preset() -> tuple[list[SimulatedVendor], list[SimEvent]]:
    """Two vendors of every preset over 90 days, at a low volume to keep validation quick."""
    start = NOW - timedelta(days=90)
    vendors = build_vendors(PRESET_NAMES, 2, start=start, end=NOW, seed=42)
    return vendors, list(generate_events(vendors, start, NOW, seed=42, events_per_day=40))


def test_every_event_passes_the_contract_on_its_topic(
    every_preset: tuple[list[SimulatedVendor], list[SimEvent]],
) -> None:
    vendors, events = every_preset
    seen: set[str] = set()
    for event in events:
        allowed = TOPICS[TOPIC_OF[event.topic_type]]
        parsed = parse_event(
            event.value, allowed_type=allowed, received_at=NOW, max_future_skew=SKEW
        )
        assert parsed.event_id not in seen
        seen.add(parsed.event_id)
        assert event.key == parsed.vendor_id.encode()
        assert ms(parsed.occurred_at) == event.occurred_at_ms
        assert NOW - timedelta(days=90) <= parsed.occurred_at < NOW
    assert {e.topic_type for e in events} == set(EVENT_TYPES)
    assert {v.vendor_id for v in vendors} == {e.key.decode() for e in events}


def test_events_come_in_time_order_and_vendors_have_business_identities(
    every_preset: tuple[list[SimulatedVendor], list[SimEvent]],
) -> None:
    vendors, events = every_preset
    stamps = [e.occurred_at_ms for e in events]
    assert stamps == sorted(stamps)
    assert len({v.vendor_id for v in vendors}) == len(vendors) == 12
    for vendor in vendors:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", vendor.vendor_id)
        assert re.fullmatch(r"[a-z]+-[a-z]+-\d+", vendor.vendor_id)
    assert {v.currency for v in vendors} == {"EUR", "USD", "GBP"}
    assert Counter(v.currency for v in vendors).most_common(1)[0][0] == "EUR"
    sources = {orjson.loads(e.value)["source"] for e in events}
    assert sources >= {"apm", "qa-tool", "siem", "erp", "procurement"}
    assert sources == {kind.simulator_source for kind in KINDS}  # every kind's own source


def test_ground_truth_onsets() -> None:
    start = NOW - timedelta(days=90)
    for vendor in build_vendors(start=start, end=NOW):
        if vendor.scenario in ("healthy", "noisy_but_healthy"):
            assert vendor.onset is None
        elif vendor.scenario == "cost_creep":
            assert vendor.onset is not None
            assert vendor.onset.day == 1
            assert start <= vendor.onset <= NOW - timedelta(days=30)
        else:
            assert vendor.onset is not None
            assert abs(NOW - vendor.onset - timedelta(days=30)) < DAY  # a morning 30 days back


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    start = NOW - timedelta(days=20)

    def run(seed: int) -> list[bytes]:
        vendors = build_vendors(start=start, end=NOW, seed=seed)
        return [e.value for e in generate_events(vendors, start, NOW, seed, 30)]

    first = run(7)
    assert first == run(7)
    assert first != run(8)


def test_a_days_responses_do_not_depend_on_the_window() -> None:
    def responses(end: datetime) -> dict[str, bytes]:
        start = end - timedelta(days=10)
        vendors = build_vendors(["healthy"], start=start, end=end)
        events = generate_events(vendors, start, end, 42, 50, include_types={"response_time"})
        return {orjson.loads(e.value)["event_id"]: e.value for e in events}

    later, earlier = responses(NOW), responses(NOW - timedelta(days=3))
    shared = later.keys() & earlier.keys()
    assert len(shared) > 250
    assert all(later[k] == earlier[k] for k in shared)


def test_latency_degradation_drifts_up_and_crosses_the_sla() -> None:
    vendor, events = simulate_preset("latency_degradation", 90, 300, {"response_time"})
    assert vendor.onset is not None
    onset = vendor.onset
    before = [e["latency_ms"] for e in events if when(e) < onset]
    last_week = [e["latency_ms"] for e in events if when(e) >= NOW - timedelta(days=7)]
    third_week = [
        e["latency_ms"]
        for e in events
        if onset + timedelta(days=14) <= when(e) < onset + timedelta(days=21)
    ]
    assert statistics.mean(last_week) > 1.8 * statistics.mean(before)
    assert p95(before) < vendor.sla_latency_p95_ms < p95(third_week)


@pytest.mark.parametrize("scenario", ["healthy", "noisy_but_healthy"])
def test_healthy_vendors_stay_within_the_sla(scenario: str) -> None:
    _, events = simulate_preset(scenario, 56, 500, {"response_time", "vendor_profile"})
    profiles = [e for e in events if e["type"] == "vendor_profile"]
    sla_p95 = min(p["sla"]["latency_p95_ms"] for p in profiles)
    responses = [e for e in events if e["type"] == "response_time"]
    latencies = [e["latency_ms"] for e in responses]
    assert p95(latencies) < sla_p95
    success = sum(e["success"] for e in responses) / len(responses)
    assert success >= profiles[0]["sla"]["success_rate_min"]
    if scenario == "healthy":
        for week in range(8):
            since = NOW - timedelta(days=56 - 7 * week)
            weekly = [e["latency_ms"] for e in responses if since <= when(e) < since + 7 * DAY]
            assert p95(weekly) < sla_p95
    assert max(latencies) > 5 * statistics.median(latencies)  # a heavy tail
    assert len(responses) - sum(e["success"] for e in responses) > 0  # some failures


def test_daily_and_weekly_cycles() -> None:
    _, events = simulate_preset("healthy", 28, 1000, {"response_time"})
    by_hour: defaultdict[int, list[float]] = defaultdict(list)
    weekday = weekend = 0
    for event in events:
        moment = when(event)
        by_hour[moment.hour].append(event["latency_ms"])
        weekend += moment.weekday() >= 5
        weekday += moment.weekday() < 5
    assert len(by_hour[11]) > 5 * len(by_hour[3])
    assert statistics.median(by_hour[11]) > 1.15 * statistics.median(by_hour[3])
    assert weekend / 2 < 0.5 * weekday / 5  # quieter weekends (per day)


def test_defect_surge_multiplies_defects_after_the_onset() -> None:
    vendor, events = simulate_preset("defect_surge", 90, 2000, {"defect"})
    assert vendor.onset is not None
    opened = [when(e) for e in events if e["status"] == "opened"]
    before_days = (vendor.onset - (NOW - timedelta(days=90))) / DAY
    after_days = (NOW - vendor.onset) / DAY
    per_day_before = sum(t < vendor.onset for t in opened) / before_days
    per_day_after = sum(t >= vendor.onset for t in opened) / after_days
    assert per_day_after > 3 * per_day_before > 0


def test_lifecycles_resolve_after_opening_and_some_stay_open() -> None:
    _, events = simulate_preset("defect_surge", 60, 6000, {"defect"})
    opened = {e["defect_id"]: when(e) for e in events if e["status"] == "opened"}
    resolved = {e["defect_id"]: when(e) for e in events if e["status"] == "resolved"}
    assert all(resolved[d] > opened[d] for d in opened.keys() & resolved.keys())
    assert opened.keys() - resolved.keys()  # still open at the end
    assert resolved.keys() - opened.keys()  # opened before the window


def test_cost_creep_drifts_above_the_fee() -> None:
    vendor, events = simulate_preset("cost_creep", 180, 2000, {"cost_invoice"})
    regular = [
        e for e in events if e["event_id"].startswith("inv-") and not e["event_id"].endswith("-r1")
    ]
    amounts = [Decimal(e["amount"]) for e in regular]
    assert len(amounts) >= 5
    assert amounts[-1] > amounts[0] * Decimal("1.10")
    assert amounts[-1] > vendor.monthly_fee * Decimal("1.10")
    assert all(b > a for a, b in zip(amounts[-3:], amounts[-2:], strict=False))


def test_security_burst_brings_high_and_critical_incidents_and_a_breach() -> None:
    vendor, events = simulate_preset("security_incident_burst", 60, 2000, {"security_incident"})
    assert vendor.onset is not None
    onset = vendor.onset
    opened = [e for e in events if e["status"] == "opened"]
    serious = [when(e) for e in opened if e["severity"] in ("high", "critical")]
    assert sum(onset <= t < onset + 3 * DAY for t in serious) >= 3
    assert sum(onset - 3 * DAY <= t < onset for t in serious) <= 1
    assert min(t for t in serious if t >= onset) == onset  # detection clock starts at onset
    breaches = [e for e in opened if e["category"] == "data_breach"]
    assert breaches
    assert all(e["records_exposed"] > 0 and when(e) >= onset for e in breaches)


def test_invoices_monthly_with_a_correction_and_a_credit_note(
    every_preset: tuple[list[SimulatedVendor], list[SimEvent]],
) -> None:
    invoices = [orjson.loads(e.value) for e in every_preset[1] if e.topic_type == "cost_invoice"]
    by_id: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for invoice in invoices:
        assert re.fullmatch(r"-?\d+\.\d{2}", invoice["amount"])
        assert invoice["period_start"].endswith("-01")
        by_id[invoice["invoice_id"]].append(invoice)
    corrected = [v for v in by_id.values() if len(v) > 1]
    assert corrected
    for original, correction in corrected:
        assert when(correction) > when(original)
        assert correction["amount"] != original["amount"]
    credit_notes = [i for i in invoices if Decimal(i["amount"]) < 0]
    assert credit_notes
    assert all(len(by_id[c["invoice_id"]]) == 1 for c in credit_notes)
    for invoice in invoices:
        if invoice["event_id"].startswith("inv-") and not invoice["event_id"].endswith("-r1"):
            issued = when(invoice)
            assert issued.day == 1
            assert (issued - DAY).date().isoformat() == invoice["period_end"]


def test_profiles_at_the_start_and_one_change_mid_history(
    every_preset: tuple[list[SimulatedVendor], list[SimEvent]],
) -> None:
    vendors, events = every_preset
    profiles: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if event.topic_type == "vendor_profile":
            profiles[event.key.decode()].append(orjson.loads(event.value))
    assert all(when(p[0]) == NOW - timedelta(days=90) for p in profiles.values())
    changed = [v for v in vendors if v.profile_change_at is not None]
    assert vendors[0] in changed
    for vendor in changed:
        first, second = profiles[vendor.vendor_id]
        assert when(second) == vendor.profile_change_at
        assert second["contract"]["monthly_fee"] != first["contract"]["monthly_fee"]
    assert all(len(profiles[v.vendor_id]) == 1 for v in vendors if v not in changed)


def test_each_kind_declares_its_process_and_the_driver_names_no_kind() -> None:
    """Issue #22: the processes live in the kind modules; the driver quotes no kind's type."""
    assert all(kind.simulator is not None for kind in KINDS)
    driver = (REPO / "ingest/simulator/processes.py").read_text()
    assert not [kind.type for kind in KINDS if f'"{kind.type}"' in driver]


def test_the_processes_see_the_vendors_facts_rates_and_trouble() -> None:
    start, end = NOW - 40 * DAY, NOW
    for vendor in build_vendors(PRESET_NAMES, 1, start=start, end=end, seed=SEED):
        view = vendor_view(vendor)
        for field in fields(view):
            if field.name not in ("preset", "trouble"):
                assert getattr(view, field.name) == getattr(vendor, field.name), field.name
        assert all(
            getattr(view.preset, f.name) == getattr(vendor.preset, f.name)
            for f in fields(view.preset)
        )
        later = ms(end) - 1
        affected = max(
            vendor.latency_factor(later), vendor.defect_factor(later), vendor.incident_factor(later)
        )
        assert view.trouble(later) is (affected > 1.0)
        assert not view.trouble(vendor.onset_ms - 1 if vendor.onset_ms else later)
