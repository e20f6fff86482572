"""The engine's reader of the control topic.

Contract: :class:`ControlReader` reads every partition of the control topic without a consumer
group (the engine is the only reader that applies commands), starting at the positions stored
in ``control_offsets`` (:func:`control.apply.next_offsets`), which it reads through a cursor of
its own; :meth:`ControlReader.rewind` makes the next poll start again from the stored positions.
"""

from __future__ import annotations

import duckdb
from kafka import KafkaConsumer, TopicPartition

from control.apply import ensure_tables, next_offsets
from control.send import ControlTopic
from ingest.positions import seek_to_stored
from ingest.records import ConsumedRecord


class ControlReader:
    """Reads the control topic from the positions stored in DuckDB (see the module docstring)."""

    def __init__(self, target: ControlTopic, connection: duckdb.DuckDBPyConnection) -> None:
        """``target``: the control topic and how to reach the broker; ``connection``: the
        engine's store; the reader reads the stored positions through a cursor of its own
        (another connection to the same database), because the store's connection belongs to
        the ingest writer's thread and its open transaction."""
        self._topic = target.topic
        self._connection = connection.cursor()
        ensure_tables(self._connection)
        self._consumer = KafkaConsumer(
            **target.kafka_options,
            group_id=None,
            enable_auto_commit=False,
            client_id="vendorwatch-control",
        )
        self._assigned = False

    def _assign(self) -> bool:
        """Assign every partition and start at the offsets stored in DuckDB."""
        partitions = self._consumer.partitions_for_topic(self._topic)
        if not partitions:
            return False
        assigned = [TopicPartition(self._topic, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        seek_to_stored(self._consumer, assigned, next_offsets(self._connection))
        return True

    def rewind(self) -> None:
        """After a failed cycle: read again from the stored offsets, so no command is skipped
        (those applied already are recognised by their offsets)."""
        self._assigned = False

    def poll(self) -> list[ConsumedRecord]:
        """The commands that arrived since the last poll, in offset order per partition."""
        if not self._assigned:
            self._assigned = self._assign()
            if not self._assigned:
                return []
        batches = self._consumer.poll(timeout_ms=200)
        return [r for tp in sorted(batches, key=lambda t: t.partition) for r in batches[tp]]

    def close(self) -> None:
        self._consumer.close()
        self._connection.close()
