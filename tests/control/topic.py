"""Reading back what was sent to a control topic, as the engine's reader would see it."""

from __future__ import annotations

from typing import Any

from kafka import KafkaConsumer, TopicPartition

from vendorwatch.settings import Settings


def control_records(
    settings: Settings, *, partitions: int = 3, timeout_ms: int = 3000
) -> list[Any]:
    """Every record on ``settings.topics.control`` (``partitions`` partitions), from the start,
    in offset order; waits up to ``timeout_ms`` for more before returning."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, consumer_timeout_ms=timeout_ms
    )
    try:
        consumer.assign([TopicPartition(settings.topics.control, p) for p in range(partitions)])
        consumer.seek_to_beginning()
        records = list(consumer)
    finally:
        consumer.close()
    return sorted(records, key=lambda r: r.offset)
