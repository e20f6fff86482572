"""One simulated vendor's event processes, as rows ``(occurred_at_ms, type, payload)``.

Per vendor there are five processes, each emitting exactly the EVENTS.md contract:

- ``response_time`` (source ``apm``): ``events_per_day`` on average, fewer at weekends and at
  night; latency lognormal around the vendor's median, slower in business hours, with rare
  heavy-tailed spikes (capped at a 60 s timeout, which fails) and a small failure rate.
- ``defect`` (``qa-tool``) and ``security_incident`` (``siem``): Poisson processes whose
  events open a lifecycle and resolve it after a random time to resolve (some are still open
  at the end). Defects scale with response volume (a rate per 1000 responses).
- ``cost_invoice`` (``erp``): the monthly invoice for the previous calendar month, issued on
  the 1st, plus occasional corrections (same ``invoice_id``, new amount, days later) and
  credit notes (own ``invoice_id``, negative amount); vendor 0 always has one of each.
- ``vendor_profile`` (``procurement``): the profile at the window's start and, for vendors
  with a ``profile_change_at``, the renegotiated one.
- every kind that declares a ``simulator`` process in the registry (e.g.
  ``satisfaction_survey``): its rows of each day, from its own random stream; live, its
  ``rate`` share of the trickle.

Contracts: random streams are seeded by ``(seed, vendor_id, process, calendar day or
month)``, so a day's responses do not depend on the window asked for (scenario effects after
an onset do, as the onset is placed relative to the window). Lifecycle ends, invoices and
profiles wait in a heap until their time; nothing here reads the wall clock.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from datetime import date
from functools import lru_cache
from operator import itemgetter

from ingest.kinds import KINDS
from ingest.kinds.kind import SimulatedVendorView
from ingest.simulator.commercial import monthly_billing, profile_fields
from ingest.simulator.declared import (
    declared_live_rate,
    declared_live_row,
    declared_rows,
    trouble_of,
)
from ingest.simulator.scenarios import DAY_MS, HOUR_MS, SimulatedVendor, epoch_ms

# Relative request volume per UTC hour: quiet nights, busy business hours with a lunch dip.
_HOURS_00_07 = (0.2, 0.15, 0.12, 0.1, 0.1, 0.15, 0.3, 0.6)
_HOURS_08_15 = (1.0, 1.3, 1.4, 1.4, 1.2, 1.3, 1.4, 1.3)
_HOURS_16_23 = (1.1, 0.9, 0.7, 0.55, 0.45, 0.4, 0.3, 0.25)
HOURLY_VOLUME = _HOURS_00_07 + _HOURS_08_15 + _HOURS_16_23
HOURLY_LATENCY = tuple(0.88 + 0.32 * w / max(HOURLY_VOLUME) for w in HOURLY_VOLUME)
WEEKEND_VOLUME = 0.35
WEEKEND_LATENCY = 0.93
SPIKE_PROBABILITY = 0.004
TIMEOUT_MS = 60_000.0
WARMUP_DAYS = 14  # lifecycles opened this long before the window may resolve inside it
DEFECT_TTR_HOURS = {"minor": 72.0, "major": 30.0, "critical": 8.0}
INCIDENT_TTR_HOURS = {"low": 120.0, "medium": 72.0, "high": 24.0, "critical": 10.0}
INCIDENT_SEVERITIES = ("low", "medium", "high", "critical")
# Background incidents, outside a burst: never critical, so a "healthy" vendor stays healthy;
# critical ones come with a scenario's burst.
INCIDENT_SEVERITY_WEIGHTS = (57, 33, 10, 0)
INCIDENT_CATEGORIES = ("vulnerability", "access_violation", "phishing", "misconfiguration")
_HOURS = range(24)
_CUM_VOLUME = tuple(itertools.accumulate(HOURLY_VOLUME))
_WEEK_NORM = 7 / (5 + 2 * WEEKEND_VOLUME)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_TS = itemgetter(0)
_SOURCE = {kind.type: kind.simulator_source for kind in KINDS}  # each kind declares its own

Payload = dict[str, object]
Row = tuple[int, str, Payload]  # (occurred_at_ms, type, payload)
Fields = tuple[tuple[str, object], ...]


@lru_cache(maxsize=8192)
def _day_prefix(day: int) -> str:
    return date.fromordinal(_EPOCH_ORDINAL + day).isoformat() + "T"


def _day_tag(day: int) -> str:
    return _day_prefix(day)[:10].replace("-", "")


def iso_ms(ts_ms: int) -> str:
    """RFC 3339 UTC text with milliseconds for epoch milliseconds."""
    day, ms = divmod(ts_ms, DAY_MS)
    seconds, milli = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{_day_prefix(day)}{hours:02d}:{minutes:02d}:{seconds:02d}.{milli:03d}Z"


def _date(day: int) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + day)


def _is_weekend(day: int) -> bool:
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


def _business_offset(rng: random.Random) -> int:
    hour = rng.choices(_HOURS, cum_weights=_CUM_VOLUME)[0]
    return hour * HOUR_MS + int(rng.random() * HOUR_MS)


class VendorProcess:
    """The running state of one vendor's processes (scheduled events, live counters)."""

    def __init__(
        self, vendor: SimulatedVendor, *, seed: int, events_per_day: float, include: frozenset[str]
    ) -> None:
        self.vendor = vendor
        self.key = vendor.vendor_id.encode()
        self._seed = seed
        self._volume = float(events_per_day)
        self._include = include
        self._pending: list[tuple[int, int, str, Payload]] = []
        self._tiebreak = itertools.count()
        self._calendar_day = 0  # calendar duties (billing) are done up to this day
        self._start_ms = 0
        self._forced_billing = vendor.ordinal == 0  # vendor 0 always has a correction + credit
        self._live_rng: random.Random | None = None
        self._live_levels: dict[int, float] = {}
        self._live_seq = 0
        self._view = SimulatedVendorView(vendor.vendor_id, vendor.service, trouble_of(vendor))

    def _rng(self, process: str, tag: object) -> random.Random:
        return random.Random(f"{self._seed}/{self.vendor.vendor_id}/{process}/{tag}")

    def _schedule(self, ts_ms: int, event_type: str, payload: Payload) -> None:
        if event_type in self._include:
            heapq.heappush(self._pending, (ts_ms, next(self._tiebreak), event_type, payload))

    def _drain(self, before_ms: int, rows: list[Row]) -> None:
        pending = self._pending
        while pending and pending[0][0] < before_ms:
            ts_ms, _, event_type, payload = heapq.heappop(pending)
            rows.append((ts_ms, event_type, payload))

    def _base(self, event_type: str, event_id: str, ts_ms: int, source: str) -> Payload:
        return {
            "type": event_type,
            "event_id": event_id,
            "vendor_id": self.vendor.vendor_id,
            "occurred_at": iso_ms(ts_ms),
            "source": source,
        }

    def begin(self, start_ms: int) -> None:
        """Schedule the profiles and the incident burst; warm up the lifecycles."""
        vendor = self.vendor
        self._start_ms = start_ms
        self._schedule(start_ms, "vendor_profile", self._profile(1, start_ms))
        if vendor.profile_change_at is not None:
            change_ms = epoch_ms(vendor.profile_change_at)
            self._schedule(change_ms, "vendor_profile", self._profile(2, change_ms))
        if vendor.preset.incident_burst and vendor.onset_ms is not None:
            self._burst(vendor.onset_ms)
        first_day = start_ms // DAY_MS
        self._calendar_day = first_day - 1
        for day in range(first_day - WARMUP_DAYS, first_day):
            self._lifecycles(day)

    def _profile(self, version: int, ts_ms: int) -> Payload:
        event_id = f"vp-{self.vendor.vendor_id}-{version}"
        payload = self._base("vendor_profile", event_id, ts_ms, _SOURCE["vendor_profile"])
        return payload | profile_fields(self.vendor, version)

    def day_rows(self, day: int, lo_ms: int, hi_ms: int) -> list[Row]:
        """All of this vendor's events of epoch ``day`` within ``[lo_ms, hi_ms)``, in order."""
        self._calendar(day)
        self._lifecycles(day)
        scheduled: list[Row] = []
        self._drain(hi_ms, scheduled)
        rows = self._responses(day, lo_ms, hi_ms) if "response_time" in self._include else []
        rows.extend(row for row in scheduled if row[0] >= lo_ms)
        volume = self._daily_volume(day)
        rows.extend(declared_rows(self._view, self._rng, self._include, day, volume, lo_ms, hi_ms))
        rows.sort(key=_TS)
        return rows

    def _calendar(self, day: int) -> None:
        for due in range(self._calendar_day + 1, day + 1):
            if _date(due).day == 1 and "cost_invoice" in self._include:
                self._bill(due)
        self._calendar_day = max(self._calendar_day, day)

    def _lifecycles(self, day: int) -> None:
        if "defect" in self._include:
            self._defects(day)
        if "security_incident" in self._include:
            self._incidents(day)

    def _daily_volume(self, day: int) -> float:
        return self._volume * _WEEK_NORM * (WEEKEND_VOLUME if _is_weekend(day) else 1.0)

    def _latency(self, rng: random.Random, base: float, ts_ms: int) -> tuple[float, bool]:
        """One response: ``base`` already holds the median, day level and weekday factor."""
        latency = (
            base
            * HOURLY_LATENCY[ts_ms % DAY_MS // HOUR_MS]
            * rng.lognormvariate(0.0, self.vendor.preset.latency_sigma)
            * self.vendor.latency_factor(ts_ms)
        )
        if rng.random() < SPIKE_PROBABILITY:
            latency *= 3.0 + 2.0 * rng.paretovariate(1.3)
        success = rng.random() >= self.vendor.preset.failure_rate and latency < TIMEOUT_MS
        return round(min(latency, TIMEOUT_MS), 1), success

    def _responses(self, day: int, lo_ms: int, hi_ms: int) -> list[Row]:
        rng = self._rng("rt", day)
        vendor = self.vendor
        weekend = _is_weekend(day)
        count = poisson(rng, self._daily_volume(day))
        base = vendor.median_latency_ms * math.exp(rng.gauss(0.0, vendor.preset.day_sigma))
        base *= WEEKEND_LATENCY if weekend else 1.0
        hours = rng.choices(_HOURS, cum_weights=_CUM_VOLUME, k=count)
        offsets = sorted([h * HOUR_MS + int(rng.random() * HOUR_MS) for h in hours])
        midnight, prefix = day * DAY_MS, f"rt-{vendor.vendor_id}-{_day_tag(day)}-"
        rows: list[Row] = []
        append, latency_of = rows.append, self._latency
        vendor_id, service = vendor.vendor_id, vendor.service
        for n, offset in enumerate(offsets):
            ts_ms = midnight + offset
            latency, success = latency_of(rng, base, ts_ms)  # drawn even if clipped: stable ids
            if not lo_ms <= ts_ms < hi_ms:
                continue
            payload: Payload = {
                "type": "response_time",
                "event_id": f"{prefix}{n}",
                "vendor_id": vendor_id,
                "occurred_at": iso_ms(ts_ms),
                "source": _SOURCE["response_time"],
                "service": service,
                "latency_ms": latency,
                "success": success,
            }
            append((ts_ms, "response_time", payload))
        return rows

    def _lifecycle(
        self, event_type: str, ident: str, opened_ms: int, ttr_ms: float, fields: Fields
    ) -> None:
        """Schedule a lifecycle's two events; ``fields``: (name, value) in payload order."""
        tag, source = ("df" if event_type == "defect" else "si"), _SOURCE[event_type]
        resolved_ms = opened_ms + max(60_000, int(ttr_ms))
        for status, ts_ms in (("opened", opened_ms), ("resolved", resolved_ms)):
            event_id = f"{tag}-{self.vendor.vendor_id}-{ident}-{status[0]}"
            payload = self._base(event_type, event_id, ts_ms, source)
            self._schedule(ts_ms, event_type, payload | {"status": status} | dict(fields))

    def _open_defect(self, rng: random.Random, ts_ms: int, ident: str) -> None:
        vendor = self.vendor
        surge = vendor.defect_factor(ts_ms) > 1.0
        weights = (0.5, 0.4, 0.1) if surge else (0.72, 0.24, 0.04)
        severity = rng.choices(("minor", "major", "critical"), weights=weights)[0]
        category = rng.choice(vendor.defect_categories)
        units = 1 if rng.random() < 0.7 else rng.randint(2, 25)
        ttr_ms = rng.lognormvariate(math.log(DEFECT_TTR_HOURS[severity]), 0.8) * HOUR_MS
        key = ("defect_id", f"{vendor.code}-D-{ident}")
        fields = (key, ("severity", severity), ("category", category), ("units_affected", units))
        self._lifecycle("defect", ident, ts_ms, ttr_ms, fields)

    def _open_incident(
        self,
        rng: random.Random,
        ts_ms: int,
        ident: str,
        severity: str,
        category: str,
        records_exposed: int = 0,
    ) -> None:
        median_h = 240.0 if category == "data_breach" else INCIDENT_TTR_HOURS[severity]
        ttr_ms = rng.lognormvariate(math.log(median_h), 0.9) * HOUR_MS
        key = ("incident_id", f"{self.vendor.code}-INC-{ident}")
        exposed = ("records_exposed", records_exposed)
        fields = (key, ("severity", severity), ("category", category), exposed)
        self._lifecycle("security_incident", ident, ts_ms, ttr_ms, fields)

    def _defects(self, day: int) -> None:
        rng, vendor = self._rng("df", day), self.vendor
        peak = vendor.preset.defect_jump
        count = poisson(rng, self._daily_volume(day) * vendor.preset.defects_per_1k / 1000 * peak)
        tag = _day_tag(day)
        for n in range(count):
            ts_ms = day * DAY_MS + _business_offset(rng)
            if rng.random() * peak < vendor.defect_factor(ts_ms):  # thinning below the peak
                self._open_defect(rng, ts_ms, f"{tag}-{n}")

    def _incidents(self, day: int) -> None:
        rng, vendor = self._rng("si", day), self.vendor
        peak = 3.0 if vendor.preset.incident_burst else 1.0
        count = poisson(rng, vendor.preset.incidents_per_day * peak)
        tag = _day_tag(day)
        for n in range(count):
            ts_ms = day * DAY_MS + int(rng.random() * DAY_MS)
            severity = rng.choices(INCIDENT_SEVERITIES, INCIDENT_SEVERITY_WEIGHTS)[0]
            category = rng.choice(INCIDENT_CATEGORIES)
            if rng.random() * peak < vendor.incident_factor(ts_ms):
                self._open_incident(rng, ts_ms, f"{tag}-{n}", severity, category)

    def _burst(self, onset_ms: int) -> None:
        """7-11 incidents within 60 h of the onset: the first (high) at the onset itself, one
        critical data breach with records exposed, the rest medium to critical."""
        rng, tag = self._rng("burst", onset_ms), _day_tag(onset_ms // DAY_MS)
        count = rng.randint(7, 11)
        offsets = sorted([0] + [int(rng.uniform(0.5, 60) * HOUR_MS) for _ in range(count - 1)])
        breach = rng.randrange(1, count)
        for n, offset in enumerate(offsets):
            severity = rng.choices(("medium", "high", "critical"), (30, 45, 25))[0]
            category = rng.choice(("access_violation", "malware", "vulnerability", "phishing"))
            if n == 0:
                severity = "high"
            if n == breach:
                severity, category = "critical", "data_breach"
            records = rng.randint(2_000, 250_000) if n == breach else 0
            self._open_incident(rng, onset_ms + offset, f"{tag}-B{n}", severity, category, records)

    def _bill(self, issue_day: int) -> None:
        """Schedule the invoice (and maybe correction, credit note) issued on ``issue_day``."""
        forced = self._forced_billing and issue_day * DAY_MS >= self._start_ms
        self._forced_billing = self._forced_billing and not forced
        issued, volume = _date(issue_day), self._volume
        rng = self._rng("inv", issued)
        for ts_ms, event_id, fields in monthly_billing(
            self.vendor, issued, rng, volume=volume, forced=forced
        ):
            payload = self._base("cost_invoice", event_id, ts_ms, _SOURCE["cost_invoice"]) | fields
            self._schedule(ts_ms, "cost_invoice", payload)

    def _due(self, now_ms: int) -> Row | None:
        pending = self._pending
        while pending and pending[0][0] < self._start_ms:  # warm-up leftovers, before the start
            heapq.heappop(pending)
        if pending and pending[0][0] <= now_ms:
            ts_ms, _, event_type, payload = heapq.heappop(pending)
            return ts_ms, event_type, payload
        return None

    def live_row(self, now_ms: int, session: str) -> Row | None:
        """The next live event at ``now_ms``: a due scheduled event (resolution, invoice...)
        if any, else a new defect, incident, declared kind's event (a survey...) or response
        at ``now_ms`` in proportion to the vendor's rates. ``None``: the drawn kind is
        excluded."""
        self._calendar(now_ms // DAY_MS)
        due = self._due(now_ms)
        if due is not None:
            return due
        if self._live_rng is None:
            self._live_rng = self._rng("live", session)
        rng, vendor, include = self._live_rng, self.vendor, self._include
        self._live_seq += 1
        ident = f"L{session}-{self._live_seq}"
        draw = rng.random()
        p_defect = vendor.preset.defects_per_1k * vendor.defect_factor(now_ms) / 1000
        p_incident = (
            vendor.preset.incidents_per_day
            * vendor.incident_factor(now_ms)
            / max(self._volume, 1.0)
        )
        if draw < p_defect + p_incident:
            if draw < p_defect:
                self._open_defect(rng, now_ms, ident)
            else:
                severity = rng.choices(INCIDENT_SEVERITIES, INCIDENT_SEVERITY_WEIGHTS)[0]
                self._open_incident(rng, now_ms, ident, severity, rng.choice(INCIDENT_CATEGORIES))
            return self._due(now_ms)  # the event just opened, unless its type is excluded
        share = draw - p_defect - p_incident
        if share < declared_live_rate(include):
            return declared_live_row(self._view, rng, include, share, now_ms, ident)
        if "response_time" not in include:
            return None
        day = now_ms // DAY_MS
        if day not in self._live_levels:
            level = math.exp(self._rng("live-level", day).gauss(0.0, vendor.preset.day_sigma))
            self._live_levels[day] = level * (WEEKEND_LATENCY if _is_weekend(day) else 1.0)
        latency, success = self._latency(
            rng, vendor.median_latency_ms * self._live_levels[day], now_ms
        )
        rt_id = f"rt-{vendor.vendor_id}-{ident}"
        payload = self._base("response_time", rt_id, now_ms, _SOURCE["response_time"])
        payload |= {"service": vendor.service, "latency_ms": latency, "success": success}
        return now_ms, "response_time", payload
