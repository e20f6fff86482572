"""Publishing dead letters to the dead-letter topic (the DuckDB ``dead_letters`` table is the
record of truth; the topic lets other systems react).

Each dead letter is re-published with its original key and value, and headers saying where it
came from and why it was refused. A value over ``max_value_bytes`` is cut to that size (header
``vendorwatch.truncated_from`` gives the original size; the store keeps it whole), so an
oversized record can never make publication, and with it the consumer, fail.

Publication happens inside the store transaction, before commit, so a crash can publish a dead
letter twice but never lose one; consumers of the topic deduplicate on the
``vendorwatch.source`` header (topic/partition/offset).
"""

from __future__ import annotations

from kafka import KafkaProducer

from ingest.connection import kafka_client_options
from ingest.records import DeadLetter
from ingest.settings import IngestSettings


class DeadLetterPublisher:
    """Sends dead letters to the configured dead-letter topic and waits for the broker's ack."""

    def __init__(
        self,
        settings: IngestSettings,
        *,
        flush_timeout_s: float = 30.0,
        max_value_bytes: int = 65_536,
    ) -> None:
        self.settings = settings
        self.topic = settings.topics.dead_letters
        self.flush_timeout_s = flush_timeout_s
        self.max_value_bytes = max_value_bytes
        self._producer: KafkaProducer | None = None

    def _opened(self) -> KafkaProducer:
        """The producer, created with the first dead letter: an idle producer's network
        thread still competes for the GIL with the consumer and the store writer."""
        if self._producer is None:
            self._producer = KafkaProducer(
                **kafka_client_options(self.settings),
                client_id="vendorwatch-dead-letters",
            )
        return self._producer

    def publish(self, dead_letters: list[DeadLetter]) -> None:
        """Send every dead letter and block until all are acknowledged; raises on failure."""
        if not dead_letters:
            return
        producer = self._opened()
        futures = []
        for dead in dead_letters:
            record = dead.record
            headers = [
                ("vendorwatch.reason", dead.reason.encode("utf-8")),
                (
                    "vendorwatch.source",
                    f"{record.topic}/{record.partition}/{record.offset}".encode(),
                ),
                ("vendorwatch.topic", record.topic.encode("utf-8")),
                ("vendorwatch.partition", str(record.partition).encode()),
                ("vendorwatch.offset", str(record.offset).encode()),
            ]
            value = record.value if record.value is not None else b""
            if len(value) > self.max_value_bytes:
                headers.append(("vendorwatch.truncated_from", str(len(value)).encode()))
                value = value[: self.max_value_bytes]
            futures.append(producer.send(self.topic, key=record.key, value=value, headers=headers))
        producer.flush(timeout=self.flush_timeout_s)
        for future in futures:
            future.get(timeout=self.flush_timeout_s)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=self.flush_timeout_s)
            self._producer = None
