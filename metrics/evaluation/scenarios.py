"""The evaluation scenarios: the simulator's presets plus the cases issue #23 lists.

Each :class:`EvaluationScenario` starts from a simulator preset (its company and contract) and
changes only what it says: preset rates, the SLA's defect ceiling, a latency multiplier from the
onset for a span (a bad day, a bad hour, a step), a fixed daily volume. The simulator's own
presets and their seeded streams are left as they are; the extra effects live on
:class:`EvaluatedVendor`, a :class:`SimulatedVendor` whose ``latency_factor`` also applies the
step.

Contracts: :func:`build_scenario_vendors` is a pure function of its arguments; each scenario's
vendor gets its own id (``<company-slug>-<n>``, ``n`` the scenario's position + 1), so all
scenarios share one store. Unknown names raise ``ValueError`` naming the known ones.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from ingest.simulator.scenarios import SimulatedVendor, build_vendors, scenario_onset


@dataclass(frozen=True, slots=True)
class EvaluatedVendor(SimulatedVendor):
    """A simulated vendor with a latency step: ``step_factor`` from the onset for
    ``step_ms`` (None: for ever), on top of the preset's ramp."""

    step_factor: float = 1.0
    step_ms: int | None = None

    def latency_factor(self, ts_ms: int) -> float:
        base = SimulatedVendor.latency_factor(self, ts_ms)
        onset = self.onset_ms
        if self.step_factor == 1.0 or onset is None or ts_ms < onset:
            return base
        if self.step_ms is not None and ts_ms >= onset + self.step_ms:
            return base
        return base * self.step_factor


@dataclass(frozen=True)
class EvaluationScenario:
    """One labelled case: ``base`` preset, and what differs from it."""

    name: str
    base: str
    description: str
    preset: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    vendor: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    step_factor: float = 1.0
    step: timedelta | None = None
    volume_per_day: float | None = None  # None: the run's volume


def _s(name: str, base: str, description: str, **changes: Any) -> EvaluationScenario:
    return EvaluationScenario(name, base, description, **changes)


# Onsets ~30 days before the end, on a business morning (the simulator's rule).
_ONSET = {"onset_days_before_end": 30.0}
SCENARIOS: dict[str, EvaluationScenario] = {
    s.name: s
    for s in (
        _s("healthy", "healthy", "steady, comfortably inside the SLA"),
        _s(
            "noisy_within_sla",
            "noisy_but_healthy",
            "heavy-tailed latency, true p95 ~12 % inside the target",
            preset={"sla_headroom": 2.8},
        ),
        _s(
            "one_bad_day",
            "healthy",
            "latency 1.5x for 24 h, true p95 still inside the target",
            preset=_ONSET,
            step_factor=1.5,
            step=timedelta(days=1),
        ),
        _s(
            "bad_hour",
            "healthy",
            "latency 1.5x for one hour, true p95 still inside the target",
            preset=_ONSET,
            step_factor=1.5,
            step=timedelta(hours=1),
        ),
        _s("gradual_drift", "latency_degradation", "latency ramps up 4.5 % a day from the onset"),
        _s(
            "step_change",
            "healthy",
            "latency doubles at the onset (true p95 ~1.2x the target)",
            preset=_ONSET,
            step_factor=2.0,
        ),
        _s(
            "sparse_defect_surge",
            "defect_surge",
            "defects 1 -> 7 per 1k at the onset, SLA 3 per 1k",
            preset={"defects_per_1k": 1.0, "defect_jump": 7.0},
            vendor={"sla_defects_per_1k_max": 3.0},
        ),
        _s("incident_burst", "security_incident_burst", "incidents incl. a data breach at onset"),
        _s("cost_creep", "cost_creep", "invoices 5 % a month above the fee from the onset"),
        _s(
            "low_volume",
            "healthy",
            "a healthy vendor with 30 responses a day",
            volume_per_day=30.0,
        ),
    )
}
SCENARIO_NAMES: tuple[str, ...] = tuple(SCENARIOS)


def build_scenario_vendors(
    names: Sequence[str], *, start: datetime, end: datetime, seed: int
) -> list[EvaluatedVendor]:
    """One vendor per scenario name, in the order given (see the module contract)."""
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIO_NAMES)}")
    return [_vendor(SCENARIOS[name], index, start, end, seed) for index, name in enumerate(names)]


def _vendor(
    scenario: EvaluationScenario, index: int, start: datetime, end: datetime, seed: int
) -> EvaluatedVendor:
    (simulated,) = build_vendors([scenario.base], start=start, end=end, seed=seed)
    preset = replace(simulated.preset, name=scenario.name, **scenario.preset)
    values = {f.name: getattr(simulated, f.name) for f in fields(simulated) if f.init}
    slug = simulated.vendor_id.rsplit("-", 1)[0]
    onset = simulated.onset
    if scenario.preset.keys() & {"onset_days_before_end", "onset_max_share"}:
        # the base preset had no onset: place one by the simulator's rule, from its own stream
        onset = scenario_onset(preset, start, end, random.Random(f"{seed}/{scenario.name}"))
    values |= {
        "vendor_id": f"{slug}-{index + 1}",
        "scenario": scenario.name,
        "preset": preset,
        "onset": onset,
        "ordinal": index,
        "median_latency_ms": simulated.sla_latency_p95_ms / preset.sla_headroom,
        **scenario.vendor,
    }
    step_ms = None if scenario.step is None else int(scenario.step / timedelta(milliseconds=1))
    return EvaluatedVendor(**values, step_factor=scenario.step_factor, step_ms=step_ms)
