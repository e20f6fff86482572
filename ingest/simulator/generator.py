"""The simulation: all vendors' processes merged into one stream of encoded records.

Contracts:

- Iterators are lazy; memory holds one day of events per vendor plus the open lifecycles and
  scheduled invoices, never the whole history (1M events run in ~50 MB).
- Backfill yields events ordered by ``occurred_at`` across all vendors (ties: vendor order),
  hence per vendor too; every ``occurred_at`` lies in ``[start, end)``.
- Same arguments, same bytes (values are ``orjson`` dumps of the payload dicts; money is a
  decimal string with 2 decimals; ``occurred_at`` is UTC with milliseconds).
- Event ids are deterministic and unique within a run: ``rt-<vendor>-<yyyymmdd>-<n>``,
  ``df-``/``si-<vendor>-<tag>-o|r``, ``inv-<vendor>-<yyyy-mm>[-r1]``, ``cn-<vendor>-<yyyy-mm>``,
  ``vp-<vendor>-<version>``, ``cs-<vendor>-<epoch day>-<n>`` (surveys; each registered kind's
  process names its own); live events carry an ``L<session>`` tag instead of the day.
  Re-running with identical arguments (the same end time too) re-sends identical records,
  which ingest stores once; a different end time moves onsets, so use fresh topics.
- Time comes in only through arguments (``start``/``end``, a ``clock``).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

import orjson

from ingest.kinds import KINDS
from ingest.kinds.simulation import DAY_MS, Row, epoch_ms
from ingest.simulator.processes import VendorProcess
from ingest.simulator.scenarios import SimulatedVendor

EVENT_TYPES: tuple[str, ...] = tuple(kind.type for kind in KINDS)
_OCCURRED = attrgetter("occurred_at_ms")


class SimEvent(NamedTuple):
    """One generated record: its ``type``, Kafka key (vendor id) and value (JSON bytes)."""

    topic_type: str
    key: bytes
    value: bytes
    occurred_at_ms: int


class Simulation:
    """Vendors' processes over a backfill window, optionally continued live.

    Call :meth:`backfill` at most once, then :meth:`live` (or :meth:`live` alone, which then
    starts the processes at the clock's current time).
    """

    def __init__(
        self,
        vendors: Sequence[SimulatedVendor],
        *,
        seed: int = 42,
        events_per_day: float = 2000,
        include_types: Collection[str] | None = None,
    ) -> None:
        include = frozenset(EVENT_TYPES if include_types is None else include_types)
        if not vendors:
            raise ValueError("no vendors to simulate")
        if include - set(EVENT_TYPES) or events_per_day < 0:
            raise ValueError(f"include_types must be among {EVENT_TYPES}; events_per_day >= 0")
        self.vendors = list(vendors)
        self.include_types = include
        self._processes = [
            VendorProcess(v, seed=seed, events_per_day=events_per_day, include=include)
            for v in vendors
        ]
        self._begun = False

    def _begin(self, start_ms: int) -> None:
        if self._begun:
            raise RuntimeError("the simulation has already started")
        self._begun = True
        for process in self._processes:
            process.begin(start_ms)

    def backfill(self, start: datetime, end: datetime) -> Iterator[SimEvent]:
        """Events with ``start <= occurred_at < end`` (aware datetimes), merged by time."""
        if start.tzinfo is None or end.tzinfo is None or end < start:
            raise ValueError("start and end must be aware datetimes with start <= end")
        start_ms, end_ms = epoch_ms(start), epoch_ms(end)
        self._begin(start_ms)
        return self._backfill(start_ms, end_ms)

    def _backfill(self, start_ms: int, end_ms: int) -> Iterator[SimEvent]:
        if end_ms <= start_ms:
            return
        for day in range(start_ms // DAY_MS, (end_ms - 1) // DAY_MS + 1):
            lo_ms, hi_ms = max(start_ms, day * DAY_MS), min(end_ms, (day + 1) * DAY_MS)
            streams = [_encoded(p.key, p.day_rows(day, lo_ms, hi_ms)) for p in self._processes]
            yield from heapq.merge(*streams, key=_OCCURRED)

    def live(self, clock: Callable[[], float], *, session: str | None = None) -> Iterator[SimEvent]:
        """An endless stream at the pace it is pulled: each event is made when requested, with
        ``occurred_at`` = ``clock()`` (epoch seconds), vendors in turn. ``session`` (default:
        the clock's whole seconds) keeps live event ids apart from other runs'."""
        if "response_time" not in self.include_types:
            raise ValueError("a live trickle needs response_time events")
        if not self._begun:
            self._begin(int(clock() * 1000))
        return self._live(clock, session or str(int(clock())))

    def _live(self, clock: Callable[[], float], session: str) -> Iterator[SimEvent]:
        processes = self._processes
        for turn in itertools.count():
            process = processes[turn % len(processes)]
            row = process.live_row(int(clock() * 1000), session)
            if row is not None:
                yield SimEvent(row[1], process.key, orjson.dumps(row[2]), row[0])


def _encoded(key: bytes, rows: list[Row]) -> Iterator[SimEvent]:
    for ts_ms, event_type, payload in rows:
        yield SimEvent(event_type, key, orjson.dumps(payload), ts_ms)


def generate_events(
    vendors: Sequence[SimulatedVendor],
    start: datetime,
    end: datetime,
    seed: int = 42,
    events_per_day: float = 2000,
    *,
    include_types: Collection[str] | None = None,
) -> Iterator[SimEvent]:
    """The backfill of ``vendors`` over ``[start, end)``; see :class:`Simulation`.

    ``include_types`` restricts the output to some event types without changing the others
    (each process has its own random streams), which keeps focused tests fast.
    """
    simulation = Simulation(
        vendors, seed=seed, events_per_day=events_per_day, include_types=include_types
    )
    return simulation.backfill(start, end)
