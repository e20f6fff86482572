"""The simulator processes the registered kinds declare (``EventKind.simulator``), run per day.

A kind's process returns ``(occurred_at_ms, fields)`` rows; here they get the envelope
(``type``, ``vendor_id``, ``occurred_at``, the kind's ``simulator_source``), each kind drawing
from its own random stream per day, so adding a kind never changes another kind's backfill.
Live, each declared kind takes its ``rate`` share of the trickle's draws.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection

from ingest.kinds import KINDS
from ingest.kinds.kind import EventKind, SimulatedVendorView, SimulatorProcess
from ingest.simulator.scenarios import SimulatedVendor

Row = tuple[int, str, dict[str, object]]


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
    rows: list[Row] = []
    for kind, process in _included(include):
        for ts_ms, fields in process.day(view, rng_for(kind.type, day), day, volume):
            if lo_ms <= ts_ms < hi_ms:
                rows.append(_row(kind, view, ts_ms, fields))
    return rows


def declared_live_rate(include: Collection[str]) -> float:
    """The included declared kinds' events per response: their share of the live trickle."""
    return sum(process.rate for _, process in _included(include))


def declared_live_row(
    view: SimulatedVendorView,
    rng: random.Random,
    include: Collection[str],
    share: float,
    now_ms: int,
    ident: str,
) -> Row | None:
    """A live event at ``now_ms`` of the included declared kind whose slice of
    ``[0, declared_live_rate(include))`` holds ``share`` (kinds in registry order, each as
    wide as its ``rate``); ``None`` if ``share`` is beyond them."""
    for kind, process in _included(include):
        if share < process.rate:
            return _row(kind, view, now_ms, process.draw(view, rng, now_ms, ident))
        share -= process.rate
    return None


def _included(include: Collection[str]) -> list[tuple[EventKind, SimulatorProcess]]:
    return [
        (kind, kind.simulator)
        for kind in KINDS
        if kind.simulator is not None and kind.type in include
    ]


def _row(kind: EventKind, view: SimulatedVendorView, ts_ms: int, fields: dict[str, object]) -> Row:
    from ingest.simulator.processes import iso_ms  # processes imports this module

    envelope: dict[str, object] = {
        "type": kind.type,
        "event_id": fields["event_id"],
        "vendor_id": view.vendor_id,
        "occurred_at": iso_ms(ts_ms),
        "source": kind.simulator_source,
    }
    return ts_ms, kind.type, envelope | fields
