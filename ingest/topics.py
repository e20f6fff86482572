"""The topics vendorwatch reads and writes: their names (:class:`Topics`) and creating them
(local set-ups, tests, the benchmark).

:class:`Topics` has one setting per registered event kind (its ``topic_setting``, default its
``default_topic``), built from the registry, then the engine's own topics. Each is configurable
(``VENDORWATCH_TOPICS__<NAME>``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, create_model, field_validator

from ingest.connection import KafkaClientConfig, kafka_client_options
from ingest.kinds import KINDS


class _TopicNames(BaseModel):
    """Legal Kafka topic names, frozen, no unknown names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*")
    @classmethod
    def _legal_topic_name(cls, value: str) -> str:
        if not value or len(value) > 249 or not all(c.isalnum() or c in "._-" for c in value):
            raise ValueError("must be 1-249 characters of letters, digits, '.', '_' or '-'")
        return value


if TYPE_CHECKING:
    _EventTopics = _TopicNames
else:  # one field per registered kind, in registry order
    _EventTopics = create_model(
        "_EventTopics",
        __base__=_TopicNames,
        **{kind.topic_setting: (str, kind.default_topic) for kind in KINDS},
    )


class Topics(_EventTopics):
    """Kafka topic names; each is configurable, the defaults are EVENTS.md's (and, for a kind
    added since, its module's). The event topics' attributes are the kinds' ``topic_setting``
    names (``response_times``, ``defects``, ...): :meth:`of_kind` reads one by kind."""

    dead_letters: str = "vendorwatch.dlq"
    control: str = "vendorwatch.control"
    alerts: str = "vendorwatch.alerts"

    if TYPE_CHECKING:  # the event topics are fields built from the registry

        def __getattr__(self, name: str) -> str: ...

    @classmethod
    def prefixed(cls, prefix: str) -> Topics:
        """A topic set whose every name starts with ``prefix.`` (isolated test/benchmark runs)."""
        return cls(**{name: f"{prefix}.{name}" for name in cls.model_fields})

    def of_kind(self, event_type: str) -> str:
        """The topic of the kind ``event_type``; ``KeyError`` for an unregistered kind."""
        for kind in KINDS:
            if kind.type == event_type:
                return str(getattr(self, kind.topic_setting))
        raise KeyError(event_type)

    def event_topics(self) -> dict[str, str]:
        """Map each event topic name to the one ``type`` allowed on it."""
        return {str(getattr(self, kind.topic_setting)): kind.type for kind in KINDS}


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
    from kafka.errors import TopicAlreadyExistsError, for_code  # as in ensure_topics

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
    from kafka import KafkaAdminClient  # the settings import this module: keep them light

    admin = KafkaAdminClient(**kafka_client_options(settings), client_id="vendorwatch-admin")
    try:
        return create_missing_topics(admin, all_topics(settings), partitions=partitions)
    finally:
        admin.close()
