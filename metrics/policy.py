"""The alert policy: threshold rules, SLO burn-rate alerts and score weights, as versioned data.

A policy is a TOML file (the packaged default is ``metrics/policies/default.toml``) validated into
frozen pydantic models. Every breach, alert and score records the :class:`PolicyVersion` that
produced it: ``label@hash``, where the hash covers the validated values only, so comments,
formatting and key order in the file never change it and any value change always does.

A rule's settings are resolved per vendor by :meth:`Policy.effective_rule`: the rule's own values,
then the override for the vendor's tier, then the override for the vendor itself (the most
specific wins). Every combination is checked when the policy is loaded, so an override can never
produce an inconsistent rule at evaluation time.

Thresholds are the last acceptable value: a period breaches when its value is strictly worse
than ``warn`` (or ``critical``); it is *clear* when it is at ``clear`` or better (inclusive).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ingest.kinds import KINDS
from metrics.effective_rule import Direction, Grain, Severity, format_value, ordering_problems
from metrics.effective_rule import EffectiveRule as EffectiveRule
from metrics.effective_rule import PolicyVersion as PolicyVersion
from metrics.policy_errors import PolicyError as PolicyError
from metrics.policy_errors import Problem, raise_problems, toml_problem, validation_problems

Tier = Literal["critical", "high", "medium", "low"]
TIERS: Final[tuple[str, ...]] = get_args(Tier)

_FIGURES = tuple(f for kind in KINDS if kind.metrics for f in kind.metrics.figures)

# fmt: off
MONTH_ONLY_METRICS: Final = frozenset(
    m for kind in KINDS if kind.metrics for m in kind.metrics.month_only_rule_metrics
)
"""Columns of ``vendor_monthly`` only (the money side); a rule on them needs grain "month"."""
FRACTION_METRICS: Final = frozenset(f.name for f in _FIGURES if f.rule and f.fraction)
SCORE_METRICS: Final = frozenset({"quality_score", "security_score", "cost_score",
                                  "backsourcing_score"})
KNOWN_METRICS: Final = frozenset(
    f.name for f in _FIGURES if f.rule
) | FRACTION_METRICS | SCORE_METRICS | MONTH_ONLY_METRICS
"""Every metric a rule may watch: the numeric projection columns the registered kinds mark
for rules (:mod:`ingest.kinds`) and the 0-100 scores."""
SLA_TARGETS: Final[Mapping[str, str]] = MappingProxyType({
    f.name: f.sla_target for f in _FIGURES if f.rule and f.sla_target is not None
})
"""Metric -> key of its SLA target in the ``sla`` mapping given to :meth:`Policy.effective_rule`."""
SAMPLE_COLUMNS: Final[Mapping[str, str]] = MappingProxyType(
    {f.name: f.sample for f in _FIGURES if f.rule}
    | dict.fromkeys(SCORE_METRICS, "responses_30d")
)
"""Metric -> the column counting the observations behind it (a rule's ``min_sample``)."""
OVERRIDABLE: Final = ("warn", "critical", "clear", "for_periods", "clear_periods", "min_sample",
                      "escalate_within_days", "enabled")
"""The rule settings a tier or vendor override may replace."""
# fmt: on


def _matching(pattern: str, rule: str) -> AfterValidator:
    """A string validator: ``pattern`` must match the whole value, else ``rule`` is the error."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise PydanticCustomError("policy_value", "{rule}", {"rule": rule})
        return value

    return AfterValidator(check)


def _objective(value: object) -> float | str:
    if value == "sla":
        return "sla"
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1:
        return float(value)
    raise PydanticCustomError("objective", 'must be a number between 0 and 1 (exclusive) or "sla"')


Name = Annotated[str, _matching(r"[A-Za-z][\w-]{0,63}", "a letter, then up to 63 of [A-Za-z0-9_-]")]
TierName = Annotated[str, _matching("|".join(TIERS), f"unknown tier; tiers: {', '.join(TIERS)}")]
VendorId = Annotated[str, _matching(r"[A-Za-z0-9][\w.-]{0,63}", "not a vendor_id (EVENTS.md)")]
Label = Annotated[str, _matching(r"(?=.*\S)[^\x00-\x1f\x7f]{1,80}", "1-80 characters, one line")]
Threshold = Annotated[float, Field(allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0)]
Periods = Annotated[int, Field(ge=1)]
Objective = Annotated[float | Literal["sla"], PlainValidator(_objective)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class RuleOverride(_Frozen):
    """Per-tier or per-vendor replacement values for a rule; unset keys keep the rule's value."""

    warn: Threshold | None = None
    critical: Threshold | None = None
    clear: Threshold | None = None
    for_periods: Periods | None = None
    clear_periods: Periods | None = None
    min_sample: Count | None = None
    escalate_within_days: Count | None = None
    enabled: bool | None = None


class Rule(_Frozen):
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


class BurnWindow(_Frozen):
    """Alert when the error budget burns faster than ``burn_rate`` over both windows."""

    long_hours: Periods
    short_hours: Periods
    burn_rate: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    severity: Severity

    def rule_name(self, slo: str) -> str:
        """The name the window's alerts carry: ``NAME.<long>h/<short>h``."""
        return f"{slo}.{self.long_hours}h/{self.short_hours}h"

    @model_validator(mode="after")
    def _short_within_long(self) -> BurnWindow:
        if self.short_hours >= self.long_hours:
            raise_problems(
                [(("short_hours",), f"must be shorter than long_hours ({self.long_hours})")]
            )
        return self


class SloPolicy(_Frozen):
    """An SLO with an error budget over ``budget_days`` and multi-window burn-rate alerts."""

    metric: Literal["success_rate", "sla_attainment"]
    objective: Objective
    budget_days: Periods = 30
    windows: Annotated[list[BurnWindow], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self) -> SloPolicy:
        problems: list[Problem] = []
        if self.objective == "sla" and self.metric != "success_rate":
            message = '"sla" is only valid for metric "success_rate"; give a number in (0, 1)'
            problems.append((("objective",), message))
        for index, window in enumerate(self.windows):
            if window.long_hours > self.budget_days * 24:
                message = f"must fit in the budget period (budget_days {self.budget_days})"
                problems.append((("windows", index, "long_hours"), message))
        raise_problems(problems)
        return self

    def objective_for(self, sla: Mapping[str, float | None] | None) -> float | None:
        """The objective for one vendor; for ``"sla"``, the vendor's ``sla_success_rate_min``.

        None when the vendor has no such target, or one of 1.0 or more (no budget to burn):
        the SLO does not apply to that vendor.
        """
        if isinstance(self.objective, float):
            return self.objective
        target = (sla or {}).get(SLA_TARGETS["success_rate"])
        return float(target) if target is not None and 0 < target < 1 else None


class Weights(_Frozen):
    """Weights of the composite backsourcing score; each >= 0, not all 0."""

    quality: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    security: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    cost: Annotated[float, Field(ge=0, allow_inf_nan=False)]

    @model_validator(mode="after")
    def _some_weight(self) -> Weights:
        if self.quality + self.security + self.cost <= 0:
            raise_problems([((), "at least one weight must be above 0")])
        return self


class Policy(_Frozen):
    """A validated alert policy; build it with :func:`load_policy` or :func:`parse_policy`."""

    label: Label
    weights: Weights
    rules: dict[Name, Rule] = Field(default_factory=dict)
    slo: dict[Name, SloPolicy] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _distinct_names(self) -> Policy:
        clash = sorted(self.rules.keys() & self.slo.keys())
        raise_problems(
            [(("slo", name), "a rule has the same name; names must be unique") for name in clash]
        )
        return self

    def alert_names(self) -> frozenset[str]:
        """Every rule name an alert under this policy can carry (rules and SLO windows)."""
        windows = (w.rule_name(name) for name, slo in self.slo.items() for w in slo.windows)
        return frozenset((*self.rules, *windows))

    @property
    def version(self) -> PolicyVersion:
        """Label and the first 12 hex of sha256 over the canonical JSON of the validated values.

        Computed on each access (not cached), so a ``model_copy(update=...)`` never carries a
        stale version.
        """
        canonical = json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
        return PolicyVersion(self.label, digest)

    def normalised_weights(self) -> dict[str, float]:
        """The score weights scaled to sum to 1."""
        raw = self.weights.model_dump()
        total = sum(raw.values())
        return {component: weight / total for component, weight in raw.items()}

    def effective_rule(
        self,
        name: str,
        *,
        vendor_id: str,
        tier: str | None,
        sla: Mapping[str, float | None] | None = None,
    ) -> EffectiveRule | None:
        """Rule ``name`` as it applies to one vendor: rule <- tier override <- vendor override.

        ``tier`` is the vendor profile's tier (None: no tier override applies). ``sla`` holds
        the vendor's SLA targets keyed as in :data:`SLA_TARGETS` (``sla_latency_p95_ms``...).
        Returns None when the rule is disabled for the vendor, or when its thresholds are
        relative to an SLA target the vendor does not have: the rule does not apply to it.
        Raises KeyError for an unknown rule and ValueError for an unknown tier.
        """
        if name not in self.rules:
            raise KeyError(f"policy {self.version} has no rule {name!r}")
        if tier is not None and tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}; expected one of {', '.join(TIERS)}")
        rule = self.rules[name]
        values = rule.merged(tier, vendor_id)
        if not values["enabled"]:
            return None
        scale = 1.0
        if rule.thresholds_from_sla:
            target = (sla or {}).get(SLA_TARGETS[rule.metric])
            if target is None:
                return None
            scale = float(target)
        warn, critical = values["warn"], values["critical"]
        clear = next(v for v in (values["clear"], warn, critical) if v is not None)
        return EffectiveRule(
            name, rule.metric, rule.grain, rule.direction,
            warn=None if warn is None else warn * scale,
            critical=None if critical is None else critical * scale,
            clear=clear * scale,
            for_periods=values["for_periods"],
            clear_periods=values["clear_periods"],
            min_sample=values["min_sample"],
            escalate_within_days=values["escalate_within_days"],
        )  # fmt: skip

    def effective_rules(
        self, *, vendor_id: str, tier: str | None, sla: Mapping[str, float | None] | None = None
    ) -> list[EffectiveRule]:
        """Every rule that applies to the vendor, in policy order (see :meth:`effective_rule`)."""
        resolved = (
            self.effective_rule(n, vendor_id=vendor_id, tier=tier, sla=sla) for n in self.rules
        )
        return [rule for rule in resolved if rule is not None]


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Validate policy TOML ``text``; ``source`` names it in error messages.

    Raises :class:`PolicyError` listing every problem found.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([toml_problem(exc, source)]) from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(validation_problems(exc, source, Policy)) from None


def load_policy(path: Path) -> Policy:
    """Read and validate the policy file at ``path``; any failure is a :class:`PolicyError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([f"{path}: cannot read the policy file: {exc}"]) from None
    return parse_policy(text, str(path))


def default_policy() -> Policy:
    """The policy shipped with the package (``metrics/policies/default.toml``)."""
    resource = resources.files("metrics") / "policies" / "default.toml"
    return parse_policy(resource.read_text(encoding="utf-8"), "metrics/policies/default.toml")
