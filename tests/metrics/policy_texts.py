"""Policy TOML texts and helpers shared by the policy tests (``test_policy*.py``)."""

from __future__ import annotations

import pytest

from metrics.policy import parse_policy
from metrics.policy_errors import PolicyError

BASE = """
label = "test"
[weights]
quality = 0.45
security = 0.25
cost = 0.30
"""

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


# --- validation messages -------------------------------------------------------------------


SLO = """
[slo.budget]
metric = "{metric}"
objective = {objective}
budget_days = 30
[[slo.budget.windows]]
long_hours = 24
short_hours = {short}
burn_rate = 3.0
severity = "warn"
"""
