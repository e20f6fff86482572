"""Score the judgement per scenario and render the table.

Per (scenario, daily volume), over the seeds run:

- ``detected``: the seeds whose vendor, materially in breach, got a flag seen at or after
  ``material_at``; ``delay``: median and max days from ``material_at`` to the first such flag;
- ``early``: flags seen after the onset but before ``material_at`` (the trouble is real but
  the true figure is still inside the SLA: neither a detection nor a false alarm);
- ``false flags / vendor-year``: flags on within-SLA vendors and flags before the onset, per
  365 days of judged history;
- ``false by rule``: the rules behind those false flags, most frequent first;
- the policy version (``label@hash``) heads the table.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from metrics.evaluation.runner import VendorOutcome

YEAR_DAYS = 365.0


@dataclass(frozen=True, slots=True)
class ScenarioScore:
    """One row of the table."""

    scenario: str
    volume_per_day: float
    seeds: int
    within_sla: bool
    detected: int  # seeds with a flag at or after material_at (0 for within-SLA scenarios)
    delays_days: tuple[float, ...]
    early_flags: int
    false_flags: int
    vendor_years: float
    false_rules: tuple[tuple[str, int], ...] = ()  # (rule, false flags), most first

    @property
    def false_per_vendor_year(self) -> float:
        return self.false_flags / self.vendor_years if self.vendor_years else 0.0


def _score(group: Sequence[VendorOutcome]) -> ScenarioScore:
    first = group[0]
    detected, delays, early, false_rules = 0, [], 0, Counter[str]()
    for outcome in group:
        onset, material = outcome.truth.onset, outcome.truth.material_at
        if material is None or onset is None:  # within the SLA (no onset: no material_at)
            false_rules.update(f.rule for f in outcome.flags)
            continue
        false_rules.update(f.rule for f in outcome.flags if f.seen_at < onset)
        early += sum(1 for f in outcome.flags if onset <= f.seen_at < material)
        after = [f.seen_at for f in outcome.flags if f.seen_at >= material]
        if after:
            detected += 1
            delays.append((min(after) - material) / timedelta(days=1))
    return ScenarioScore(
        first.scenario,
        first.volume_per_day,
        len(group),
        first.truth.within_sla,
        detected,
        tuple(delays),
        early,
        false_rules.total(),
        sum(o.days for o in group) / YEAR_DAYS,
        tuple(false_rules.most_common()),
    )


def score(outcomes: Sequence[VendorOutcome]) -> list[ScenarioScore]:
    """One score per (scenario, volume), in the order first met."""
    groups: dict[tuple[str, float], list[VendorOutcome]] = {}
    for outcome in outcomes:
        groups.setdefault((outcome.scenario, outcome.volume_per_day), []).append(outcome)
    return [_score(group) for group in groups.values()]


def _delay(days: Sequence[float]) -> str:
    if not days:
        return "-"
    return f"{statistics.median(days):.1f} / {max(days):.1f}"


def render_table(scores: Sequence[ScenarioScore], policy_version: str) -> str:
    """The markdown table (a heading line with the policy version, then one row a score)."""
    lines = [
        f"Policy {policy_version}",
        "",
        "| scenario | responses/day | truth | detected | delay d (median / max) "
        "| early | false flags / vendor-year | false by rule |",
        "|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for s in scores:
        truth = "within SLA" if s.within_sla else "breach"
        detected = "-" if s.within_sla else f"{s.detected}/{s.seeds}"
        rules = ", ".join(f"{rule} {count}" for rule, count in s.false_rules)
        lines.append(
            f"| {s.scenario} | {s.volume_per_day:g} | {truth} | {detected} "
            f"| {_delay(s.delays_days)} | {s.early_flags} | {s.false_per_vendor_year:.1f} "
            f"| {rules or '-'} |"
        )
    return "\n".join(lines)
