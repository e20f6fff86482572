"""One simulated vendor's event processes, as rows ``(occurred_at_ms, type, payload)``.

Each registered kind declares its own process (``EventKind.simulator``, see
:mod:`ingest.kinds.simulation`): response times, defects and security incidents (lifecycles),
the monthly invoices, the vendor's profiles, survey answers. This module is the generic driver
for one vendor: it builds each kind's process with its :class:`SimulationContext` (seeded
random streams, the envelope, the scenario, the heap of scheduled events), runs the kinds'
steps in registry order and merges what they emit.

Contracts:

- Random streams are seeded by ``(seed, vendor_id, stream, tag)`` (a calendar day or month),
  so a day's responses do not depend on the window asked for (scenario effects after an onset
  do, as the onset is placed relative to the window), and each kind draws from its own, so an
  excluded kind leaves the others' backfill alone.
- A day's rows are ordered by ``occurred_at``, then by kind (registry order), then as the kind
  made or scheduled them. Scheduled events (lifecycle ends, invoices, profiles) wait in a heap
  until their time; nothing here reads the wall clock.
- Live, each draw of the session's stream picks a kind in proportion to the kinds'
  ``live_rate`` (in registry order; ``response_time`` takes the rest); an event already due in
  the heap goes first.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import fields
from operator import itemgetter
from typing import Any

from ingest.kinds import KINDS
from ingest.kinds.kind import EventKind
from ingest.kinds.simulation import (
    DAY_MS,
    KindProcess,
    Payload,
    Row,
    ScenarioRates,
    SimulatedVendorView,
    SimulationContext,
    daily_volume,
    iso_ms,
)
from ingest.simulator.commercial import monthly_billing, profile_fields
from ingest.simulator.scenarios import SimulatedVendor

__all__ = ["VendorProcess", "vendor_view"]

_TS = itemgetter(0)


def vendor_view(vendor: SimulatedVendor) -> SimulatedVendorView:
    """What the kinds' processes may know of ``vendor``: the view's fields are the vendor's
    (and its preset's) attributes of the same names, but ``trouble``."""

    def trouble(ts_ms: int) -> bool:
        return (
            vendor.latency_factor(ts_ms) > 1.0
            or vendor.defect_factor(ts_ms) > 1.0
            or vendor.incident_factor(ts_ms) > 1.0
        )

    rates = ScenarioRates(**_same_named(ScenarioRates, vendor.preset))
    same = _same_named(SimulatedVendorView, vendor, but=("preset", "trouble"))
    return SimulatedVendorView(**same, preset=rates, trouble=trouble)


def _same_named(view: Any, source: object, but: tuple[str, ...] = ()) -> dict[str, Any]:
    """``source``'s attributes named as the fields of dataclass ``view``, but ``but``'s."""
    return {f.name: getattr(source, f.name) for f in fields(view) if f.name not in but}


class VendorProcess:
    """The running state of one vendor's processes (the kinds', the heap, live counters).

    ``include``: the kinds whose events come out; a kind not included runs no backfill step,
    and live only if its process keeps its share of the draws when excluded."""

    def __init__(
        self, vendor: SimulatedVendor, *, seed: int, events_per_day: float, include: frozenset[str]
    ) -> None:
        self.vendor = vendor
        self.key = vendor.vendor_id.encode()
        self._seed = seed
        self._volume = float(events_per_day)
        self._include = include
        self._pending: list[tuple[int, int, int, str, Payload]] = []
        self._tiebreak = itertools.count()
        self._start_ms = 0
        self._live_rng: random.Random | None = None
        self._live_seq = 0
        view = vendor_view(vendor)
        self._kinds: list[tuple[str, KindProcess]] = []  # (type, process), registry order
        for index, kind in enumerate(KINDS):
            if kind.simulator is not None:
                process = kind.simulator(self._context(index, kind, view))
                if kind.type in include or process.keeps_share_when_excluded:
                    self._kinds.append((kind.type, process))
        self._running = [(t, p) for t, p in self._kinds if t in include]

    def _context(self, index: int, kind: EventKind, view: SimulatedVendorView) -> SimulationContext:
        vendor, event_type, source = self.vendor, kind.type, kind.simulator_source

        def schedule(ts_ms: int, payload: Payload) -> None:
            if event_type in self._include:
                entry = (ts_ms, index, next(self._tiebreak), event_type, payload)
                heapq.heappush(self._pending, entry)

        def envelope(event_id: str, ts_ms: int) -> Payload:
            return {
                "type": event_type,
                "event_id": event_id,
                "vendor_id": vendor.vendor_id,
                "occurred_at": iso_ms(ts_ms),
                "source": source,
            }

        return SimulationContext(
            type=event_type,
            vendor=view,
            events_per_day=self._volume,
            volume=lambda day: daily_volume(self._volume, day),
            rng=self._rng,
            schedule=schedule,
            envelope=envelope,
            billing=lambda issued, rng, forced: monthly_billing(
                vendor, issued, rng, volume=self._volume, forced=forced
            ),
            profile=lambda version: profile_fields(vendor, version),
        )

    def _rng(self, stream: str, tag: object) -> random.Random:
        return random.Random(f"{self._seed}/{self.vendor.vendor_id}/{stream}/{tag}")

    def begin(self, start_ms: int) -> None:
        """Start every included kind's process at ``start_ms`` (schedules, warm-up)."""
        self._start_ms = start_ms
        for _, process in self._running:
            process.begin(start_ms)

    def _calendar(self, day: int) -> None:
        for _, process in self._running:
            process.calendar(day)

    def day_rows(self, day: int, lo_ms: int, hi_ms: int) -> list[Row]:
        """All of this vendor's events of epoch ``day`` within ``[lo_ms, hi_ms)``, in order."""
        self._calendar(day)
        made = {event_type: process.day(day, lo_ms, hi_ms) for event_type, process in self._running}
        pending = self._pending
        while pending and pending[0][0] < hi_ms:
            ts_ms, _, _, event_type, payload = heapq.heappop(pending)
            if ts_ms >= lo_ms:
                made[event_type].append((ts_ms, event_type, payload))
        rows = [row for kind_rows in made.values() for row in kind_rows]
        rows.sort(key=_TS)
        return rows

    def _due(self, now_ms: int) -> Row | None:
        pending = self._pending
        while pending and pending[0][0] < self._start_ms:  # warm-up leftovers, before the start
            heapq.heappop(pending)
        if pending and pending[0][0] <= now_ms:
            ts_ms, _, _, event_type, payload = heapq.heappop(pending)
            return ts_ms, event_type, payload
        return None

    def live_row(self, now_ms: int, session: str) -> Row | None:
        """The next live event at ``now_ms``: a due scheduled event (resolution, invoice...)
        if any, else a new event at ``now_ms`` of the kind the draw falls on. ``None``: the
        drawn kind is excluded."""
        self._calendar(now_ms // DAY_MS)
        due = self._due(now_ms)
        if due is not None:
            return due
        if self._live_rng is None:
            self._live_rng = self._rng("live", session)
        rng = self._live_rng
        self._live_seq += 1
        ident = f"L{session}-{self._live_seq}"
        share, rest = rng.random(), None
        for event_type, process in self._kinds:
            rate = process.live_rate(now_ms)
            if rate is None:
                rest = (event_type, process)  # response_time: whatever the others leave
            elif share < rate:
                return self._made(event_type, process.live(rng, now_ms, ident), now_ms)
            else:
                share -= rate
        if rest is None:
            return None
        return self._made(rest[0], rest[1].live(rng, now_ms, ident), now_ms)

    def _made(self, event_type: str, row: Row | None, now_ms: int) -> Row | None:
        if event_type not in self._include:
            return None  # drawn, for the other kinds' sake, and dropped
        return row if row is not None else self._due(now_ms)  # or the event just scheduled
