"""The ingest loop: Kafka → contract → DuckDB, exactly once.

Two threads share the work: the caller's thread polls Kafka and cuts batches (Arrow chunks,
see :mod:`ingest.chunks`); a writer thread validates and stages each batch in DuckDB
(:meth:`~ingest.store.EventStore.stage`, after which the batch is dropped) and commits what it
staged together with the offsets it covers, so polling overlaps storing. While batches keep
arriving faster than the writer stages them, it goes on staging into the same transaction (up
to ``transaction_max_records``): a commit's fixed cost is paid once for all of them, which lets
the writer catch up instead of falling further behind, and the records in Python memory stay
a batch or two however large the transaction grows. DuckDB, not
Kafka's group coordinator, is the source of truth for positions: on every partition assignment
the consumer seeks to the offsets stored in DuckDB (or to the beginning of a partition the store
has never seen). Kafka's committed group offsets are written afterwards, best effort, only so
that standard lag tooling shows something meaningful.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

import pyarrow as pa
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from ingest.batch import RecordChecks
from ingest.chunks import concat, partition_chunk
from ingest.deadletter import DeadLetterPublisher
from ingest.memory import interpreter_tuned_for_ingest
from ingest.positions import consumer_options, seek_to_stored
from ingest.progress import IngestProgress, StoreWriteFailed
from ingest.settings import IngestSettings
from ingest.store import EventStore

log = logging.getLogger(__name__)

NowGetter = Callable[[], datetime]

BATCHES_WAITING = 1
"""Batches the poller may cut ahead of the one the writer is staging."""


def _rows(batch: list[pa.Table]) -> int:
    return sum(chunk.num_rows for chunk in batch)


class _SeekToStore(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, continue each partition from the position DuckDB has committed."""

    def __init__(self, ingestor: Ingestor) -> None:
        self._ingestor = ingestor

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        log.info("partitions revoked: %s", sorted(revoked))

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._ingestor.seek_to_committed(assigned)


class Ingestor:
    """Consumes the configured event topics into the store until stopped (or drained)."""

    def __init__(
        self,
        settings: IngestSettings,
        store: EventStore,
        *,
        now_getter: NowGetter,
        dead_letters: DeadLetterPublisher | None,
        report: Callable[[str], None] = print,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        """``on_stored`` is called (on the writer thread) after each batch that stored at
        least one event committed: the engine wakes its metrics cycle with it."""
        self.settings = settings
        self.on_stored = on_stored
        self.store = store
        self.now_getter = now_getter
        self.dead_letter_publisher = dead_letters
        self.report = report
        self.progress = IngestProgress()
        self.type_by_topic = settings.topics.event_topics()
        self._consumer: KafkaConsumer | None = None
        # The writer stages each batch and drops it before taking the next, so one batch
        # waiting keeps it busy; more would only hold records in memory (make bench: RSS).
        self._batches: queue.Queue[list[pa.Table] | None] = queue.Queue(maxsize=BATCHES_WAITING)
        self._carried: list[list[pa.Table] | None] = []  # taken from _batches, not yet staged
        self._done: queue.Queue[tuple[int, dict[tuple[str, int], int]]] = queue.Queue()
        self._writer_error: BaseException | None = None
        self._reassigned: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._reported_stored = 0

    # -- the consumer -------------------------------------------------------------------------

    def _open_consumer(self) -> KafkaConsumer:
        consumer = KafkaConsumer(**consumer_options(self.settings), group_id=self.settings.group_id)
        # Metadata first: a consumer that leads the group's first assignment before it has the
        # topics' partitions assigns nothing, and the rebalance that must follow was seen to
        # never complete with kafka-python (make demo: the group stayed Empty).
        consumer.topics()
        consumer.subscribe(topics=sorted(self.type_by_topic), listener=_SeekToStore(self))
        return consumer

    def seek_to_committed(self, assigned: set[TopicPartition]) -> None:
        """Position each assigned partition at its next offset as committed in DuckDB."""
        assert self._consumer is not None
        committed = self.store.next_offsets()
        with self._lock:
            seek_to_stored(self._consumer, assigned, committed)
            self._reassigned.update((tp.topic, tp.partition) for tp in assigned)
        log.info("assigned %s; continuing from the store's offsets", sorted(assigned))

    # -- the writer thread --------------------------------------------------------------------

    def _write_batches(self) -> None:
        settings = self.settings
        publish = self.dead_letter_publisher.publish if self.dead_letter_publisher else None
        checks = RecordChecks(
            type_by_topic=self.type_by_topic,
            max_future_skew=settings.max_future_skew,
            max_record_bytes=settings.max_record_bytes,
        )
        try:
            while True:
                handed = 0
                for batch in self._one_transaction():
                    self.store.stage(concat(batch), checks, received_at=self.now_getter())
                    handed += 1
                    del batch  # staged: not to be held through the commit
                if not handed:  # the poller has finished
                    return
                outcome = self.store.commit_staged(
                    received_at=self.now_getter(), before_commit=publish
                )
                self.progress.add(outcome)
                self._done.put((handed, self.store.next_offsets()))
                if self.on_stored is not None and outcome.stored_total:
                    self.on_stored()
        except BaseException as exc:
            self._writer_error = exc
            self._done.put((0, {}))

    def _one_transaction(self) -> Iterator[list[pa.Table]]:
        """The batches of one transaction: the next batch (waited for; none once the poller
        has finished), then each batch already waiting when the one before it is staged, as
        long as they fit in ``transaction_max_records`` together. A batch is let go as soon
        as the next is asked for."""
        rows = 0
        batch = self._next_batch(room=None)
        while batch is not None:
            rows += _rows(batch)
            yield batch
            batch = self._next_batch(room=self.settings.transaction_max_records - rows)

    def _next_batch(self, *, room: int | None) -> list[pa.Table] | None:
        """The next batch for the writer. With ``room`` None: the first of a transaction,
        waited for, or None once the poller has finished. Otherwise: a batch already waiting
        that fits in ``room`` more records, or None (one that does not fit, or the poller's
        end marker, is kept for the next call with ``room`` None)."""
        if room is None:
            return self._carried.pop() if self._carried else self._batches.get()
        try:
            batch = self._batches.get_nowait()
        except queue.Empty:
            return None
        if batch is None or _rows(batch) > room:
            self._carried.append(batch)
            return None
        return batch

    # -- the polling loop ---------------------------------------------------------------------

    def run(self, *, drain: bool = False, stop: threading.Event | None = None) -> IngestProgress:
        """Ingest until ``stop`` is set, or with ``drain`` until every partition is consumed
        to the end offset it had when draining began. Raises :class:`StoreWriteFailed` if storing
        a batch failed."""
        with interpreter_tuned_for_ingest():
            progress = self._consume(drain=drain, stop=stop or threading.Event())
        self._raise_writer_error()
        return progress

    def _consume(self, *, drain: bool, stop: threading.Event) -> IngestProgress:
        consumer = self._consumer = self._open_consumer()
        writer = threading.Thread(target=self._write_batches, name="ingest-writer", daemon=True)
        writer.start()
        targets = self._end_offsets(consumer) if drain else {}
        pending: list[tuple[tuple[str, int], pa.Table]] = []
        pending_rows = 0
        pending_since = time.monotonic()
        last_report = time.monotonic()
        max_records = self.settings.batch_max_records
        max_wait = self.settings.batch_max_wait_ms / 1000
        outcome = "stopped"  # unless the loop below ends as it should
        try:
            while not stop.is_set():
                self._raise_writer_error()
                try:
                    # Always a whole batch's worth, though a batch may then end up to one poll
                    # larger: kafka-python sends the next fetch only from a poll that took all
                    # it had buffered. Asking for just what filled the batch left records
                    # buffered and the next fetch unsent, and the poller then waited for it
                    # (make bench: ingest ~30 % faster this way, at the same peak RSS).
                    polled = consumer.poll(timeout_ms=100, max_records=max_records)
                except KafkaError as exc:  # a broker blip: DuckDB holds the positions, retry
                    log.warning("poll failed, retrying in 1 s: %s", exc)
                    time.sleep(1.0)
                    continue
                pending = self._drop_reassigned(pending)
                pending_rows = sum(chunk.num_rows for _, chunk in pending)
                records_polled = bool(polled)
                if records_polled and self.progress.started is None:
                    self.progress.started = time.monotonic()
                for tp, records in polled.items():
                    if not pending:
                        pending_since = time.monotonic()
                    chunk = partition_chunk(tp.topic, tp.partition, records)
                    pending.append(((tp.topic, tp.partition), chunk))
                    pending_rows += chunk.num_rows
                polled, records = {}, []  # drop the ConsumerRecords: the chunks travel on
                full = pending_rows >= max_records
                waited = time.monotonic() - pending_since >= max_wait
                if pending and (full or waited or (drain and not records_polled)):
                    self._hand_over([chunk for _, chunk in pending])
                    pending, pending_rows = [], 0
                self._collect_done(consumer, block=False)
                now = time.monotonic()
                if now - last_report >= self.settings.progress_interval_s:
                    self._print_progress(consumer, now - last_report)
                    last_report = now
                if drain and not pending and self._drained(consumer, targets):
                    break
            if pending:
                self._hand_over([chunk for _, chunk in pending])
            while self._in_flight:
                self._collect_done(consumer, block=True)
                self._raise_writer_error()
            outcome = "done"
        finally:
            self._end_writer(writer)
            interval = max(time.monotonic() - last_report, 1e-9)
            self._print_progress(consumer, interval, final=outcome)
            consumer.close(autocommit=False)
            if self.dead_letter_publisher:
                self.dead_letter_publisher.close()
        return self.progress

    def _end_writer(self, writer: threading.Thread) -> None:
        """Let the writer finish what it was handed and stop; a writer that already died
        (its error is raised by the caller) takes nothing more, so the queue may stay full."""
        while writer.is_alive():
            try:
                self._batches.put(None, timeout=0.5)
                break
            except queue.Full:
                continue
        writer.join(timeout=60)

    def _hand_over(self, chunks: list[pa.Table]) -> None:
        with self._lock:
            self._in_flight += 1
        while True:
            self._raise_writer_error()
            try:
                self._batches.put(chunks, timeout=0.5)
                return
            except queue.Full:
                continue

    def _drop_reassigned(
        self, pending: list[tuple[tuple[str, int], pa.Table]]
    ) -> list[tuple[tuple[str, int], pa.Table]]:
        """Forget uncommitted records of re-assigned partitions: they are fetched again."""
        with self._lock:
            if not self._reassigned:
                return pending
            again, self._reassigned = self._reassigned, set()
        return [(key, chunk) for key, chunk in pending if key not in again]

    def _collect_done(self, consumer: KafkaConsumer, *, block: bool) -> None:
        while True:
            try:
                handed, committed = (
                    self._done.get(timeout=0.5) if block else self._done.get_nowait()
                )
            except queue.Empty:
                return
            with self._lock:
                self._in_flight -= handed
            if committed:
                self._commit_group_offsets(consumer, committed)
            if block:
                return

    def _commit_group_offsets(
        self, consumer: KafkaConsumer, committed: dict[tuple[str, int], int]
    ) -> None:
        assigned = consumer.assignment()
        offsets = {
            tp: OffsetAndMetadata(committed[(tp.topic, tp.partition)], "", -1)
            for tp in assigned
            if (tp.topic, tp.partition) in committed
        }
        if offsets:
            try:
                consumer.commit_async(offsets)
            except Exception as exc:  # informational only: DuckDB holds the truth
                log.debug("group offset commit failed: %s", exc)

    def _raise_writer_error(self) -> None:
        if self._writer_error is not None:
            raise StoreWriteFailed(self._writer_error) from self._writer_error

    def _end_offsets(self, consumer: KafkaConsumer) -> dict[TopicPartition, int]:
        partitions: list[TopicPartition] = []
        for topic in sorted(self.type_by_topic):
            ids = consumer.partitions_for_topic(topic)
            if ids is None:
                self.report(f"drain: topic {topic} does not exist; nothing to read there")
                continue
            partitions.extend(TopicPartition(topic, p) for p in sorted(ids))
        ends: dict[TopicPartition, int] = consumer.end_offsets(partitions)
        return ends

    def _drained(self, consumer: KafkaConsumer, targets: dict[TopicPartition, int]) -> bool:
        if self._in_flight:
            return False
        assigned = consumer.assignment()
        for tp, end in targets.items():
            if end == 0:
                continue
            if tp not in assigned or consumer.position(tp, timeout_ms=1000) < end:
                return False
        return True

    def _lag(self, consumer: KafkaConsumer) -> int | None:
        committed = self.store.next_offsets()
        total = 0
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                return None
            total += max(0, highwater - committed.get((tp.topic, tp.partition), 0))
        return total

    def _print_progress(
        self, consumer: KafkaConsumer, interval: float, *, final: str | None = None
    ) -> None:
        """One progress line; ``final`` ("done" or "stopped") marks the last one."""
        p = self.progress
        elapsed = max(time.monotonic() - (p.started or time.monotonic()), 1e-9)
        recent = (p.stored - self._reported_stored) / interval
        self._reported_stored = p.stored
        lag = self._lag(consumer)
        self.report(
            f"ingest{f' {final}' if final else ''}: stored {p.stored} events "
            f"({recent:,.0f}/s now, {p.stored / elapsed:,.0f}/s over {elapsed:.1f}s), "
            f"duplicates {p.duplicates}, dead letters {p.dead_letters}, "
            f"lag {'?' if lag is None else lag}, batches {p.batches}"
        )
