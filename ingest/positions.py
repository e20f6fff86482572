"""Where ingest reads from: the consumer's configuration, and positions taken from DuckDB.

DuckDB, not Kafka's group coordinator, is the source of truth for positions: every reader the
engine runs (ingest, the control reader) seeks each partition to the next offset stored in
DuckDB, or to the beginning of a partition the store has never seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from ingest.connection import kafka_client_options
from ingest.settings import IngestSettings


def consumer_options(settings: IngestSettings) -> dict[str, Any]:
    """The kafka-python consumer configuration ingest uses (raw bytes, manual offsets)."""
    return {
        **kafka_client_options(settings),
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_records": settings.batch_max_records,
        # kafka-python keeps whole fetch responses until polled: 1 MiB per partition (its
        # default) reads as fast here as 8 MiB did and holds ~100 MB less (make bench).
        "fetch_max_bytes": 50 * 1024 * 1024,
        "max_partition_fetch_bytes": max(1024 * 1024, settings.max_record_bytes + 1024),
        "receive_buffer_bytes": 4 * 1024 * 1024,
        "client_id": "vendorwatch-ingest",
    }


def seek_to_stored(
    consumer: KafkaConsumer,
    partitions: Iterable[TopicPartition],
    stored: Mapping[tuple[str, int], int],
) -> None:
    """Position each partition at its next offset as stored in DuckDB (the truth for every
    reader the engine runs), or at the beginning when none is stored yet."""
    for tp in partitions:
        position = stored.get((tp.topic, tp.partition))
        if position is None:
            consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, position)
