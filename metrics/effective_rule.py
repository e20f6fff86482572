"""A policy rule resolved for one vendor, and the version stamp of the policy behind a result.

Holds :class:`EffectiveRule` (absolute thresholds, overrides applied: what the breach state
machine evaluates), :class:`PolicyVersion` and the literal types they share with the policy
models. :mod:`metrics.policy` builds both; this module depends on nothing else in the package.

Thresholds are the last acceptable value: a period breaches when its value is strictly worse
than ``warn`` (or ``critical``); it is *clear* when it is at ``clear`` or better (inclusive).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["above", "below"]
Grain = Literal["day", "month"]
Severity = Literal["warn", "critical"]
Level = Literal["ok", "warn", "critical"]


def format_value(value: float) -> str:
    """A threshold as shown in messages: ten significant digits, ``repr`` of the float."""
    return repr(float(f"{value:.10g}"))


def ordering_problems(
    direction: Direction, warn: float | None, critical: float | None, clear: float | None
) -> list[tuple[str, float, str]]:
    """(field, value, problem) where warn is worse than critical or clear worse than warn."""
    up = direction == "above"
    side, rule = f"at or {'below' if up else 'above'}", f'for direction "{direction}"'
    found = []
    if warn is not None and critical is not None and (warn > critical if up else warn < critical):
        found.append(("warn", warn, f"must be {side} critical ({format_value(critical)}) {rule}"))
    name, bound = ("warn", warn) if warn is not None else ("critical", critical)
    if clear is not None and bound is not None and (clear > bound if up else clear < bound):
        found.append(("clear", clear, f"must be {side} {name} ({format_value(bound)}) {rule}"))
    return found


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """Identifies the policy that produced a result: ``str()`` is ``label@content_hash``."""

    label: str
    content_hash: str

    def __str__(self) -> str:
        return f"{self.label}@{self.content_hash}"


@dataclass(frozen=True, slots=True)
class EffectiveRule:
    """A rule resolved for one vendor: absolute thresholds, overrides applied.

    Invariants (checked on construction): at least one of warn/critical; for "above"
    ``warn <= critical`` and ``clear <= warn`` (or critical), mirrored for "below".
    """

    name: str
    metric: str
    grain: Grain
    direction: Direction
    warn: float | None
    critical: float | None
    clear: float
    for_periods: int = 1
    clear_periods: int = 1
    min_sample: int = 0
    escalate_within_days: int | None = None

    def __post_init__(self) -> None:
        if self.warn is None and self.critical is None:
            raise ValueError(f"rule {self.name}: needs warn or critical")
        for field, value, message in ordering_problems(
            self.direction, self.warn, self.critical, self.clear
        )[:1]:
            raise ValueError(f"rule {self.name}: {field} ({format_value(value)}) {message}")
        if self.for_periods < 1 or self.clear_periods < 1 or self.min_sample < 0:
            raise ValueError(f"rule {self.name}: periods must be >= 1 and min_sample >= 0")

    def _worse(self, value: float, threshold: float) -> bool:
        return value > threshold if self.direction == "above" else value < threshold

    def level(self, value: float) -> Level:
        """ "critical" or "warn" when ``value`` is strictly worse than that threshold, else "ok"."""
        if self.critical is not None and self._worse(value, self.critical):
            return "critical"
        if self.warn is not None and self._worse(value, self.warn):
            return "warn"
        return "ok"

    def is_clear(self, value: float) -> bool:
        """True when ``value`` is at ``clear`` or on its good side (for "above": value <= clear)."""
        return value <= self.clear if self.direction == "above" else value >= self.clear

    def escalated(self, severity: Severity, *, days_to_act_by: int | None) -> Severity:
        """A firing warn becomes critical when the act-by date is within escalate_within_days."""
        window = self.escalate_within_days
        if severity == "warn" and window is not None and days_to_act_by is not None:
            return "critical" if days_to_act_by <= window else severity
        return severity
