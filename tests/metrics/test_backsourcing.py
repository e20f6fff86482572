"""The backsourcing case and ``vendorwatch explain``: the figures, the dates, the hint."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from ingest.simulator import build_vendors
from ingest.store import EventStore
from metrics.backsourcing import backsourcing_case
from metrics.job import MetricsJob
from tests.conftest import run_vendorwatch, settings_env
from tests.metrics import reference
from tests.metrics.conftest import END, START, History
from vendorwatch.settings import MetricsSettings, Settings

DAY = date(2026, 4, 15)
SETTINGS = MetricsSettings()


@pytest.fixture
def scored(history: History, tmp_path: Path) -> EventStore:
    store = EventStore(tmp_path / "store.duckdb")
    history.write(store)
    MetricsJob(store.connection, SETTINGS).rebuild(END)
    return store


def _vendor_of(scenario: str) -> str:
    vendors = build_vendors(start=START, end=END, seed=11)
    return next(v.vendor_id for v in vendors if v.scenario == scenario)


def test_the_case_figures_follow_their_definitions(history: History, scored: EventStore) -> None:
    vendor = _vendor_of("cost_creep")
    case = backsourcing_case(scored.connection, vendor, DAY)
    assert case is not None

    events = reference.parse_events(history.values)
    profiles = [e for e in events if e["type"] == "vendor_profile" and e["vendor_id"] == vendor]
    in_force = reference.profile_at(profiles, END)
    assert in_force is not None
    contract, insourcing = in_force["contract"], in_force["insourcing"]
    end = date.fromisoformat(contract["end_date"])
    notice = end - timedelta(days=contract["notice_period_days"])
    act_by = notice - timedelta(days=insourcing["lead_time_days"])
    assert (case.contract_end, case.notice_deadline, case.act_by) == (end, notice, act_by)
    assert case.days_left == (act_by - DAY).days

    months = reference.monthly("UTC")
    service = reference.service_rows(events, months, END, SETTINGS.min_monthly_responses)
    money = reference.money_rows(events, months, END, service)
    invoiced = [
        money[(vendor, m)]["invoiced_amount"]
        for m in (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))
    ]
    run_rate = (sum(invoiced, Decimal(0)) / 3).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    assert case.run_rate == run_rate
    inhouse = Decimal(str(insourcing["monthly_cost"]))
    assert case.monthly_saving == run_rate - inhouse
    start = DAY + timedelta(days=insourcing["lead_time_days"])
    assert case.termination_applies is (start < end)
    one_time = Decimal(str(insourcing["one_time_cost"]))
    fee = Decimal(str(contract.get("termination_fee", 0))) if start < end else Decimal(0)
    if run_rate > inhouse:
        expected = ((one_time + fee) / (run_rate - inhouse)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        assert case.payback_months == expected
    else:
        assert case.payback_months is None


@pytest.mark.parametrize(
    ("scenario", "hint"),
    [
        ("healthy", "monitor"),
        ("security_incident_burst", "backsourcing"),
        ("cost_creep", "switch_vendor"),
    ],
)
def test_the_hint_points_where_the_evidence_does(
    scored: EventStore, scenario: str, hint: str
) -> None:
    case = backsourcing_case(scored.connection, _vendor_of(scenario), DAY)
    assert case is not None
    assert case.hint == hint, case.hint_reason


def test_no_scores_no_case(scored: EventStore) -> None:
    assert backsourcing_case(scored.connection, "nobody", DAY) is None
    assert backsourcing_case(scored.connection, _vendor_of("healthy"), date(2025, 1, 1)) is None


def test_explain_says_why_in_words_and_numbers(history: History, scored: EventStore) -> None:
    vendor = _vendor_of("security_incident_burst")
    case = backsourcing_case(scored.connection, vendor, DAY)
    assert case is not None
    scored.close()
    env = settings_env(Settings(db=scored.path))

    result = run_vendorwatch("explain", vendor, "--as-of", DAY.isoformat(), env=env)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert f"{vendor} (" in text
    assert f"as of {DAY}" in text
    assert "hint: backsourcing" in text
    assert f"security {case.scores['security_score']:.1f}" in text
    assert f"act by {case.act_by}" in text
    assert "trends over the last 3 complete month(s)" in text

    latest = run_vendorwatch("explain", vendor, env=env)
    assert latest.returncode == 0, latest.stderr
    assert f"as of {(END - timedelta(microseconds=1)).date()}" in latest.stdout

    unknown = run_vendorwatch("explain", "nobody", env=env)
    assert unknown.returncode == 1
    assert "no scores for vendor 'nobody'" in unknown.stderr
