"""Run the labelled scenarios through today's judgement: simulate, store, rebuild, read flags.

For each (seed, daily volume) the scenarios' vendors are simulated over ``months`` ending at
``end``, their records shuffled in batches with 3 % held back to the end (so they arrive out of
order and late) and written straight into an :class:`EventStore` in a temporary directory (no
broker; file-backed with a memory cap, as 1,000 a day for ten vendors over 8 months is ~2.5M
records), then one :meth:`MetricsJob.rebuild` as of ``end``
judges every complete period under the given policy. A *flag* is an ``alert_log`` transition
to ``firing``; it is seen at the end of its period (a day or a month, UTC).

Contracts: a pure function of its arguments (the clock is ``end``); nothing is written outside
the temporary directory, which is removed; every event must be accepted (a dead letter
raises ``RuntimeError``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import NamedTuple

from ingest.batch import RecordChecks
from ingest.records import Record
from ingest.settings import IngestSettings
from ingest.simulator import SimEvent, generate_events
from ingest.simulator.sink import topic_by_type
from ingest.simulator.truth import ScenarioTruth, scenario_truth
from ingest.store import EventStore
from metrics.evaluation.scenarios import SCENARIOS, EvaluatedVendor, build_scenario_vendors
from metrics.job import MetricsJob
from metrics.policy import Policy
from vendorwatch.settings import MetricsSettings

BATCH = 50_000  # records a write (and a shuffle)
LATE = 0.03  # share of the records held back and delivered after all the others
MEMORY_LIMIT = "512MiB"  # DuckDB's working memory; beyond it, it spills into the temp dir
_INGEST = IngestSettings()  # the records are checked as ``vendorwatch ingest`` checks them
_CHECKS = RecordChecks(
    _INGEST.topics.event_topics(), _INGEST.max_future_skew, _INGEST.max_record_bytes
)
_TOPIC_BY_TYPE = topic_by_type(_CHECKS.type_by_topic)


class Flag(NamedTuple):
    """One ``alert_log`` row's worth: a transition to firing, its rule, and when the run
    could first have seen it (its period's end)."""

    rule: str
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class VendorOutcome:
    """One scenario's vendor in one run: its truth and the flags today's judgement raised."""

    scenario: str
    seed: int
    volume_per_day: float
    truth: ScenarioTruth
    flags: tuple[Flag, ...]
    days: float  # length of the judged history


def _period_end(grain: str, period: date) -> datetime:
    start = datetime.combine(period, time(), tzinfo=UTC)
    if grain != "month":  # "day": rules and SLO windows alike judge complete UTC days
        return start + timedelta(days=1)
    return datetime(period.year + (period.month == 12), period.month % 12 + 1, 1, tzinfo=UTC)


def _batches(
    vendors: Sequence[EvaluatedVendor],
    start: datetime,
    end: datetime,
    seed: int,
    volume_per_day: float,
) -> Iterator[list[Record]]:
    """The vendors' records in batches of ``BATCH``, each shuffled; a ``LATE`` share of them
    held back and delivered, shuffled, after everything else (memory: a batch plus the late)."""
    rng = random.Random(f"{seed}/{volume_per_day}/delivery")
    offsets: dict[str, int] = {}

    def records(events: list[SimEvent]) -> list[Record]:
        rng.shuffle(events)
        batch = []
        for event in events:
            topic = _TOPIC_BY_TYPE[event.topic_type]
            offset = offsets.get(topic, 0)
            offsets[topic] = offset + 1
            batch.append(Record(topic, 0, offset, None, event.value))
        return batch

    late: list[SimEvent] = []
    pending: list[SimEvent] = []
    for vendor in vendors:
        volume = SCENARIOS[vendor.scenario].volume_per_day or volume_per_day
        for event in generate_events([vendor], start, end, seed, volume):
            (late if rng.random() < LATE else pending).append(event)
            if len(pending) >= BATCH:
                yield records(pending)
                pending = []
    for rest in (pending, late):
        if rest:
            yield records(rest)


def _judge(
    store: EventStore,
    batches: Iterator[list[Record]],
    end: datetime,
    policy: Policy,
) -> list[tuple[str, str, str, date]]:
    """Write ``batches``, rebuild as of ``end``, and return the firing transitions."""
    con = store.connection
    con.execute("SET TimeZone = 'UTC'")
    for batch in batches:
        outcome = store.write_batch(batch, _CHECKS, received_at=end)
        if outcome.dead_letters:
            raise RuntimeError(f"simulated records refused: {outcome.dead_letters[:3]}")
    MetricsJob(con, MetricsSettings(), policy=policy).rebuild(end)
    return con.execute(
        "SELECT vendor_id, rule, grain, period FROM alert_log WHERE state = ? "
        "ORDER BY period, rule",
        ["firing"],
    ).fetchall()


def run_once(
    scenarios: Sequence[str],
    *,
    seed: int,
    volume_per_day: float,
    months: int,
    end: datetime,
    policy: Policy,
) -> list[VendorOutcome]:
    """Simulate, store and judge ``scenarios`` once (see the module contract)."""
    start = end - timedelta(days=round(months * 30.44))
    vendors = build_scenario_vendors(scenarios, start=start, end=end, seed=seed)
    with TemporaryDirectory(prefix="vendorwatch-eval-") as workdir:
        store = EventStore(Path(workdir) / "eval.duckdb", memory_limit=MEMORY_LIMIT)
        try:
            rows = _judge(store, _batches(vendors, start, end, seed, volume_per_day), end, policy)
        finally:
            store.close()
    flags: dict[str, list[Flag]] = {v.vendor_id: [] for v in vendors}
    for vendor_id, rule, grain, period in rows:
        flags[vendor_id].append(Flag(rule, _period_end(grain, period)))
    days = (end - start) / timedelta(days=1)
    return [
        VendorOutcome(
            v.scenario,
            seed,
            SCENARIOS[v.scenario].volume_per_day or volume_per_day,
            scenario_truth(v, end),
            tuple(flags[v.vendor_id]),
            days,
        )
        for v in vendors
    ]


def run_grid(
    scenarios: Sequence[str],
    *,
    seeds: int,
    volumes: Sequence[float],
    months: int,
    end: datetime,
    policy: Policy,
) -> list[VendorOutcome]:
    """:func:`run_once` for seeds ``1..seeds`` and every volume; a scenario with its own
    volume (``low_volume``) runs with the first volume only, so once per seed."""
    fixed = {s for s in scenarios if SCENARIOS[s].volume_per_day is not None}
    outcomes: list[VendorOutcome] = []
    for seed in range(1, seeds + 1):
        for index, volume in enumerate(volumes):
            chosen = [s for s in scenarios if index == 0 or s not in fixed]
            if chosen:
                outcomes += run_once(
                    chosen, seed=seed, volume_per_day=volume, months=months, end=end, policy=policy
                )
    return outcomes
