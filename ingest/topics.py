"""The topics vendorwatch reads and writes: their names (:class:`Topics`, the ``topics``
settings section) and creating them (local set-ups, tests, the benchmark)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from kafka import KafkaAdminClient
from kafka.errors import TopicAlreadyExistsError, for_code
from pydantic import BaseModel, ConfigDict, field_validator

from ingest.connection import KafkaClientConfig, kafka_client_options


class Topics(BaseModel):
    """Kafka topic names; each is configurable, the defaults are EVENTS.md's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    response_times: str = "vendor.response_times"
    defects: str = "vendor.defects"
    security_incidents: str = "vendor.security_incidents"
    cost_invoices: str = "vendor.cost_invoices"
    registry: str = "vendor.registry"
    dead_letters: str = "vendorwatch.dlq"
    control: str = "vendorwatch.control"
    alerts: str = "vendorwatch.alerts"

    @field_validator("*")
    @classmethod
    def _legal_topic_name(cls, value: str) -> str:
        if not value or len(value) > 249 or not all(c.isalnum() or c in "._-" for c in value):
            raise ValueError("must be 1-249 characters of letters, digits, '.', '_' or '-'")
        return value

    @classmethod
    def prefixed(cls, prefix: str) -> Topics:
        """A topic set whose every name starts with ``prefix.`` (isolated test/benchmark runs)."""
        return cls(**{name: f"{prefix}.{name}" for name in cls.model_fields})

    def event_topics(self) -> dict[str, str]:
        """Map each event topic name to the one ``type`` EVENTS.md allows on it."""
        return {
            self.response_times: "response_time",
            self.defects: "defect",
            self.security_incidents: "security_incident",
            self.cost_invoices: "cost_invoice",
            self.registry: "vendor_profile",
        }


class TopicSettings(KafkaClientConfig, Protocol):
    """What creating the topics needs: the connection and the topic names."""

    @property
    def topics(self) -> Topics: ...


def all_topics(settings: TopicSettings) -> list[str]:
    """Every topic name in the configuration: event topics, dead letters, control, alerts."""
    return list(dict.fromkeys(settings.topics.model_dump().values()))


def create_missing_topics(
    admin: Any,
    names: Sequence[str],
    *,
    partitions: int,
    configs: Mapping[str, str] | None = None,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create those of ``names`` that do not exist (``partitions`` each, replication factor 1,
    topic ``configs``) in one request, and wait until every named topic has a leader for each
    partition. Existing topics are left as they are. Returns the names created.

    Raises ``kafka.errors.KafkaError`` if the broker refuses a topic for another reason than
    that it exists, and ``ValueError`` for ``partitions`` < 1.
    """
    if partitions < 1:
        raise ValueError(f"partitions must be >= 1, got {partitions}")
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return []
    spec = {
        name: {
            "num_partitions": partitions,
            "replication_factor": 1,
            "configs": dict(configs or {}),
        }
        for name in wanted
    }
    timeout_ms = int(timeout_s * 1000)
    result = admin.create_topics(spec, timeout_ms=timeout_ms, raise_errors=False)
    created = []
    for topic in result["topics"]:
        error_type = for_code(topic["error_code"])
        if error_type.errno == TopicAlreadyExistsError.errno:
            continue
        if error_type.errno != 0:
            message = topic.get("error_message") or error_type.description
            raise error_type(f"creating topic {topic['name']!r}: {message}")
        created.append(str(topic["name"]))
    admin.wait_for_topics(wanted, timeout_ms=timeout_ms)
    return [name for name in wanted if name in created]


def ensure_topics(settings: TopicSettings, *, partitions: int = 3) -> list[str]:
    """Create the configured topics that are missing; returns the names created."""
    admin = KafkaAdminClient(**kafka_client_options(settings), client_id="vendorwatch-admin")
    try:
        return create_missing_topics(admin, all_topics(settings), partitions=partitions)
    finally:
        admin.close()
