"""A threshold rule as written in the policy, its overrides, and the policy's value types.

:class:`Rule` is validated on its own and under every tier, vendor and tier+vendor override
(:meth:`Rule.merged` is the resolution order: the most specific wins), so an override can never
produce an inconsistent rule at evaluation time; :meth:`metrics.policy.Policy.effective_rule`
turns the merged values into an :class:`~metrics.effective_rule.EffectiveRule`.

Thresholds are the last acceptable value: a period breaches when its value is strictly worse
than ``warn`` (or ``critical``); it is *clear* when it is at ``clear`` or better (inclusive).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from metrics.effective_rule import Direction, Grain, format_value, ordering_problems
from metrics.policy_catalogue import (
    FRACTION_METRICS,
    KNOWN_METRICS,
    MONTH_ONLY_METRICS,
    OVERRIDABLE,
    SCORE_METRICS,
    SLA_TARGETS,
    TIERS,
)
from metrics.policy_errors import Problem, raise_problems


def _matching(pattern: str, rule: str) -> AfterValidator:
    """A string validator: ``pattern`` must match the whole value, else ``rule`` is the error."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise PydanticCustomError("policy_value", "{rule}", {"rule": rule})
        return value

    return AfterValidator(check)


Name = Annotated[str, _matching(r"[A-Za-z][\w-]{0,63}", "a letter, then up to 63 of [A-Za-z0-9_-]")]
TierName = Annotated[str, _matching("|".join(TIERS), f"unknown tier; tiers: {', '.join(TIERS)}")]
VendorId = Annotated[str, _matching(r"[A-Za-z0-9][\w.-]{0,63}", "not a vendor_id (EVENTS.md)")]
Label = Annotated[str, _matching(r"(?=.*\S)[^\x00-\x1f\x7f]{1,80}", "1-80 characters, one line")]
Threshold = Annotated[float, Field(allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0)]
Periods = Annotated[int, Field(ge=1)]


class PolicyModel(BaseModel):
    """The base of every policy model: immutable, strict, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class RuleOverride(PolicyModel):
    """Per-tier or per-vendor replacement values for a rule; unset keys keep the rule's value."""

    warn: Threshold | None = None
    critical: Threshold | None = None
    clear: Threshold | None = None
    for_periods: Periods | None = None
    clear_periods: Periods | None = None
    min_sample: Count | None = None
    escalate_within_days: Count | None = None
    enabled: bool | None = None


class Rule(PolicyModel):
    """A threshold rule on one metric at one grain, as written in the policy.

    With ``thresholds_from_sla`` the thresholds (rule and overrides alike) are multipliers of
    the vendor's SLA target for the metric (:data:`SLA_TARGETS`), not absolute values.
    """

    metric: str
    grain: Grain
    direction: Direction
    warn: Threshold | None = None
    critical: Threshold | None = None
    clear: Threshold | None = None
    for_periods: Periods = 1
    clear_periods: Periods = 1
    min_sample: Count = 0
    escalate_within_days: Count | None = None
    thresholds_from_sla: bool = False
    enabled: bool = True
    tiers: dict[TierName, RuleOverride] = Field(default_factory=dict)
    vendors: dict[VendorId, RuleOverride] = Field(default_factory=dict)

    def merged(self, tier: str | None, vendor_id: str | None) -> dict[str, Any]:
        """The overridable values after the tier, then the vendor override; clear unresolved."""
        values = {key: getattr(self, key) for key in OVERRIDABLE}
        for override in (self.tiers.get(tier) if tier else None, self.vendors.get(vendor_id or "")):
            if override is not None:
                values.update(override.model_dump(exclude_none=True))
        return values

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        problems: list[Problem] = []
        if self.metric not in KNOWN_METRICS:
            known = ", ".join(sorted(KNOWN_METRICS))
            problems.append((("metric",), f"unknown metric {self.metric!r}; known: {known}"))
        elif self.grain == "day" and self.metric in MONTH_ONLY_METRICS:
            problems.append((("grain",), f'{self.metric} exists per month only: use "month"'))
        if self.thresholds_from_sla and self.metric not in SLA_TARGETS:
            with_sla = ", ".join(SLA_TARGETS)
            message = f"only valid for the metrics with an SLA target ({with_sla})"
            problems.append((("thresholds_from_sla",), message))
        if not problems:
            problems = self._threshold_problems()
        raise_problems(problems)
        return self

    def _threshold_problems(self) -> list[Problem]:
        """Check the rule, then every tier, vendor and tier+vendor merge, blaming the override."""
        problems: list[Problem] = [
            ((field,), message) for field, _, message in self._check(self.merged(None, None))
        ]
        if problems:
            return problems
        valid_tiers: list[str | None] = [None]
        for tier in self.tiers:
            found = self._check(self.merged(tier, None))
            problems += [
                (("tiers", tier), f"with the rule's values, {f} ({format_value(v)}) {m}")
                for f, v, m in found
            ]
            if not found:
                valid_tiers.append(tier)
        for vendor in self.vendors:
            for under in valid_tiers:
                found = self._check(self.merged(under, vendor))
                if found:
                    field, value, message = found[0]
                    tiered = f" and the {under} tier override" if under else ""
                    message = (
                        f"with the rule's values{tiered}, {field} ({format_value(value)}) {message}"
                    )
                    problems.append((("vendors", vendor), message))
                    break
        return problems

    def _check(self, values: Mapping[str, Any]) -> list[tuple[str, float, str]]:
        """(field, value, problem) for a merged set of thresholds; empty when consistent."""
        warn, critical, clear = values["warn"], values["critical"], values["clear"]
        if warn is None and critical is None:
            return [("warn", 0.0, "is missing: give at least one of warn or critical")]
        found = [
            (field, value, issue)
            for field, value in (("warn", warn), ("critical", critical), ("clear", clear))
            if value is not None and (issue := self._out_of_range(value))
        ]
        return found + ordering_problems(self.direction, warn, critical, clear)

    def _out_of_range(self, value: float) -> str | None:
        if self.thresholds_from_sla:
            return None if value >= 0 else "must be >= 0 (a multiplier of the SLA target)"
        if self.metric in FRACTION_METRICS and not 0 <= value <= 1:
            return f"must be between 0 and 1: {self.metric} is a fraction, not a percentage"
        if self.metric in SCORE_METRICS and not 0 <= value <= 100:
            return f"must be between 0 and 100 for the score {self.metric}"
        if self.metric != "variance_pct" and value < 0:
            return f"must be >= 0 for {self.metric}"
        return None
