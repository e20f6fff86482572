"""Policy TOML texts and helpers shared by the metrics tests (policy, rules, SLOs, judging)."""

from __future__ import annotations

import pytest

from metrics.effective_rule import EffectiveRule
from metrics.policy import parse_policy
from metrics.policy_errors import PolicyError

WEIGHTS = """[weights]
quality = 0.45
security = 0.25
cost = 0.30
"""
BASE = '\nlabel = "test"\n' + WEIGHTS

LATENCY = (
    BASE
    + """
[rules.latency_p95]
metric = "latency_p95_ms"
grain = "day"
direction = "above"
warn = 1500.0
critical = 2500.0
clear = 1300.0
for_periods = 3
clear_periods = 2
min_sample = 50

[rules.latency_p95.tiers.critical]
warn = 1200.0
clear = 1100.0
for_periods = 2

[rules.latency_p95.vendors."acme-support"]
enabled = false

[rules.latency_p95.vendors."globex.it"]
for_periods = 5
"""
)

SLA = {"sla_latency_p95_ms": 1500.0, "sla_success_rate_min": 0.995, "sla_defects_per_1k_max": 2.0}


def problems_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "policy.toml")
    message = str(caught.value)
    assert "errors.pydantic.dev" not in message
    assert "Traceback" not in message
    assert "[type=" not in message
    return message.splitlines()


def rule_text(**settings: object) -> str:
    values = {"metric": "latency_p95_ms", "grain": "day", "direction": "above", "warn": 1500.0}
    values.update(settings)
    body = "\n".join(
        f"{key} = {toml_value(value)}" for key, value in values.items() if value is not None
    )
    return f"{BASE}\n[rules.r]\n{body}\n"


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def slo_text(
    name: str, metric: str, objective: float | str, windows: list[tuple[int, int, float, str]]
) -> str:
    """TOML of SLO ``name`` over 30 days with burn-rate ``windows`` of
    (long_hours, short_hours, burn_rate, severity)."""
    lines = [
        f"[slo.{name}]",
        f"metric = {toml_value(metric)}",
        f"objective = {toml_value(objective)}",
        "budget_days = 30",
    ]
    for long_hours, short_hours, burn_rate, severity in windows:
        lines += [
            f"[[slo.{name}.windows]]",
            f"long_hours = {long_hours}",
            f"short_hours = {short_hours}",
            f"burn_rate = {burn_rate}",
            f"severity = {toml_value(severity)}",
        ]
    return "\n".join(lines) + "\n"


def latency_rule() -> EffectiveRule:
    """Rule ``latency_p95`` of :data:`LATENCY` for a vendor without overrides: warn 1500 ms,
    critical 2500, clear 1300, for 3 periods, clear after 2, min sample 50."""
    rule = parse_policy(LATENCY).effective_rule("latency_p95", vendor_id="v", tier=None)
    assert rule is not None
    return rule
