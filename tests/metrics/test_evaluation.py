"""The labelled evaluation harness: ground truth, scoring of today's judgement, the command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from ingest.simulator.truth import scenario_truth
from metrics.evaluation.runner import VendorOutcome, run_once
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
