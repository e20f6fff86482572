"""A kind's simulator process, as the kind module declares it: the protocol and its toolkit.

A kind's ``EventKind.simulator`` is a factory ``(SimulationContext) -> KindProcess``: called
once per simulated vendor, it returns the running state of that kind's process for the vendor.
The simulator's driver (``ingest.simulator.processes``) calls, per vendor, for the included
kinds in registry order, :meth:`KindProcess.begin` once, then per day
:meth:`~KindProcess.calendar` (every kind) before :meth:`~KindProcess.day`; live, each draw
falls into one kind's :meth:`~KindProcess.live_rate` slice and :meth:`~KindProcess.live` makes
its event. A process either returns its rows or hands events due later to
:attr:`SimulationContext.schedule` (the driver's heap releases them at their time).
:class:`SimulatorProcess` (a rate and a one-event draw) is the factory of the simplest,
stateless kind of process.

Contracts: a process draws only from :attr:`SimulationContext.rng` streams (seeded by seed,
vendor, stream name and tag) and the live stream it is given, never the wall clock; its event
ids are unique per vendor and run. Nothing here imports the simulator: what a process may know
of its vendor is :class:`SimulatedVendorView`.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

Payload = dict[str, object]
Row = tuple[int, str, Payload]
"""``(occurred_at_ms, type, payload)``: one simulated event."""


@dataclass(frozen=True)
class ScenarioRates:
    """The rates of the vendor's scenario preset that processes read (per day or per 1000
    responses; sigmas in log space)."""

    latency_sigma: float
    day_sigma: float
    failure_rate: float
    defects_per_1k: float
    defect_jump: float
    """Defect rate multiplier after the onset."""
    incidents_per_day: float
    incident_burst: bool
    """A burst of incidents at the onset, three times the background rate after it."""


@dataclass(frozen=True, kw_only=True)
class SimulatedVendorView:
    """What a kind's simulator process may know of a vendor (no import of the simulator):
    its facts, its scenario's rates and the scenario's effects at epoch milliseconds."""

    vendor_id: str
    service: str
    code: str
    """The vendor's short code (lifecycle keys: ``<code>-D-...``)."""
    ordinal: int
    """Its position in the simulation (vendor 0 gets one of everything)."""
    median_latency_ms: float
    defect_categories: tuple[str, ...]
    preset: ScenarioRates
    onset_ms: int | None
    """When the scenario's trouble starts (``None``: never)."""
    profile_change_at: datetime | None
    """When the contract is renegotiated (``None``: never)."""
    trouble: Callable[[int], bool]
    """Whether the vendor's scenario is in trouble at ``ts_ms`` (latency, defects, incidents)."""
    latency_factor: Callable[[int], float]
    """Multiplier on latency at ``ts_ms`` (1.0 when unaffected); likewise the next two."""
    defect_factor: Callable[[int], float]
    incident_factor: Callable[[int], float]


Billing = Callable[[date, random.Random, bool], Sequence[tuple[int, str, Payload]]]
"""``(issue day, rng, forced) -> [(occurred_at_ms, event_id, fields)]``: the invoices issued
that day (``forced``: with a correction and a credit note)."""


@dataclass(frozen=True)
class SimulationContext:
    """What the driver gives one kind's process for one vendor."""

    type: str
    """The kind's ``type``."""
    vendor: SimulatedVendorView
    events_per_day: float
    """The vendor's mean responses per day (``--events-per-day``)."""
    volume: Callable[[int], float]
    """Expected responses on epoch day ``day`` (fewer at weekends)."""
    rng: Callable[[str, object], random.Random]
    """``rng(stream, tag)``: the vendor's random stream seeded by ``(seed, vendor, stream,
    tag)``."""
    schedule: Callable[[int, Payload], None]
    """Hand the driver an event of this kind due at ``ts_ms`` (dropped if the kind is not
    included)."""
    envelope: Callable[[str, int], Payload]
    """``envelope(event_id, ts_ms)``: the payload's first fields (``type``, ``event_id``,
    ``vendor_id``, ``occurred_at``, ``source``)."""
    billing: Billing
    profile: Callable[[int], Payload]
    """``profile(version)``: a ``vendor_profile``'s fields after the envelope."""


class KindProcess:
    """One kind's process for one vendor; every step defaults to doing nothing."""

    keeps_share_when_excluded = False
    """Live, whether the kind's slice of the draws stays when the kind is excluded (its
    event is drawn and dropped), so that excluding it leaves the other kinds' events alone."""

    def begin(self, start_ms: int) -> None:
        """The simulation starts at ``start_ms``: schedule what is known then, warm up."""

    def calendar(self, day: int) -> None:
        """Duties due on epoch ``day`` (called for every day, before any kind's :meth:`day`)."""

    def day(self, day: int, lo_ms: int, hi_ms: int) -> list[Row]:
        """Epoch ``day``'s events within ``[lo_ms, hi_ms)`` (any order)."""
        return []

    def live_rate(self, now_ms: int) -> float | None:
        """Live: this kind's share of the draws at ``now_ms``; ``None``: all that the other
        kinds leave (one kind, ``response_time``, takes the rest)."""
        return 0.0

    def live(self, rng: random.Random, now_ms: int, ident: str) -> Row | None:
        """Live: one event at ``now_ms`` from the shared live stream ``rng`` (``ident``:
        unique per vendor and session), or ``None`` if it was handed to ``schedule``."""
        return None


EventDraw = Callable[[SimulatedVendorView, random.Random, int, str], Payload]
"""``(vendor, rng, occurred_at_ms, ident) -> payload`` of one simulated event: without the
envelope fields ``type``, ``vendor_id``, ``occurred_at``, ``source`` (the simulator adds
them), with an ``event_id`` made of ``ident`` (unique per vendor and run)."""


@dataclass(frozen=True)
class SimulatorProcess:
    """A stateless process: ``rate`` events per handled response, each drawn by ``draw``.
    The backfill (:meth:`day`, from the stream named after the kind, per day) and the live
    trickle (a ``rate`` share of the draws) both derive from these two facts."""

    rate: float
    draw: EventDraw

    def day(
        self, vendor: SimulatedVendorView, rng: random.Random, day: int, volume: float
    ) -> list[tuple[int, Payload]]:
        """Epoch ``day``'s events for ``volume`` responses: a normal-approximated Poisson
        count, each at a uniform time of the day, ident ``<day>-<n>``; in time order of
        drawing (not sorted)."""
        mean = volume * self.rate
        count = max(0, round(rng.gauss(mean, mean**0.5))) if mean > 0 else 0
        rows: list[tuple[int, Payload]] = []
        for n in range(count):
            ts_ms = day * DAY_MS + int(rng.random() * DAY_MS)
            rows.append((ts_ms, self.draw(vendor, rng, ts_ms, f"{day}-{n}")))
        return rows

    def __call__(self, context: SimulationContext) -> KindProcess:
        return _DrawnProcess(self, context)


class _DrawnProcess(KindProcess):
    def __init__(self, process: SimulatorProcess, context: SimulationContext) -> None:
        self._process, self._context = process, context

    def _row(self, ts_ms: int, fields: Payload) -> Row:
        context = self._context
        return ts_ms, context.type, context.envelope(str(fields["event_id"]), ts_ms) | fields

    def day(self, day: int, lo_ms: int, hi_ms: int) -> list[Row]:
        context, rng = self._context, self._context.rng(self._context.type, day)
        drawn = self._process.day(context.vendor, rng, day, context.volume(day))
        return [self._row(ts_ms, fields) for ts_ms, fields in drawn if lo_ms <= ts_ms < hi_ms]

    def live_rate(self, now_ms: int) -> float | None:
        return self._process.rate

    def live(self, rng: random.Random, now_ms: int, ident: str) -> Row | None:
        return self._row(now_ms, self._process.draw(self._context.vendor, rng, now_ms, ident))


ProcessFactory = Callable[[SimulationContext], KindProcess]
"""What ``EventKind.simulator`` declares: one vendor's process of the kind, from its context."""


# Relative request volume per UTC hour: quiet nights, busy business hours with a lunch dip.
_HOURS_00_07 = (0.2, 0.15, 0.12, 0.1, 0.1, 0.15, 0.3, 0.6)
_HOURS_08_15 = (1.0, 1.3, 1.4, 1.4, 1.2, 1.3, 1.4, 1.3)
_HOURS_16_23 = (1.1, 0.9, 0.7, 0.55, 0.45, 0.4, 0.3, 0.25)
HOURLY_VOLUME = _HOURS_00_07 + _HOURS_08_15 + _HOURS_16_23
WEEKEND_VOLUME = 0.35
HOURS = range(24)
CUM_VOLUME = tuple(itertools.accumulate(HOURLY_VOLUME))
"""Cumulative :data:`HOURLY_VOLUME`, for ``rng.choices(HOURS, cum_weights=CUM_VOLUME)``."""
_WEEK_NORM = 7 / (5 + 2 * WEEKEND_VOLUME)


def daily_volume(events_per_day: float, day: int) -> float:
    """Expected responses on epoch ``day`` for a mean of ``events_per_day`` (weekends quieter,
    the week's mean unchanged)."""
    return events_per_day * _WEEK_NORM * (WEEKEND_VOLUME if is_weekend(day) else 1.0)


def business_offset(rng: random.Random) -> int:
    """Milliseconds after midnight, distributed as the day's request volume."""
    hour = rng.choices(HOURS, cum_weights=CUM_VOLUME)[0]
    return hour * HOUR_MS + int(rng.random() * HOUR_MS)


@lru_cache(maxsize=8192)
def _day_prefix(day: int) -> str:
    return calendar_date(day).isoformat() + "T"


def day_tag(day: int) -> str:
    """``yyyymmdd`` of epoch ``day`` (event ids)."""
    return _day_prefix(day)[:10].replace("-", "")


def iso_ms(ts_ms: int) -> str:
    """RFC 3339 UTC text with milliseconds for epoch milliseconds."""
    day, ms = divmod(ts_ms, DAY_MS)
    seconds, milli = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{_day_prefix(day)}{hours:02d}:{minutes:02d}:{seconds:02d}.{milli:03d}Z"


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(moment.timestamp() * 1000)


def calendar_date(day: int) -> date:
    """The calendar date of epoch ``day``."""
    return date.fromordinal(_EPOCH_ORDINAL + day)


def is_weekend(day: int) -> bool:
    """Whether epoch ``day`` is a Saturday or Sunday."""
    return (day + 3) % 7 >= 5  # 1970-01-01 was a Thursday


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation above 30)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
