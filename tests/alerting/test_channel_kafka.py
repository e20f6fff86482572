"""The Kafka channel: a record on a real broker, and its retryable and permanent errors."""

from __future__ import annotations

import time
import uuid
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer

from alerting.channels.kafka import KafkaChannel, KafkaChannelConfig
from alerting.channels.registry import open_channel
from ingest.topics import create_missing_topics
from tests.alerting.payloads import VENDOR_ID, make_delivery, make_payload, send_error
from tests.alerting.servers import free_port


def test_kafka_record_has_vendor_key_exact_body_and_notification_header(
    kafka_broker: Any,
) -> None:
    topic = f"alerts-{uuid.uuid4().hex[:10]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    try:
        create_missing_topics(admin, [topic], partitions=1)
    finally:
        admin.close()
    options = {"bootstrap_servers": kafka_broker.bootstrap}
    channel = open_channel(
        "kafka", KafkaChannelConfig(type="kafka"), kafka_options=options, alerts_topic=topic
    )
    delivery = make_delivery()
    try:
        assert channel.send(delivery) == f"kafka {topic}[0]@0"
    finally:
        channel.close()
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_broker.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=15_000,
    )
    try:
        record = next(iter(consumer))
    finally:
        consumer.close()
    assert record.key == VENDOR_ID.encode()
    assert record.value == delivery.body
    assert record.headers == [("notification_id", delivery.notification_id.encode())]


def test_kafka_unreachable_broker_is_retryable() -> None:
    options = {"bootstrap_servers": f"127.0.0.1:{free_port()}"}
    channel = KafkaChannel("kafka", "vendorwatch.alerts", options, send_timeout_s=1.0)
    started = time.monotonic()
    try:
        error = send_error(channel)
    finally:
        channel.close()
    assert error.retryable
    assert time.monotonic() - started < 10


def test_kafka_payload_without_vendor_is_permanent() -> None:
    channel = KafkaChannel("kafka", "vendorwatch.alerts", {"bootstrap_servers": "127.0.0.1:1"})
    error = send_error(channel, make_delivery(make_payload(vendor=None)))
    assert not error.retryable
    channel.close()
