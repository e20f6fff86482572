"""The labelled evaluation harness: ground truth, scoring of today's judgement, the command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from ingest.simulator.truth import ScenarioTruth, scenario_truth
from metrics.evaluation.runner import Flag, VendorOutcome, run_once
from metrics.evaluation.scenarios import SCENARIO_NAMES, EvaluatedVendor, build_scenario_vendors
from metrics.evaluation.scoring import render_table, score
from metrics.policy import default_policy
from vendorwatch.cli.main import app

END = datetime(2026, 9, 1, tzinfo=UTC)
START = END - timedelta(days=60)


def _vendor(name: str) -> EvaluatedVendor:
    (vendor,) = build_scenario_vendors([name], start=START, end=END, seed=1)
    return vendor


def test_truth_follows_the_scenario_definition() -> None:
    healthy = scenario_truth(_vendor("healthy"), END)
    assert healthy.onset is None
    assert healthy.material_at is None
    assert healthy.within_sla
    bad_day = _vendor("one_bad_day")
    truth = scenario_truth(bad_day, END)
    assert truth.onset is not None
    assert truth.within_sla
    assert bad_day.latency_factor(int(truth.onset.timestamp() * 1000)) == 1.5
    after = truth.onset + timedelta(days=1, minutes=1)
    assert bad_day.latency_factor(int(after.timestamp() * 1000)) == 1.0
    step = scenario_truth(_vendor("step_change"), END)
    assert step.onset is not None
    assert step.material_at == step.onset
    assert not step.within_sla
    drift = scenario_truth(_vendor("gradual_drift"), END)
    assert drift.onset is not None
    assert drift.material_at is not None
    # 4.5 % a day from a healthy p95 at ~0.59 of the target: material some two weeks in
    assert timedelta(days=12) < drift.material_at - drift.onset < timedelta(days=18)


def test_scoring_sorts_flags_into_detections_early_ones_and_false_ones() -> None:
    onset, material = END - timedelta(days=30), END - timedelta(days=20)
    day = timedelta(days=1)
    breach = ScenarioTruth(onset, material)
    flags = (
        Flag("latency_p95", onset - 3 * day),  # before the onset: false
        Flag("latency_p95", onset + day),  # real trouble, still inside the SLA: early
        Flag("defects", material + 2 * day),  # the first detection, 2 days late
        Flag("latency_p95", material + 5 * day),
    )
    within = ScenarioTruth(onset, None)  # trouble that never breaks the SLA
    outcomes = [
        VendorOutcome("drift", 1, 100, breach, flags, 365.0),
        VendorOutcome("drift", 2, 100, breach, (), 365.0),  # missed
        VendorOutcome("bad_day", 1, 100, within, (Flag("defects", onset), Flag("slo", END)), 730),
    ]
    drift, bad_day = score(outcomes)
    assert (drift.seeds, drift.detected, drift.delays_days) == (2, 1, (2.0,))
    assert (drift.early_flags, drift.false_flags) == (1, 1)
    assert drift.false_rules == (("latency_p95", 1),)
    assert drift.false_per_vendor_year == 0.5
    assert not drift.within_sla
    assert (bad_day.within_sla, bad_day.detected, bad_day.early_flags) == (True, 0, 0)
    assert (bad_day.false_flags, bad_day.false_per_vendor_year) == (2, 1.0)
    table = render_table([drift, bad_day], "default@abc")
    assert "| drift | 100 | breach | 1/2 | 2.0 / 2.0 | 1 | 0.5 | latency_p95 1 |" in table
    assert "| bad_day | 100 | within SLA | - | - | 0 | 1.0 | defects 1, slo 1 |" in table


@pytest.fixture(scope="module")
def outcomes() -> list[VendorOutcome]:
    return run_once(
        ["healthy", "step_change"],
        seed=1,
        volume_per_day=100,
        months=2,
        end=END,
        policy=default_policy(),
    )


def test_a_step_change_is_detected_and_a_healthy_vendor_is_not_flagged(
    outcomes: list[VendorOutcome],
) -> None:
    by_name = {s.scenario: s for s in score(outcomes)}
    step, healthy = by_name["step_change"], by_name["healthy"]
    assert step.detected == 1
    assert step.delays_days
    assert min(step.delays_days) >= 0
    assert healthy.within_sla
    assert healthy.false_flags == 0
    assert healthy.vendor_years > 0


def test_the_table_names_every_scenario_and_the_policy_version(
    outcomes: list[VendorOutcome],
) -> None:
    version = str(default_policy().version)
    table = render_table(score(outcomes), version)
    assert table.splitlines()[0] == f"Policy {version}"
    assert "| healthy | 100 | within SLA |" in table
    assert "| step_change | 100 | breach | 1/1 |" in table


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--scenarios", "healthy,no_such_thing"], "--scenarios"),
        (["--volumes", "100,0"], "--volumes"),
        (["--volumes", "-5"], "--volumes"),
        (["--volumes", "many"], "--volumes"),
    ],
)
def test_bad_options_exit_non_zero_naming_the_option(args: list[str], option: str) -> None:
    result = CliRunner().invoke(app, ["evaluate", *args])
    assert result.exit_code != 0
    assert option in result.output
    if option == "--scenarios":
        assert "no_such_thing" in result.output
        assert SCENARIO_NAMES[0] in result.output
