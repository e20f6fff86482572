"""Creating the topics vendorwatch reads and writes (for local set-ups and tests)."""

from __future__ import annotations

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from vendorwatch.settings import Settings, kafka_client_options


def all_topics(settings: Settings) -> list[str]:
    """Every topic name in the configuration: event topics, dead letters, control, alerts."""
    return list(dict.fromkeys(settings.topics.model_dump().values()))


def ensure_topics(settings: Settings, *, partitions: int = 3) -> list[str]:
    """Create the configured topics that are missing; returns the names created."""
    admin = KafkaAdminClient(**kafka_client_options(settings), client_id="vendorwatch-admin")
    try:
        existing = set(admin.list_topics())
        missing = [t for t in all_topics(settings) if t not in existing]
        created = []
        for topic in missing:
            try:
                admin.create_topics([NewTopic(topic, partitions, 1)])
                created.append(topic)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        admin.close()
