"""Kafka: produce the notification bytes to a topic (default ``vendorwatch.alerts``).

Record contract: value = :attr:`Delivery.body` byte for byte; key = the vendor id
(``notification.vendor.vendor_id``, UTF-8), so one vendor's notifications stay in order on
one partition; header ``notification_id`` = the notification id (UTF-8) for consumers' dedup.

The producer is idempotent with ``acks="all"`` (kafka-python 3.x supports
``enable_idempotence``; both are forced, whatever ``producer_options`` say). It is created on
the first :meth:`KafkaChannel.send`, so opening the channel never blocks on an unreachable
broker. :meth:`send` waits up to ``send_timeout_s`` for the broker's acknowledgement.

Errors: any ``KafkaError`` (no broker, timeout, leader moves, authorisation) is a retryable
:class:`DeliveryError`; a notification without a vendor id, or a record the client refuses
(invalid topic name, bad header types), is permanent.

Configuration (:class:`KafkaChannelConfig`, ``type = "kafka"``): ``topic``, else the configured
alerts topic. kafka-python is imported when the first record is produced.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Literal

from pydantic import field_validator

from alerting.channels.base import Channel, ChannelContext, ChannelModel, Delivery, DeliveryError
from alerting.channels.redaction import scrub

DEFAULT_SEND_TIMEOUT_S = 10.0
_SECRET_OPTIONS = ("sasl_plain_password", "ssl_password")
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


class KafkaChannelConfig(ChannelModel):
    """Produce the notification JSON to ``topic`` (default: the configured alerts topic)."""

    type: Literal["kafka"]
    topic: str | None = None

    @field_validator("topic")
    @classmethod
    def _valid_topic(cls, value: str | None) -> str | None:
        if value is not None and not _TOPIC.match(value):
            raise ValueError("must be 1-249 characters from [A-Za-z0-9._-]")
        return value

    def open(self, name: str, context: ChannelContext) -> Channel:
        return KafkaChannel(name, self.topic or context.alerts_topic, dict(context.kafka_options))


class KafkaChannel:
    """A topic as an alert destination; one lazily created producer per channel."""

    def __init__(
        self,
        name: str,
        topic: str,
        producer_options: dict[str, Any],
        *,
        send_timeout_s: float = DEFAULT_SEND_TIMEOUT_S,
    ) -> None:
        self.name = name
        self.topic = topic
        self._timeout = send_timeout_s
        block_ms = int(send_timeout_s * 1000)
        self._options: dict[str, Any] = {
            "client_id": f"vendorwatch-alerts-{name}",
            "max_block_ms": block_ms,
            "bootstrap_timeout_ms": block_ms,
            **producer_options,
            "acks": "all",
            "enable_idempotence": True,
        }
        self._secrets = [
            str(producer_options[k]) for k in _SECRET_OPTIONS if producer_options.get(k)
        ]
        self._producer: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KafkaChannel(name={self.name!r}, topic={self.topic!r})"

    def send(self, delivery: Delivery) -> str:
        """Produce and wait for the acknowledgement; returns ``"kafka <topic>[p]@offset"``."""
        vendor = delivery.notification.vendor
        vendor_id = vendor.vendor_id if vendor is not None else None
        if not vendor_id:
            raise DeliveryError(
                "notification has no vendor.vendor_id for the record key", retryable=False
            )
        from kafka.errors import KafkaError

        headers = [("notification_id", delivery.notification_id.encode("utf-8"))]
        try:
            producer = self._ensure_producer()
            future = producer.send(
                self.topic, value=delivery.body, key=vendor_id.encode("utf-8"), headers=headers
            )
            metadata = future.get(timeout=self._timeout)
        except KafkaError as exc:
            raise self._error(f"{exc}", retryable=True) from None
        except (ValueError, TypeError) as exc:
            raise self._error(f"record refused: {exc}", retryable=False) from None
        return f"kafka {metadata.topic}[{metadata.partition}]@{metadata.offset}"

    def close(self) -> None:
        """Flush and close the producer (if one was created)."""
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            producer.close(timeout=self._timeout)

    def _ensure_producer(self) -> Any:
        with self._lock:
            if self._producer is None:
                from kafka import KafkaProducer

                self._producer = KafkaProducer(**self._options)
            return self._producer

    def _error(self, detail: str, *, retryable: bool) -> DeliveryError:
        message = f"produce to {self.topic!r} failed: {detail}"
        return DeliveryError(scrub(message, self._secrets), retryable=retryable)
