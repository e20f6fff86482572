"""The alert policy: validation messages and what they name (file, path, rule)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from metrics.policy import load_policy, parse_policy
from metrics.policy_errors import PolicyError
from tests.metrics.policy_texts import BASE, LATENCY, problems_of, rule_text, slo_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            rule_text(clear=1600.0),
            'policy.toml: rules.r.clear: must be at or below warn (1500.0) for direction "above"',
        ),
        (
            rule_text(direction="below", warn=0.99, critical=0.995, metric="success_rate"),
            'policy.toml: rules.r.warn: must be at or above critical (0.995) for direction "below"',
        ),
        (rule_text(warn=None), "policy.toml: rules.r.warn: is missing: give at least one of"),
        (rule_text(metric="latency_p96_ms"), "policy.toml: rules.r.metric: unknown metric"),
        (
            rule_text(metric="variance_pct"),
            "policy.toml: rules.r.grain: variance_pct exists per month",
        ),
        (
            rule_text(metric="open_critical_incidents", thresholds_from_sla=True),
            "policy.toml: rules.r.thresholds_from_sla: only valid for the metrics with an SLA",
        ),
        (
            rule_text(metric="success_rate", direction="below", warn=99.5),
            "policy.toml: rules.r.warn: must be between 0 and 1: success_rate is a fraction",
        ),
        (
            rule_text(metric="quality_score", direction="below", warn=160.0),
            "policy.toml: rules.r.warn: must be between 0 and 100",
        ),
        (
            rule_text(thresholds_from_sla=True, warn=-1.0),
            "policy.toml: rules.r.warn: must be >= 0 (a multiplier",
        ),
        (
            rule_text(for_periods=0),
            "policy.toml: rules.r.for_periods: input should be greater than",
        ),
        (rule_text(min_sample=-1), "policy.toml: rules.r.min_sample: input should be greater than"),
        (
            rule_text(for_periods=2.5),
            "policy.toml: rules.r.for_periods: input should be a valid int",
        ),
        (rule_text(warn="1500"), "policy.toml: rules.r.warn: input should be a valid number"),
        (rule_text(grain="week"), "policy.toml: rules.r.grain: input should be 'day' or 'month'"),
        (
            rule_text(dwell=3),
            "policy.toml: rules.r.dwell: unknown key (allowed here: metric, grain",
        ),
        (
            rule_text() + "[rules.r.tiers.urgent]\nwarn = 1.0\n",
            "policy.toml: rules.r.tiers.urgent: unknown tier; tiers: critical, high, medium, low",
        ),
        (
            rule_text() + '[rules.r.vendors."bad id"]\nwarn = 1.0\n',
            'policy.toml: rules.r.vendors."bad id": not a vendor_id',
        ),
        (
            rule_text(clear=1000.0) + "[rules.r.tiers.high]\nwarn = 900.0\n",
            "policy.toml: rules.r.tiers.high: with the rule's values, clear (1000.0) must be at "
            'or below warn (900.0) for direction "above"',
        ),
        (
            rule_text(critical=2000.0)
            + "[rules.r.tiers.high]\nwarn = 1800.0\n"
            + '[rules.r.vendors."acme"]\ncritical = 1600.0\n',
            "policy.toml: rules.r.vendors.acme: with the rule's values and the high tier "
            'override, warn (1800.0) must be at or below critical (1600.0) for direction "above"',
        ),
        (BASE.replace('label = "test"', ""), "policy.toml: label: required key is missing"),
        (BASE.replace('"test"', '"' + "x" * 81 + '"'), "policy.toml: label: 1-80 characters"),
        (
            BASE.replace("0.45", "0").replace("0.25", "0").replace("0.30", "0"),
            "policy.toml: weights: at least one weight must be above 0",
        ),
        (BASE.replace("0.45", "-0.1"), "policy.toml: weights.quality: input should be greater"),
    ],
)
def test_each_problem_names_the_file_the_path_and_the_rule(text: str, expected: str) -> None:
    assert any(line.startswith(expected) for line in problems_of(text)), problems_of(text)


def _slo(metric: str, objective: float | str, short_hours: int) -> str:
    """SLO ``budget`` with one warn window: 24 h long, ``short_hours`` short, burn rate 3."""
    return slo_text("budget", metric, objective, [(24, short_hours, 3.0, "warn")])


@pytest.mark.parametrize(
    ("metric", "objective", "short", "expected"),
    [
        ("sla_attainment", "sla", 2, 'slo.budget.objective: "sla" is only valid for metric'),
        ("success_rate", 1.0, 2, "slo.budget.objective: must be a number between 0 and 1"),
        ("success_rate", "SLA", 2, "slo.budget.objective: must be a number between 0 and 1"),
        ("success_rate", 0.99, 24, "slo.budget.windows[0].short_hours: must be shorter than"),
        ("latency_p95_ms", 0.99, 2, "slo.budget.metric: input should be 'success_rate' or"),
    ],
)
def test_slo_problems_name_their_path(
    metric: str, objective: float | str, short: int, expected: str
) -> None:
    text = BASE + _slo(metric, objective, short)
    assert any(line.startswith(f"policy.toml: {expected}") for line in problems_of(text))


def test_every_problem_gets_its_own_line() -> None:
    text = rule_text(clear=1600.0, for_periods=0) + _slo("sla_attainment", "sla", 2)
    text = text.replace('label = "test"', "")
    lines = problems_of(text)
    assert len(lines) == 3
    assert all(line.startswith("policy.toml: ") for line in lines)
    assert {line.split(": ")[1] for line in lines} == {
        "label",
        "rules.r.for_periods",
        "slo.budget.objective",
    }


def test_a_toml_syntax_error_names_the_file_and_the_line() -> None:
    [line] = problems_of(BASE + "\n[rules.r]\nmetric = latency\n")
    assert line.startswith("policy.toml: line 9, column 10: invalid TOML: ")


def test_policy_error_is_a_value_error_and_lists_its_problems() -> None:
    with pytest.raises(ValueError, match=r"rules\.r\.clear") as caught:
        parse_policy(rule_text(clear=1600.0))
    assert isinstance(caught.value, PolicyError)
    assert caught.value.problems[0].startswith("<policy>: rules.r.clear: ")


def test_load_policy_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(rule_text(clear=1600.0), encoding="utf-8")
    with pytest.raises(PolicyError, match=re.escape(f"{path}: rules.r.clear")):
        load_policy(path)
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "missing.toml")
    path.write_text(LATENCY, encoding="utf-8")
    assert load_policy(path) == parse_policy(LATENCY)


def test_an_override_that_moves_warn_past_the_rules_explicit_clear_is_rejected() -> None:
    text = LATENCY.replace("warn = 1200.0\nclear = 1100.0\n", "warn = 1200.0\n")
    [line] = problems_of(text)
    assert line == (
        "policy.toml: rules.latency_p95.tiers.critical: with the rule's values, clear (1300.0) "
        'must be at or below warn (1200.0) for direction "above"'
    )


def test_a_rule_name_shared_with_an_slo_is_rejected() -> None:
    text = rule_text() + _slo("success_rate", 0.99, 2)
    [line] = problems_of(text.replace("slo.budget", "slo.r"))
    assert line.startswith("policy.toml: slo.r: a rule has the same name")


# --- the default policy --------------------------------------------------------------------
