"""The topics vendorwatch reads and writes: their names (:class:`Topics`) and creating them
(local set-ups, tests, the benchmark).

:class:`Topics` holds one name per registered event kind (key: the kind's ``topic_setting``,
default its ``default_topic``), then the engine's own topics. Each is configurable
(``[topics] <name>`` in TOML, ``VENDORWATCH_TOPICS__<NAME>``); a key that is neither a
registered kind's nor the engine's is an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from ingest.connection import KafkaClientConfig, kafka_client_options
from ingest.kinds import KINDS, kind_of

_DEFAULT_EVENT_TOPICS = {kind.topic_setting: kind.default_topic for kind in KINDS}


def _legal_topic_name(value: str) -> str:
    if not value or len(value) > 249 or not all(c.isalnum() or c in "._-" for c in value):
        raise ValueError("must be 1-249 characters of letters, digits, '.', '_' or '-'")
    return value


def _event_topic_setting(name: str) -> str:
    if name not in _DEFAULT_EVENT_TOPICS:  # worded and located as an unknown field is
        raise PydanticCustomError("extra_forbidden", "Extra inputs are not permitted")
    return name


TopicName = Annotated[str, AfterValidator(_legal_topic_name)]
"""A legal Kafka topic name."""


class Topics(BaseModel):
    """Kafka topic names, frozen; the defaults are EVENTS.md's (and, for a kind added since,
    its module's).

    The event topics are keyed by the kinds' ``topic_setting`` (``response_times``,
    ``defects``, ...), read with :meth:`of` (by kind) or :meth:`event_topics`; they are the
    model's validated extra keys, so the registry, not this class, says which exist (at run
    time ``topics.defects`` reads one too, untyped). The engine's own topics are fields."""

    model_config = ConfigDict(frozen=True, extra="allow")
    __pydantic_extra__: dict[Annotated[str, AfterValidator(_event_topic_setting)], TopicName] = (
        Field(init=False)
    )

    dead_letters: TopicName = "vendorwatch.dlq"
    control: TopicName = "vendorwatch.control"
    alerts: TopicName = "vendorwatch.alerts"

    @model_validator(mode="before")
    @classmethod
    def _default_event_topics(cls, data: Any) -> Any:
        return {**_DEFAULT_EVENT_TOPICS, **data} if isinstance(data, Mapping) else data

    @classmethod
    def prefixed(cls, prefix: str) -> Topics:
        """A topic set whose every name starts with ``prefix.`` (isolated test/benchmark runs)."""
        names = (*_DEFAULT_EVENT_TOPICS, *cls.model_fields)
        return cls(**{name: f"{prefix}.{name}" for name in names})

    def of(self, event_type: str) -> str:
        """The topic of the kind ``event_type``; ``KeyError`` for an unregistered kind."""
        return self._event_topic(kind_of(event_type).topic_setting)

    def event_topics(self) -> dict[str, str]:
        """Map each event topic name to the one ``type`` allowed on it (registry order)."""
        return {self._event_topic(kind.topic_setting): kind.type for kind in KINDS}

    def names(self) -> list[str]:
        """Every topic name once: the event topics (registry order), dead letters, control,
        alerts."""
        engine = (self.dead_letters, self.control, self.alerts)
        return list(dict.fromkeys((*self.event_topics(), *engine)))

    def _event_topic(self, setting: str) -> str:
        return str((self.model_extra or {})[setting])


class TopicSettings(KafkaClientConfig, Protocol):
    """What creating the topics needs: the connection and the topic names."""

    @property
    def topics(self) -> Topics: ...


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
        return create_missing_topics(admin, settings.topics.names(), partitions=partitions)
    finally:
        admin.close()
