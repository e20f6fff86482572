"""What flows through ingest: Kafka records, and their fate under the contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ingest.contract import EventBase


class ConsumedRecord(Protocol):
    """What the store needs of a Kafka record (kafka-python's ``ConsumerRecord`` fits)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Record:
    """A plain record, for tests and tools that do not read from Kafka."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record that broke the contract, with the reason a person can act on."""

    record: ConsumedRecord
    reason: str


@dataclass(frozen=True, slots=True)
class AcceptedEvent:
    """A record that passed the contract, with its typed event."""

    record: ConsumedRecord
    event: EventBase
