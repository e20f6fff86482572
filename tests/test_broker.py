"""Integration tests for `tests.broker.LocalBroker` against a real Kafka broker.

No mocks: a KRaft broker is resolved from Maven Central (first run only) and started on free
ports in a temporary directory, so these tests run beside a developer's broker on 9092.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from tests.broker import SCRIPT, LocalBroker


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """One broker shared by the module (starting one costs a few seconds)."""
    local = LocalBroker(tmp_path_factory.mktemp("kafka") / "data")
    with local:
        yield local


def _produce(broker: LocalBroker, topic: str, key: bytes, value: bytes) -> tuple[int, int]:
    """Produce one record, wait for the ack, return its (partition, offset)."""
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    try:
        meta = producer.send(topic, key=key, value=value).get(timeout=30)
    finally:
        producer.close()
    return meta.partition, meta.offset


def _read_all(broker: LocalBroker, topic: str, expected: int) -> list[tuple[bytes, bytes]]:
    """Read a topic from the beginning until `expected` records arrived (or 30 s passed)."""
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False)
    try:
        partitions = consumer.partitions_for_topic(topic)
        assert partitions, f"topic {topic} has no partitions"
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        consumer.seek_to_beginning()
        records: list[tuple[bytes, bytes]] = []
        deadline = time.monotonic() + 30
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend((r.key, r.value) for r in batch)
        return records
    finally:
        consumer.close()


def _pid(broker: LocalBroker) -> str:
    return (broker.data_dir / "broker.pid").read_text().strip()


def test_script_lives_where_broker_module_expects_it() -> None:
    assert SCRIPT.is_file()
    assert SCRIPT.stat().st_mode & 0o111, "scripts/kafka-local.sh must be executable"


def test_status_reports_running(broker: LocalBroker) -> None:
    assert broker.is_running()
    status = broker.status()
    assert status.startswith("running"), status
    assert broker.bootstrap in status


def test_status_reports_stopped_for_a_broker_never_started(tmp_path: Path) -> None:
    never_started = LocalBroker(tmp_path / "idle")
    assert not never_started.is_running()
    assert never_started.status().startswith("stopped")
    never_started.stop()  # stopping a stopped broker is a no-op


def test_start_twice_is_idempotent(broker: LocalBroker) -> None:
    pid_before = _pid(broker)
    broker.start()
    assert _pid(broker) == pid_before
    assert broker.is_running()


def test_produce_and_consume_a_record(broker: LocalBroker) -> None:
    broker.create_topics(["roundtrip"])
    _produce(broker, "roundtrip", b"vendor-1", b'{"event": "delivered"}')
    assert _read_all(broker, "roundtrip", 1) == [(b"vendor-1", b'{"event": "delivered"}')]


def test_create_topics_with_three_partitions_is_idempotent(broker: LocalBroker) -> None:
    broker.create_topics(["three-a", "three-b"], partitions=3)
    broker.create_topics(["three-a", "one"], partitions=1)  # three-a exists: left unchanged
    partitions = broker.topic_partitions()
    assert partitions["three-a"] == 3
    assert partitions["three-b"] == 3
    assert partitions["one"] == 1


def test_second_broker_runs_side_by_side(broker: LocalBroker, tmp_path: Path) -> None:
    with LocalBroker(tmp_path / "second", heap="-Xmx256m -Xms64m") as second:
        assert second.port not in (broker.port, broker.controller_port)
        second.create_topics(["only-on-second"], partitions=1)
        assert "only-on-second" in second.topic_partitions()
        assert "only-on-second" not in broker.topic_partitions()
        assert broker.is_running()
    assert not second.is_running()
    assert broker.is_running()


@pytest.mark.slow
def test_topics_records_and_offsets_survive_a_restart(broker: LocalBroker) -> None:
    broker.create_topics(["durable"], partitions=3)
    partition, offset = _produce(broker, "durable", b"vendor-7", b"before-restart")

    group = KafkaConsumer(
        bootstrap_servers=broker.bootstrap, group_id="durable-readers", enable_auto_commit=False
    )
    tp = TopicPartition("durable", partition)
    group.assign([tp])
    group.commit({tp: OffsetAndMetadata(offset + 1, "", -1)})
    group.close()

    port, controller_port = broker.port, broker.controller_port
    broker.stop()
    assert not broker.is_running()
    assert broker.status().startswith("stopped")

    broker.start()
    assert (broker.port, broker.controller_port) == (port, controller_port)
    assert broker.is_running()
    assert broker.topic_partitions()["durable"] == 3
    assert _read_all(broker, "durable", 1) == [(b"vendor-7", b"before-restart")]

    group = KafkaConsumer(
        bootstrap_servers=broker.bootstrap, group_id="durable-readers", enable_auto_commit=False
    )
    try:
        assert group.committed(tp) == offset + 1
    finally:
        group.close()

    # The broker keeps working after the restart: restart() is stop + start on the same ports.
    broker.restart()
    _produce(broker, "durable", b"vendor-7", b"after-restart")
    assert [v for _, v in _read_all(broker, "durable", 2)] == [b"before-restart", b"after-restart"]
