"""The DuckDB event store: append a batch of Kafka records and their offsets in one transaction.

Contract of :meth:`EventStore.write_table` (and :meth:`~EventStore.write_batch`, the same for a list
of records), and of several batches staged with :meth:`~EventStore.stage` and committed together
by :meth:`~EventStore.commit_staged` (what the consumer does; a staged batch is dropped from
Python memory at once, its events wait in connection-local temporary tables):

* Records at or after the stored ``next_offset`` of their partition are applied; older ones
  were already applied by an earlier transaction and are skipped, so replaying a batch after a
  crash or a rebalance is harmless.
* Each applied record is checked against the contract: response times that are surely valid
  are taken by DuckDB itself (:mod:`ingest.fastpath`), every other record goes through
  :func:`ingest.batch.classify` (pydantic), which decides dead letters and their reasons.
* An event whose ``event_id`` is already stored (or earlier in the same batch) with equal
  content (the contract's fields, see :func:`ingest.schema.content_columns`) is a duplicate and
  is not stored again; with different content it becomes a dead letter (a conflict), see
  :mod:`ingest.repeats`. Repeats are rare, so a batch's ids are first checked against the
  hashes of every stored id, held in memory (:mod:`ingest.ids`); only a batch where one may be
  a repeat is applied with :func:`ingest.repeats.find_repeats`, which compares the ids.
* Events, dead letters and the new offsets commit together or not at all. ``before_commit``
  runs inside the transaction with every dead letter of the batch (e.g. to publish them to the
  dead-letter topic); if it raises, nothing is committed.

One process owns the file read-write (DuckDB's rule); this class is that owner's only writer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.batch import RecordChecks, classify
from ingest.chunks import PartitionKey, offset_bounds, records_at, records_table
from ingest.fastpath import surely_valid_response_times
from ingest.ids import Hashes, StoredIdHashes, has_repeats
from ingest.progress import BatchOutcome
from ingest.records import AcceptedEvent, ConsumedRecord, DeadLetter, Record
from ingest.repeats import (
    REPEATS_CHUNK_RECORDS,
    Repeats,
    find_repeats,
    staged_table,
    staging_ddl,
)
from ingest.schema import STORED_IDS_VIEW, TABLE_BY_TYPE, create_or_migrate
from ingest.staging import (
    insert_dead_letters,
    insert_staged,
    not_yet_applied,
    stage_events,
    staged_rows,
    upsert_next_offsets,
)


class _RepeatedEventIds(Exception):
    """The transaction repeats an ``event_id``: apply it again the careful way."""


@dataclass
class _Staging:
    """What the open transaction has staged so far (see :meth:`EventStore.stage`)."""

    rows: int = 0  # records staged, dead letters included: the next record's ``ord``
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped_replayed: int = 0
    rejected: list[DeadLetter] = field(default_factory=list)
    next_offsets: dict[PartitionKey, int] = field(default_factory=dict)
    keys: list[pa.Table] = field(default_factory=list)  # ``ord`` and ``key`` of each record


class EventStore:
    """Owner of the engine's DuckDB file (see module docstring for the write contract)."""

    def __init__(
        self, path: Path | str, *, memory_limit: str | None = None, threads: int | None = None
    ) -> None:
        """Open (or create) the store. ``memory_limit`` caps DuckDB's working memory (e.g.
        ``"64MiB"``; beyond it DuckDB evicts cached blocks and spills to ``<file>.tmp``;
        the stored ids' hashes, 8 bytes an id, are held outside it); None leaves DuckDB's
        default, 80% of RAM. ``threads`` is DuckDB's thread count
        (None: its default, one per CPU)."""
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        config: dict[str, str | bool | int | float | list[str]] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads is not None:
            config["threads"] = threads
        self.connection = duckdb.connect(str(path), config=config)
        try:
            create_or_migrate(self.connection)
        except BaseException:
            self.connection.close()
            raise
        for statement in map(staging_ddl, TABLE_BY_TYPE):
            self.connection.execute(statement)
        self._next_offsets: dict[PartitionKey, int] = {}
        self._staging = _Staging()
        self._load_next_offsets()
        self._ids = StoredIdHashes(self._hashes(f"SELECT event_id FROM {STORED_IDS_VIEW}"))

    def close(self) -> None:
        self.connection.close()

    def next_offsets(self) -> dict[PartitionKey, int]:
        """Committed positions: the offset of the next record to read, per partition."""
        return dict(self._next_offsets)

    def _load_next_offsets(self) -> None:
        self._next_offsets = {
            (topic, partition): next_offset
            for topic, partition, next_offset in self.connection.execute(
                'SELECT topic, "partition", next_offset FROM consumer_offsets'
            ).fetchall()
        }

    def write_batch(
        self,
        records: Sequence[ConsumedRecord],
        checks: RecordChecks,
        *,
        received_at: datetime,
        before_commit: Callable[[list[DeadLetter]], None] | None = None,
    ) -> BatchOutcome:
        """Apply one batch of records atomically (see :meth:`write_table`)."""
        return self.write_table(
            records_table(records), checks, received_at=received_at, before_commit=before_commit
        )

    def write_table(
        self,
        batch: pa.Table,
        checks: RecordChecks,
        *,
        received_at: datetime,
        before_commit: Callable[[list[DeadLetter]], None] | None = None,
    ) -> BatchOutcome:
        """Apply one batch (a :data:`ingest.chunks.RECORD_SCHEMA` table, in consumption order)
        atomically; see the module docstring for the contract. The same as :meth:`stage`
        followed by :meth:`commit_staged`."""
        self.stage(batch, checks, received_at=received_at)
        return self.commit_staged(received_at=received_at, before_commit=before_commit)

    def stage(self, batch: pa.Table, checks: RecordChecks, *, received_at: datetime) -> None:
        """Check and stage one batch (in consumption order, after any batch staged before it)
        for the next :meth:`commit_staged`; nothing is stored until then.

        The caller may drop ``batch`` once this returns: the staged events live in DuckDB's
        connection-local temporary tables, and only the few records that may become dead
        letters are kept in Python. Records before their partition's next offset (as stored,
        or as staged earlier in the same transaction) are skipped as replays."""
        staging = self._staging
        if not batch.num_rows:
            return
        base = staging.rows
        numbered = batch.append_column(
            "ord", pa.array(range(base, base + batch.num_rows), pa.int32())
        )
        staging.rows += batch.num_rows
        bounds = offset_bounds(batch)
        positions = self._next_offsets | staging.next_offsets
        fresh = not_yet_applied(numbered, bounds, positions)
        staging.skipped_replayed += batch.num_rows - fresh.num_rows
        if not fresh.num_rows:
            return
        con = self.connection
        con.register("raw_records", fresh)
        try:
            self._stage_records(numbered, fresh, base, checks, received_at)
        except BaseException:
            self._discard_staged()
            raise
        finally:
            con.unregister("raw_records")
        for key, (_, last) in bounds.items():
            if last >= positions.get(key, 0):  # the partition has records in ``fresh``
                staging.next_offsets[key] = last + 1
        staging.keys.append(fresh.select(["ord", "key"]))

    def commit_staged(
        self,
        *,
        received_at: datetime,
        before_commit: Callable[[list[DeadLetter]], None] | None = None,
    ) -> BatchOutcome:
        """Store everything staged since the last commit, with its dead letters and the new
        offsets, in one transaction (see the module docstring for the contract)."""
        staging = self._staging
        outcome = BatchOutcome(skipped_replayed=staging.skipped_replayed)
        if staging.next_offsets:  # else nothing new: every record was a replay
            try:
                try:
                    self._transaction(received_at, outcome, before_commit, assume_new=True)
                except _RepeatedEventIds:
                    outcome = BatchOutcome(skipped_replayed=staging.skipped_replayed)
                    self._transaction(received_at, outcome, before_commit, assume_new=False)
            except BaseException:
                self._discard_staged()
                raise
            self._load_next_offsets()
        self._staging = _Staging()
        return outcome

    def _discard_staged(self) -> None:
        """Forget everything staged (after a failure: the records are read again from the
        stored offsets)."""
        for event_type in TABLE_BY_TYPE:
            self._run(f"DELETE FROM {staged_table(event_type)}")
        self._staging = _Staging()

    def _transaction(
        self,
        received_at: datetime,
        outcome: BatchOutcome,
        before_commit: Callable[[list[DeadLetter]], None] | None,
        *,
        assume_new: bool,
    ) -> None:
        con = self.connection
        con.begin()
        try:
            new_ids = self._apply(received_at, outcome, assume_new=assume_new)
            if before_commit is not None:
                before_commit(outcome.dead_letters)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        self._ids.add(new_ids)

    def _stage_records(
        self,
        numbered: pa.Table,
        fresh: pa.Table,
        base: int,
        checks: RecordChecks,
        received_at: datetime,
    ) -> None:
        """Stage the records of ``fresh`` (the rows of ``numbered`` not yet applied, registered
        as ``raw_records``): surely valid response times by DuckDB, every other record through
        the contract's models."""
        staging = self._staging
        fast_topics = checks.topics_of("response_time")
        query, params = surely_valid_response_times(
            topics=fast_topics,
            received_at=received_at,
            max_future_skew=checks.max_future_skew,
            max_record_bytes=checks.max_record_bytes,
        )
        fast = int(self._run(f"INSERT INTO {staged_table('response_time')} {query}", params)[0][0])
        staging.counts["response_time"] += fast
        on_fast_topics = pc.is_in(fresh["topic"], value_set=pa.array(fast_topics, pa.string()))
        candidates = pc.sum(on_fast_topics.cast(pa.int64())).as_py() or 0
        if fast == candidates:
            # the fast path took every record of its topics (the usual case): no query needed
            slow_ords = fresh.filter(pc.invert(on_fast_topics))["ord"].to_pylist()
        else:
            slow_ords = [
                int(row[0])
                for row in self._run(
                    "SELECT ord FROM raw_records WHERE ord NOT IN "
                    f"(SELECT ord FROM {staged_table('response_time')} WHERE ord >= $base) "
                    "ORDER BY ord",
                    {"base": base},
                )
            ]
        slow = records_at(numbered, [ord_ - base for ord_ in slow_ords])
        ord_of = {id(r): o for r, o in zip(slow, slow_ords, strict=True)}
        accepted, rejected = classify(
            slow,
            type_by_topic=checks.type_by_topic,
            received_at=received_at,
            max_future_skew=checks.max_future_skew,
            max_record_bytes=checks.max_record_bytes,
        )
        by_type: dict[str, list[AcceptedEvent]] = defaultdict(list)
        for item in accepted:
            by_type[item.event.type].append(item)
        for event_type, items in by_type.items():
            ords = [ord_of[id(i.record)] for i in items]
            stage_events(self.connection, event_type, items, ords, received_at)
            staging.counts[event_type] += len(items)
        staging.rejected += rejected

    def _apply(self, received_at: datetime, outcome: BatchOutcome, *, assume_new: bool) -> Hashes:
        """Store the staged events in the open transaction; returns the hashes of the ids it
        stores. With ``assume_new``, :class:`_RepeatedEventIds` is raised first (before
        anything is written, the staged events still staged) if any id may be a repeat.
        Otherwise repeats are sorted out one chunk of ``ord`` at a time (see
        :mod:`ingest.repeats`), each chunk's new events inserted before the next is looked at."""
        con = self.connection
        staging = self._staging
        staged_types = [event_type for event_type in TABLE_BY_TYPE if staging.counts[event_type]]
        repeats = Repeats()
        if assume_new:
            new_ids = self._staged_id_hashes(staged_types)
            if has_repeats(new_ids) or self._ids.any_stored(new_ids):
                raise _RepeatedEventIds
            for event_type in staged_types:
                outcome.count_stored(event_type, insert_staged(con, event_type))
        else:
            new_by_chunk = []
            for first in range(0, staging.rows, REPEATS_CHUNK_RECORDS):
                ords = (first, first + REPEATS_CHUNK_RECORDS)
                chunk = find_repeats(con, *ords)
                for event_type in staged_types:
                    skip = chunk.ords(event_type)
                    inserted = insert_staged(con, event_type, ords=ords, skip=skip)
                    outcome.count_stored(event_type, inserted)
                new_by_chunk.append(self._staged_id_hashes(staged_types, ords=ords, skip=chunk))
                repeats.update(chunk)
            new_ids = np.concatenate(new_by_chunk)
        outcome.duplicates = len(repeats.duplicates)
        outcome.dead_letters = staging.rejected + [
            DeadLetter(
                record,
                f"event_id: {event_id!r} was already received with different "
                "content (conflicting duplicate; the first version is kept)",
            )
            for record, event_id in self._staged_records(repeats.conflicts)
        ]
        for event_type in staged_types:
            self._run(f"DELETE FROM {staged_table(event_type)}")
        insert_dead_letters(con, outcome.dead_letters, received_at)
        upsert_next_offsets(con, staging.next_offsets, received_at)
        return new_ids

    def _staged_records(self, conflicts: dict[int, str]) -> list[tuple[Record, str]]:
        """The staged records of the ``conflicts`` (ord -> event_id), in ``ord`` order, rebuilt
        from their staged ``raw`` text (their exact bytes: it was decoded from valid UTF-8)
        and the key kept by :meth:`stage`."""
        if not conflicts:
            return []
        ords = sorted(conflicts)
        keys = pa.concat_tables(self._staging.keys)
        picked = keys.filter(pc.is_in(keys["ord"], value_set=pa.array(ords, pa.int32())))
        key_of = dict(zip(picked["ord"].to_pylist(), picked["key"].to_pylist(), strict=True))
        union = " UNION ALL ".join(
            f'SELECT ord, topic, "partition", "offset", raw FROM {staged_table(t)} '
            "WHERE ord IN (SELECT unnest($ords))"
            for t in TABLE_BY_TYPE
        )
        rows = self._run(f"SELECT * FROM ({union}) ORDER BY ord", {"ords": ords})
        return [
            (Record(topic, partition, offset, key_of[ord_], raw.encode()), conflicts[ord_])
            for ord_, topic, partition, offset, raw in rows
        ]

    def _staged_id_hashes(
        self,
        event_types: list[str],
        *,
        ords: tuple[int, int] | None = None,
        skip: Repeats | None = None,
    ) -> Hashes:
        """The id hashes of the :func:`~ingest.staging.staged_rows` of ``event_types`` (at
        ``ords``, if given), but ``skip``'s repeats."""
        if not event_types:
            return np.empty(0, dtype=np.uint64)
        parts, params = [], {}
        for event_type in event_types:
            rows, more = staged_rows(
                event_type, ords=ords, skip=skip.ords(event_type) if skip else ()
            )
            parts.append(f"SELECT event_id FROM {rows}")
            params.update(more)
        return self._hashes(" UNION ALL ".join(parts), params or None)

    def _hashes(self, ids_query: str, params: object = None) -> Hashes:
        """The :mod:`ingest.ids` hashes of the ids ``ids_query`` selects (column ``event_id``)."""
        found = self.connection.execute(f"SELECT hash(event_id) AS h FROM ({ids_query})", params)
        hashes: Hashes = found.fetchnumpy()["h"]
        return hashes

    def _run(self, sql: str, params: object = None) -> list[tuple[Any, ...]]:
        """Execute and fetch everything: a DuckDB 2 result owns the connection until drained."""
        return self.connection.execute(sql, params).fetchall()
