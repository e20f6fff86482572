"""A generated vendor history with the awkward parts real feeds have, written to an event store.

The history is the simulator's (profiles with a mid-history renegotiation, invoices with a
correction and a credit note, lifecycles, several currencies) plus: producer repeats of 1% of
the records, 3% of the records held back and delivered late in later batches, an invoice in a
currency the contract does not use, and a defect whose ``opened`` event never arrives.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from ingest.batch import RecordChecks
from ingest.records import Record
from ingest.simulator import build_vendors, generate_events
from ingest.store import EventStore
from vendorwatch.settings import Topics

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 4, 20, 9, 30, tzinfo=UTC)
FIRST_KINDS = ("response_time", "defect", "security_incident", "cost_invoice", "vendor_profile")
TOPICS = Topics()
TYPE_BY_TOPIC = TOPICS.event_topics()
TOPIC_BY_TYPE = {event_type: topic for topic, event_type in TYPE_BY_TOPIC.items()}


def _extra_events(vendor_id: str) -> list[dict[str, object]]:
    return [
        {
            "type": "cost_invoice",
            "event_id": "inv-foreign-1",
            "vendor_id": vendor_id,
            "occurred_at": "2026-03-02T10:00:00Z",
            "invoice_id": "X-USD-1",
            "period_start": "2026-02-01",
            "period_end": "2026-02-28",
            "amount": "999.95",
            "currency": "XTS",
        },
        {
            "type": "defect",
            "event_id": "df-orphan-resolved",
            "vendor_id": vendor_id,
            "occurred_at": "2026-02-10T23:30:00+05:00",
            "defect_id": "D-ORPHAN",
            "status": "resolved",
            "severity": "critical",
        },
    ]


@dataclass
class History:
    """The records in delivery order, cut into batches; ``values`` is every record sent."""

    batches: list[list[Record]]
    values: list[bytes] = field(default_factory=list)

    def write(self, store: EventStore, batches: list[list[Record]] | None = None) -> None:
        checks = RecordChecks(
            TYPE_BY_TOPIC, max_future_skew=timedelta(hours=24), max_record_bytes=1_000_000
        )
        for batch in self.batches if batches is None else batches:
            outcome = store.write_batch(batch, checks, received_at=END)
            assert not outcome.dead_letters, outcome.dead_letters[:3]


def build_history(seed: int = 11, batch_count: int = 8) -> History:
    rng = random.Random(seed)
    vendors = build_vendors(start=START, end=END, seed=seed)
    # the kinds this history was first built with: a kind added since (satisfaction_survey,
    # tested on its own) would move every random choice below and with it every offset
    values = [
        e.value
        for e in generate_events(
            vendors, START, END, seed=seed, events_per_day=240, include_types=FIRST_KINDS
        )
    ]
    values += [orjson.dumps(e) for e in _extra_events(vendors[0].vendor_id)]
    late = [v for v in values if rng.random() < 0.03]
    late_ids = {id(v) for v in late}
    on_time = [v for v in values if id(v) not in late_ids]
    repeats = rng.sample(values, len(values) // 100)
    size = len(on_time) // batch_count + 1
    chunks = [on_time[i : i + size] for i in range(0, len(on_time), size)]
    for index, value in enumerate(late + repeats):  # late ones arrive in the last few batches
        chunks[len(chunks) - 1 - index % 3].append(value)
    offsets: dict[str, int] = {}
    batches = []
    for chunk in chunks:
        batch = []
        for value in chunk:
            topic = TOPIC_BY_TYPE[orjson.loads(value)["type"]]
            offset = offsets.get(topic, 0)
            offsets[topic] = offset + 1
            batch.append(Record(topic, 0, offset, None, value))
        batches.append(batch)
    return History(batches, [r.value for b in batches for r in b if r.value is not None])


@pytest.fixture(scope="session")
def history() -> History:
    return build_history()


@pytest.fixture
def memory_store() -> Iterator[EventStore]:
    store = EventStore(":memory:")
    store.connection.execute("SET TimeZone = 'UTC'")
    yield store
    store.close()
