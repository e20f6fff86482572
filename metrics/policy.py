"""The alert policy: threshold rules, SLO burn-rate alerts and score weights, as versioned data.

A policy is a TOML file (the packaged default is ``metrics/policies/default.toml``) validated into
frozen pydantic models. Every breach, alert and score records the :class:`PolicyVersion` that
produced it: ``label@hash``, where the hash covers the validated values only, so comments,
formatting and key order in the file never change it and any value change always does.

A rule's settings are resolved per vendor by :meth:`Policy.effective_rule`: the rule's own values,
then the override for the vendor's tier, then the override for the vendor itself (the most
specific wins). Every combination is checked when the policy is loaded, so an override can never
produce an inconsistent rule at evaluation time. The parts live beside this module: the metric
catalogue a rule may watch (:mod:`metrics.policy_catalogue`), the rule model
and value types (:mod:`metrics.policy_rule`) and the error messages (:mod:`metrics.policy_errors`).

Thresholds are the last acceptable value: a period breaches when its value is strictly worse
than ``warn`` (or ``critical``); it is *clear* when it is at ``clear`` or better (inclusive).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PlainValidator, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from metrics.effective_rule import EffectiveRule, PolicyVersion, Severity
from metrics.policy_catalogue import SLA_TARGETS, TIERS
from metrics.policy_errors import PolicyError as PolicyError
from metrics.policy_errors import Problem, raise_problems, toml_problem, validation_problems
from metrics.policy_rule import Label, Name, Periods, PolicyModel, Rule


def _objective(value: object) -> float | str:
    if value == "sla":
        return "sla"
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1:
        return float(value)
    raise PydanticCustomError("objective", 'must be a number between 0 and 1 (exclusive) or "sla"')


Objective = Annotated[float | Literal["sla"], PlainValidator(_objective)]


class BurnWindow(PolicyModel):
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


class SloPolicy(PolicyModel):
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


class Weights(PolicyModel):
    """Weights of the composite backsourcing score; each >= 0, not all 0."""

    quality: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    security: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    cost: Annotated[float, Field(ge=0, allow_inf_nan=False)]

    @model_validator(mode="after")
    def _some_weight(self) -> Weights:
        if self.quality + self.security + self.cost <= 0:
            raise_problems([((), "at least one weight must be above 0")])
        return self


class Policy(PolicyModel):
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
