"""Ground truth of a simulated vendor: when its trouble starts and when it becomes material.

Computed from the vendor's effect functions (``latency_factor``, ``defect_factor``,
``incident_factor``, ``cost_factor``), never from samples, so it measures the detector and not
the luck of a seed.

Contracts:

- ``onset`` is the vendor's ``onset`` (None for scenarios where nothing goes wrong).
- ``material_at`` is the first whole hour at or after the onset (and before ``end``) at which
  the *true* figure breaks the SLA: the healthy p95 (``median * exp(1.645 * latency_sigma)``,
  the log-normal's 95th percentile; the hourly profile and rare spikes are left out) times
  ``latency_factor`` above ``sla_latency_p95_ms``; ``defects_per_1k * defect_factor`` above
  ``sla_defects_per_1k_max``; or the onset itself for an incident burst or an invoice above
  the contract fee (cost creep). None when no hour does: the vendor stays within its SLA.
- ``within_sla`` is ``material_at is None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.kinds.simulation import epoch_ms
from ingest.simulator.scenarios import SimulatedVendor

P95_Z = 1.6448536269514722  # the standard normal's 95th percentile
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ScenarioTruth:
    """What really happened to one vendor (see the module contract)."""

    onset: datetime | None
    material_at: datetime | None

    @property
    def within_sla(self) -> bool:
        return self.material_at is None


def true_p95_ms(vendor: SimulatedVendor, ts_ms: int) -> float:
    """The vendor's true latency p95 at ``ts_ms`` (log-normal body, no spikes, flat hours)."""
    healthy = vendor.median_latency_ms * math.exp(P95_Z * vendor.preset.latency_sigma)
    return healthy * vendor.latency_factor(ts_ms)


def _material(vendor: SimulatedVendor, moment: datetime) -> bool:
    ts_ms = epoch_ms(moment)
    if true_p95_ms(vendor, ts_ms) > vendor.sla_latency_p95_ms:
        return True
    defects = vendor.preset.defects_per_1k * vendor.defect_factor(ts_ms)
    if defects > vendor.sla_defects_per_1k_max:
        return True
    return (
        vendor.incident_factor(ts_ms) > 1.0
        or vendor.cost_factor(moment.date().replace(day=1)) > 1.0
    )


def scenario_truth(vendor: SimulatedVendor, end: datetime) -> ScenarioTruth:
    """The ground truth of ``vendor`` over a history ending at ``end`` (aware)."""
    onset = vendor.onset
    if onset is None:
        return ScenarioTruth(None, None)
    moment = onset
    while moment < end:
        if _material(vendor, moment):
            return ScenarioTruth(onset, moment)
        moment = (moment + HOUR).replace(minute=0, second=0, microsecond=0)
    return ScenarioTruth(onset, None)
