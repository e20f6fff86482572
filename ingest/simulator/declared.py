"""The simulator processes the registered kinds declare (``EventKind.simulator``), run per day.

A kind's process returns ``(occurred_at_ms, fields)`` rows; here they get the envelope
(``type``, ``vendor_id``, ``occurred_at``, the kind's ``simulator_source``), each kind drawing
from its own random stream per day, so adding a kind never changes another kind's events.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection

from ingest.kinds import KINDS
from ingest.kinds.kind import SimulatedVendorView
from ingest.simulator.scenarios import SimulatedVendor

Row = tuple[int, str, dict[str, object]]
_SIMULATED_KINDS = tuple(kind for kind in KINDS if kind.simulator is not None)


def trouble_of(vendor: SimulatedVendor) -> Callable[[int], bool]:
    """Whether the vendor's service is degraded at ``ts_ms`` (latency, defects, incidents)."""

    def trouble(ts_ms: int) -> bool:
        return (
            vendor.latency_factor(ts_ms) > 1.0
            or vendor.defect_factor(ts_ms) > 1.0
            or vendor.incident_factor(ts_ms) > 1.0
        )

    return trouble


def declared_rows(
    view: SimulatedVendorView,
    rng_for: Callable[[str, object], random.Random],
    include: Collection[str],
    day: int,
    volume: float,
    lo_ms: int,
    hi_ms: int,
) -> list[Row]:
    """The rows of epoch ``day`` within ``[lo_ms, hi_ms)`` of every included kind's process
    (``rng_for(process, tag)``: the vendor's seeded stream; ``volume``: responses that day)."""
    from ingest.simulator.processes import iso_ms  # processes imports this module

    rows: list[Row] = []
    for kind in _SIMULATED_KINDS:
        if kind.type not in include or kind.simulator is None:
            continue
        for ts_ms, fields in kind.simulator(view, rng_for(kind.type, day), day, volume):
            if lo_ms <= ts_ms < hi_ms:
                envelope: dict[str, object] = {
                    "type": kind.type,
                    "event_id": fields["event_id"],
                    "vendor_id": view.vendor_id,
                    "occurred_at": iso_ms(ts_ms),
                    "source": kind.simulator_source,
                }
                rows.append((ts_ms, kind.type, envelope | fields))
    return rows
