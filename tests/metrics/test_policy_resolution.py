"""The alert policy resolved per vendor: overrides, SLA-relative thresholds, levels, versions."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.effective_rule import EffectiveRule, PolicyVersion
from metrics.policy import Policy, default_policy, parse_policy
from metrics.policy_catalogue import KNOWN_METRICS, SLA_TARGETS
from tests.metrics.policy_texts import BASE, LATENCY, SLA, rule_text, slo_text


def test_the_default_policy_loads_with_the_documented_rules() -> None:
    policy = default_policy()
    metrics = {rule.metric for rule in policy.rules.values()}
    assert metrics >= {
        "latency_p95_ms", "success_rate", "defects_per_1k", "open_critical_incidents",
        "records_exposed", "variance_pct", "quality_score", "security_score", "cost_score",
        "backsourcing_score",
    }  # fmt: skip
    assert metrics <= KNOWN_METRICS
    assert policy.slo["success_budget"].objective == "sla"
    assert [w.long_hours for w in policy.slo["success_budget"].windows] == [24, 72]
    assert str(policy.version).startswith("default 2026-11@")
    # the components are "higher is better"; the composite is "higher is a stronger case"
    directions = {name: rule.direction for name, rule in policy.rules.items()}
    assert directions["quality_score"] == directions["cost_score"] == "below"
    assert directions["backsourcing_score"] == "above"
    latency = policy.effective_rule("latency_p95", vendor_id="acme", tier="high", sla=SLA)
    assert latency is not None
    assert (latency.warn, latency.critical, latency.clear) == (1500.0, 2250.0, 1350.0)
    assert (latency.for_periods, latency.clear_periods, latency.min_sample) == (3, 2, 50)


def test_default_policy_rules_without_an_sla_target_do_not_apply() -> None:
    applied = default_policy().effective_rules(vendor_id="acme", tier="medium", sla=None)
    names = {rule.name for rule in applied}
    assert "latency_p95" not in names
    assert "success_rate" not in names
    assert "quality_score" in names


def test_weights_are_normalised_to_sum_to_one() -> None:
    policy = parse_policy(BASE.replace("0.45", "4.5").replace("0.25", "2.5").replace("0.30", "3"))
    weights = policy.normalised_weights()
    assert weights == pytest.approx({"quality": 0.45, "security": 0.25, "cost": 0.30})
    assert sum(weights.values()) == pytest.approx(1.0)
    assert policy.weights.quality == 4.5


# --- overrides -----------------------------------------------------------------------------


def test_overrides_apply_rule_then_tier_then_vendor() -> None:
    policy = parse_policy(LATENCY)
    base = policy.effective_rule("latency_p95", vendor_id="initech", tier="high")
    tiered = policy.effective_rule("latency_p95", vendor_id="initech", tier="critical")
    vendor = policy.effective_rule("latency_p95", vendor_id="globex.it", tier="critical")
    untiered = policy.effective_rule("latency_p95", vendor_id="globex.it", tier=None)
    assert base is not None
    assert tiered is not None
    assert vendor is not None
    assert untiered is not None
    assert (base.warn, base.clear, base.for_periods) == (1500.0, 1300.0, 3)
    assert (tiered.warn, tiered.clear, tiered.for_periods) == (1200.0, 1100.0, 2)
    assert (vendor.warn, vendor.clear, vendor.for_periods) == (1200.0, 1100.0, 5)
    assert (untiered.warn, untiered.for_periods) == (1500.0, 5)
    assert policy.effective_rule("latency_p95", vendor_id="acme-support", tier="critical") is None


def test_an_override_can_enable_a_disabled_rule() -> None:
    text = rule_text(enabled=False) + "[rules.r.tiers.critical]\nenabled = true\n"
    policy = parse_policy(text)
    assert policy.effective_rule("r", vendor_id="v", tier="low") is None
    assert policy.effective_rule("r", vendor_id="v", tier="critical") is not None


def test_clear_left_unset_follows_the_effective_warn() -> None:
    policy = parse_policy(rule_text(critical=2500.0) + "[rules.r.tiers.low]\nwarn = 1800.0\n")
    low = policy.effective_rule("r", vendor_id="v", tier="low")
    assert low is not None
    assert low.clear == 1800.0
    only_critical = parse_policy(rule_text(warn=None, critical=2.0))
    rule = only_critical.effective_rule("r", vendor_id="v", tier=None)
    assert rule is not None
    assert rule.clear == 2.0


def test_unknown_rule_and_unknown_tier_are_caller_errors() -> None:
    policy = parse_policy(LATENCY)
    with pytest.raises(KeyError, match="nope"):
        policy.effective_rule("nope", vendor_id="v", tier=None)
    with pytest.raises(ValueError, match="unknown tier 'gold'"):
        policy.effective_rule("latency_p95", vendor_id="v", tier="gold")


# --- thresholds relative to the SLA --------------------------------------------------------


def test_sla_relative_thresholds_scale_the_vendors_target() -> None:
    text = rule_text(warn=1.0, critical=1.5, clear=0.9, thresholds_from_sla=True)
    policy = parse_policy(text + '[rules.r.vendors."acme"]\ncritical = 2.0\n')
    rule = policy.effective_rule("r", vendor_id="v", tier=None, sla={"sla_latency_p95_ms": 800})
    assert rule is not None
    assert (rule.warn, rule.critical, rule.clear) == pytest.approx((800.0, 1200.0, 720.0))
    acme = policy.effective_rule("r", vendor_id="acme", tier=None, sla=SLA)
    assert acme is not None
    assert acme.critical == pytest.approx(3000.0)


@pytest.mark.parametrize("sla", [None, {}, {"sla_latency_p95_ms": None}, {"latency_p95_ms": 1.0}])
def test_a_vendor_without_the_sla_target_is_not_checked(sla: dict[str, float | None]) -> None:
    policy = parse_policy(rule_text(warn=1.0, thresholds_from_sla=True))
    assert policy.effective_rule("r", vendor_id="v", tier=None, sla=sla) is None


def test_success_rate_below_its_sla_minimum() -> None:
    text = rule_text(
        metric="success_rate", direction="below", warn=1.0, critical=0.99, thresholds_from_sla=True
    )
    rule = parse_policy(text).effective_rule("r", vendor_id="v", tier=None, sla=SLA)
    assert rule is not None
    assert rule.level(0.995) == "ok"
    assert rule.level(0.99) == "warn"
    assert rule.level(0.98) == "critical"
    assert SLA_TARGETS["success_rate"] == "sla_success_rate_min"


def test_slo_objective_from_the_sla() -> None:
    slo = default_policy().slo["success_budget"]
    assert slo.objective_for(SLA) == 0.995
    assert slo.objective_for({"sla_success_rate_min": None}) is None
    assert slo.objective_for({"sla_success_rate_min": 1.0}) is None  # no budget to burn
    budget = slo_text("budget", "success_rate", 0.999, [(24, 2, 3.0, "warn")])
    fixed = parse_policy(BASE + budget)
    assert fixed.slo["budget"].objective_for(None) == 0.999


# --- levels --------------------------------------------------------------------------------


def test_levels_are_strictly_beyond_the_threshold_and_clear_is_inclusive() -> None:
    rule = EffectiveRule("r", "latency_p95_ms", "day", "above", 1500.0, 2500.0, 1300.0)
    assert [rule.level(v) for v in (1500.0, 1500.1, 2500.0, 2500.1)] == [
        "ok", "warn", "warn", "critical",
    ]  # fmt: skip
    assert rule.is_clear(1300.0)
    assert not rule.is_clear(1300.1)
    below = EffectiveRule("q", "quality_score", "day", "below", 60.0, 40.0, 65.0)
    assert [below.level(v) for v in (60.0, 59.9, 40.0, 39.9)] == ["ok", "warn", "warn", "critical"]
    assert below.is_clear(65.0)
    assert not below.is_clear(64.9)


def test_an_inconsistent_effective_rule_cannot_be_built() -> None:
    with pytest.raises(ValueError, match=r"clear \(11.0\) must be at or below warn \(10.0\)"):
        EffectiveRule("r", "m", "day", "above", 10.0, 20.0, 11.0)
    with pytest.raises(ValueError, match=r"warn \(10.0\) must be at or above critical"):
        EffectiveRule("r", "m", "day", "below", 10.0, 20.0, 11.0)
    with pytest.raises(ValueError, match="needs warn or critical"):
        EffectiveRule("r", "m", "day", "above", None, None, 1.0)


def test_warn_escalates_near_the_act_by_date() -> None:
    rule = EffectiveRule("r", "m", "day", "below", 60.0, 40.0, 65.0, escalate_within_days=60)
    assert rule.escalated("warn", days_to_act_by=60) == "critical"
    assert rule.escalated("warn", days_to_act_by=61) == "warn"
    assert rule.escalated("warn", days_to_act_by=None) == "warn"
    assert rule.escalated("critical", days_to_act_by=100) == "critical"
    assert (
        dataclasses.replace(rule, escalate_within_days=None).escalated("warn", days_to_act_by=0)
        == "warn"
    )


@given(
    st.floats(-100, 100),
    st.floats(0, 50),
    st.floats(0, 50),
    st.floats(0, 50),
    st.sampled_from(["above", "below"]),
)
def test_clear_values_never_breach_and_levels_grow_with_badness(
    warn: float, to_critical: float, to_clear: float, value_offset: float, direction: str
) -> None:
    sign = 1.0 if direction == "above" else -1.0
    rule = EffectiveRule(
        "r", "m", "day", direction,  # type: ignore[arg-type]
        warn, warn + sign * to_critical, warn - sign * to_clear,
    )  # fmt: skip
    order = {"ok": 0, "warn": 1, "critical": 2}
    for value in (warn - 25.0, warn, warn + 25.0):
        worse = value + sign * value_offset
        if rule.is_clear(value):
            assert rule.level(value) == "ok"
        assert order[rule.level(worse)] >= order[rule.level(value)]


# --- versions ------------------------------------------------------------------------------

REFORMATTED = """
# the same policy, written differently
label = 'test'

[rules.latency_p95]
min_sample = 50
clear_periods = 2
for_periods = 3
clear = 1300
critical = 2500
warn = 1500
direction = "above"
grain = "day"
metric = "latency_p95_ms"
tiers = { critical = { for_periods = 2, clear = 1100.0, warn = 1200.0 } }
vendors."acme-support".enabled = false
vendors."globex.it" = { for_periods = 5 }

[weights]   # composite score
cost = 0.30
security = 0.25
quality = 0.45
"""


def test_the_version_ignores_formatting_comments_and_key_order() -> None:
    version = parse_policy(LATENCY).version
    assert parse_policy(REFORMATTED).version == version
    assert re.fullmatch(r"test@[0-9a-f]{12}", str(version))
    assert version == PolicyVersion("test", version.content_hash)
    with pytest.raises(dataclasses.FrozenInstanceError):
        version.label = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("clear_periods = 2", "clear_periods = 3"),
        ("warn = 1200.0", "warn = 1250.0"),
        ('"globex.it"', '"globex.com"'),
        ('label = "test"', 'label = "test 2"'),
        ("cost = 0.30", "cost = 0.31"),
    ],
)
def test_any_value_change_changes_the_version(old: str, new: str) -> None:
    assert old in LATENCY
    changed = parse_policy(LATENCY.replace(old, new)).version
    assert changed.content_hash != parse_policy(LATENCY).version.content_hash


def test_a_policy_is_immutable() -> None:
    policy = parse_policy(LATENCY)
    with pytest.raises(ValueError, match="frozen"):
        policy.label = "other"  # type: ignore[misc]
    assert isinstance(policy, Policy)
