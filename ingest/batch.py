"""Sorting one polled batch into contract-abiding events and dead letters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.contract import ContractViolation, parse_event
from ingest.records import AcceptedEvent, ConsumedRecord, DeadLetter


@dataclass(frozen=True)
class RecordChecks:
    """What a record is checked against besides the models: the type allowed on each topic,
    how far in the future ``occurred_at`` may be, and the largest accepted record value."""

    type_by_topic: Mapping[str, str]
    max_future_skew: timedelta
    max_record_bytes: int

    def topics_of(self, event_type: str) -> list[str]:
        """The topics on which ``event_type`` is the allowed type."""
        return sorted(t for t, allowed in self.type_by_topic.items() if allowed == event_type)


def classify(
    records: Iterable[ConsumedRecord],
    *,
    type_by_topic: Mapping[str, str],
    received_at: datetime,
    max_future_skew: timedelta,
    max_record_bytes: int,
) -> tuple[list[AcceptedEvent], list[DeadLetter]]:
    """Validate each record against the contract for its topic; never raises for bad input."""
    accepted: list[AcceptedEvent] = []
    rejected: list[DeadLetter] = []
    for record in records:
        value = record.value
        if value is None:
            rejected.append(DeadLetter(record, "record has no value (a tombstone is not an event)"))
            continue
        allowed = type_by_topic.get(record.topic)
        if allowed is None:
            rejected.append(DeadLetter(record, f"topic {record.topic!r} is not an event topic"))
            continue
        try:
            event = parse_event(
                value,
                allowed_type=allowed,
                received_at=received_at,
                max_future_skew=max_future_skew,
                max_record_bytes=max_record_bytes,
            )
        except ContractViolation as violation:
            rejected.append(DeadLetter(record, violation.reason))
        else:
            accepted.append(AcceptedEvent(record, event))
    return accepted, rejected
