"""The DuckDB event store: append a validated batch and its Kafka offsets in one transaction.

Contract of :meth:`EventStore.write_batch`:

* Records at or after the stored ``next_offset`` of their partition are applied; older ones
  were already applied by an earlier transaction and are skipped, so replaying a batch after a
  crash or a rebalance is harmless.
* An event whose ``event_id`` is already stored (or earlier in the same batch) with equal
  content (the contract's fields, see :func:`ingest.schema.content_columns`) is a duplicate and
  is not stored again; with different content it becomes a dead letter (a conflict).
* Events, dead letters and the new offsets commit together or not at all. ``before_commit``
  runs inside the transaction with every dead letter of the batch (e.g. to publish them to the
  dead-letter topic); if it raises, nothing is committed.

One process owns the file read-write (DuckDB's rule); this class is that owner's only writer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from ingest.contract import EventBase
from ingest.schema import (
    DDL,
    SCHEMA_VERSION,
    TABLE_BY_TYPE,
    Column,
    content_columns,
    table_columns,
)

PartitionKey = tuple[str, int]


class ConsumedRecord(Protocol):
    """What the store needs of a Kafka record (kafka-python's ``ConsumerRecord`` fits)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Record:
    """A plain record, for tests and tools that do not read from Kafka."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record that broke the contract, with the reason a person can act on."""

    record: ConsumedRecord
    reason: str


@dataclass(frozen=True, slots=True)
class AcceptedEvent:
    """A record that passed the contract, with its typed event."""

    record: ConsumedRecord
    event: EventBase


@dataclass
class BatchOutcome:
    """What one committed batch did."""

    stored: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    duplicates: int = 0
    skipped_replayed: int = 0
    dead_letters: list[DeadLetter] = field(default_factory=list)

    @property
    def stored_total(self) -> int:
        return sum(self.stored.values())


def _value_at(event: EventBase, path: str) -> Any:
    value: Any = event
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value


def content_of(event: EventBase) -> tuple[Any, ...]:
    """The event's content as a tuple of column values (for duplicate detection)."""
    return tuple(_value_at(event, c.path) for c in content_columns(event.type))


class EventStore:
    """Owner of the engine's DuckDB file (see module docstring for the write contract)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = duckdb.connect(str(path))
        for statement in DDL:
            self.connection.execute(statement)
        self.connection.execute(
            "INSERT OR IGNORE INTO store_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        self._next_offsets: dict[PartitionKey, int] = {
            (topic, partition): next_offset
            for topic, partition, next_offset in self.connection.execute(
                'SELECT topic, "partition", next_offset FROM consumer_offsets'
            ).fetchall()
        }

    def close(self) -> None:
        self.connection.close()

    def next_offsets(self) -> dict[PartitionKey, int]:
        """Committed positions: the offset of the next record to read, per partition."""
        return dict(self._next_offsets)

    def write_batch(
        self,
        accepted: Sequence[AcceptedEvent],
        rejected: Sequence[DeadLetter],
        *,
        received_at: datetime,
        before_commit: Callable[[list[DeadLetter]], None] | None = None,
    ) -> BatchOutcome:
        """Apply one batch atomically; see the module docstring for the contract."""
        outcome = BatchOutcome()
        fresh_accepted = [a for a in accepted if self._is_new(a.record)]
        outcome.dead_letters = [d for d in rejected if self._is_new(d.record)]
        outcome.skipped_replayed = (len(accepted) - len(fresh_accepted)) + (
            len(rejected) - len(outcome.dead_letters)
        )
        new_offsets = self._advance(
            (a.record for a in fresh_accepted), (d.record for d in outcome.dead_letters)
        )
        if not new_offsets:
            return outcome
        con = self.connection
        con.begin()
        try:
            unique = self._drop_repeats(fresh_accepted, outcome)
            by_type: dict[str, list[AcceptedEvent]] = defaultdict(list)
            for item in unique:
                by_type[item.event.type].append(item)
            for event_type, items in by_type.items():
                self._insert_events(event_type, items, received_at)
                outcome.stored[event_type] += len(items)
            self._insert_dead_letters(outcome.dead_letters, received_at)
            self._save_offsets(new_offsets, received_at)
            if before_commit is not None:
                before_commit(outcome.dead_letters)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        self._next_offsets.update(new_offsets)
        return outcome

    def _is_new(self, record: ConsumedRecord) -> bool:
        return record.offset >= self._next_offsets.get((record.topic, record.partition), 0)

    def _advance(self, *groups: Iterable[ConsumedRecord]) -> dict[PartitionKey, int]:
        advanced: dict[PartitionKey, int] = {}
        for records in groups:
            for r in records:
                key = (r.topic, r.partition)
                if r.offset + 1 > advanced.get(key, 0):
                    advanced[key] = r.offset + 1
        return advanced

    def _drop_repeats(
        self, accepted: list[AcceptedEvent], outcome: BatchOutcome
    ) -> list[AcceptedEvent]:
        """Keep the first of each event_id not yet stored; repeats are duplicates or conflicts."""
        first: dict[str, AcceptedEvent] = {}
        repeats: list[AcceptedEvent] = []
        for item in accepted:
            if item.event.event_id in first:
                repeats.append(item)
            else:
                first[item.event.event_id] = item
        stored = self._stored_content(list(first))
        unique: list[AcceptedEvent] = []
        for event_id, item in first.items():
            if event_id in stored:
                repeats.append(item)
            else:
                unique.append(item)
        for item in repeats:
            event = item.event
            earlier = stored.get(event.event_id)
            if earlier is None:
                earlier_event = first[event.event_id].event
                earlier = (earlier_event.type, content_of(earlier_event))
            if earlier == (event.type, content_of(event)):
                outcome.duplicates += 1
            else:
                outcome.dead_letters.append(
                    DeadLetter(
                        item.record,
                        f"event_id: {event.event_id!r} was already received with different "
                        "content (conflicting duplicate; the first version is kept)",
                    )
                )
        return unique

    def _stored_content(self, event_ids: list[str]) -> dict[str, tuple[str, tuple[Any, ...]]]:
        """Type and content of those of ``event_ids`` that are already stored."""
        if not event_ids:
            return {}
        con = self.connection
        con.register("candidate_ids", pa.table({"event_id": pa.array(event_ids, pa.string())}))
        try:
            hits = con.execute(
                "SELECT e.event_id, e.type FROM event_ids e JOIN candidate_ids c USING (event_id)"
            ).fetchall()
            found: dict[str, tuple[str, tuple[Any, ...]]] = {}
            hit_types: dict[str, list[str]] = defaultdict(list)
            for event_id, event_type in hits:
                hit_types[event_type].append(event_id)
            for event_type, ids in hit_types.items():
                columns = content_columns(event_type)
                names = ", ".join(f'"{c.name}"' for c in columns)
                rows = con.execute(
                    f"SELECT {names} FROM {TABLE_BY_TYPE[event_type]} WHERE event_id IN "
                    "(SELECT unnest(?::VARCHAR[]))",
                    [ids],
                ).fetchall()
                for row in rows:
                    found[row[0]] = (event_type, tuple(row))
            return found
        finally:
            con.unregister("candidate_ids")

    def _insert_events(
        self, event_type: str, items: list[AcceptedEvent], received_at: datetime
    ) -> None:
        columns = table_columns(event_type)
        arrays = [pa.array(_column_values(c, items, received_at), c.arrow_type) for c in columns]
        batch = pa.Table.from_arrays(arrays, names=[c.name for c in columns])
        con = self.connection
        con.register("event_batch", batch)
        try:
            con.execute(f"INSERT INTO {TABLE_BY_TYPE[event_type]} SELECT * FROM event_batch")
            con.execute("INSERT INTO event_ids SELECT event_id, ? FROM event_batch", [event_type])
        finally:
            con.unregister("event_batch")

    def _save_offsets(self, offsets: dict[PartitionKey, int], received_at: datetime) -> None:
        batch = pa.table(
            {
                "topic": pa.array([t for t, _ in offsets], pa.string()),
                "partition": pa.array([p for _, p in offsets], pa.int32()),
                "next_offset": pa.array(list(offsets.values()), pa.int64()),
            }
        )
        con = self.connection
        con.register("offset_batch", batch)
        try:
            con.execute(
                'INSERT INTO consumer_offsets SELECT topic, "partition", next_offset, ? '
                'FROM offset_batch ON CONFLICT (topic, "partition") DO UPDATE SET '
                "next_offset = greatest(consumer_offsets.next_offset, excluded.next_offset), "
                "updated_at = excluded.updated_at",
                [received_at],
            )
        finally:
            con.unregister("offset_batch")

    def _insert_dead_letters(self, dead: list[DeadLetter], received_at: datetime) -> None:
        if not dead:
            return
        batch = pa.table(
            {
                "topic": pa.array([d.record.topic for d in dead], pa.string()),
                "partition": pa.array([d.record.partition for d in dead], pa.int32()),
                "offset": pa.array([d.record.offset for d in dead], pa.int64()),
                "reason": pa.array([d.reason for d in dead], pa.string()),
                "raw": pa.array([d.record.value for d in dead], pa.binary()),
                "key": pa.array([d.record.key for d in dead], pa.binary()),
            }
        )
        con = self.connection
        con.register("dead_batch", batch)
        try:
            con.execute(
                'INSERT INTO dead_letters SELECT topic, "partition", "offset", reason, raw, key, ? '
                "FROM dead_batch",
                [received_at],
            )
        finally:
            con.unregister("dead_batch")


def _column_values(column: Column, items: list[AcceptedEvent], received_at: datetime) -> list[Any]:
    name = column.name
    if name == "topic":
        return [i.record.topic for i in items]
    if name == "partition":
        return [i.record.partition for i in items]
    if name == "offset":
        return [i.record.offset for i in items]
    if name == "ingested_at":
        return [received_at] * len(items)
    if name == "raw":
        return [(i.record.value or b"").decode("utf-8") for i in items]
    if "." in column.path:
        return [_value_at(i.event, column.path) for i in items]
    return [getattr(i.event, name) for i in items]
