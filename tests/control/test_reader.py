"""The engine's control-topic reader, against the real broker."""

from __future__ import annotations

import time

from kafka import KafkaProducer

from control.apply import ensure_tables
from control.reader import ControlReader
from control.send import ControlTopic
from ingest.store import EventStore
from tests.conftest import SettingsFactory
from vendorwatch.settings import kafka_client_options


def test_the_control_reader_reads_positions_on_its_own_connection(
    settings_factory: SettingsFactory, producer: KafkaProducer
) -> None:
    """The engine's connection belongs to the ingest writer, which keeps a transaction open
    while it stages: the reader (on the metrics thread) must not read, or run, inside it."""
    settings = settings_factory(partitions=1)
    store = EventStore(settings.db)
    ensure_tables(store.connection)
    producer.send(settings.topics.control, value=b'{"command": "first"}')
    producer.flush()
    store.connection.begin()  # what the writer has open, uncommitted: "offset 0 applied"
    store.connection.execute(
        "INSERT INTO control_offsets VALUES (?, 0, 1)", [settings.topics.control]
    )
    target = ControlTopic(settings.topics.control, kafka_client_options(settings))
    reader = ControlReader(target, store.connection)
    try:
        deadline = time.monotonic() + 20
        polled = reader.poll()
        while not polled and time.monotonic() < deadline:
            polled = reader.poll()
        assert [(r.offset, r.value) for r in polled] == [(0, b'{"command": "first"}')]
    finally:
        reader.close()
        store.connection.rollback()
        store.close()
