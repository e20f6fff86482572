"""Reading back what ingest published to the dead-letter topic (broker tests)."""

from __future__ import annotations

from typing import Any

from kafka import KafkaConsumer

from vendorwatch.settings import Settings


def published_dead_letters(settings: Settings) -> list[Any]:
    """Every record on ``settings``' dead-letter topic, from the start (waits up to 5 s for
    the next one: call it once the publisher has flushed)."""
    consumer = KafkaConsumer(
        settings.topics.dead_letters,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    try:
        return list(consumer)
    finally:
        consumer.close()
