"""Sending a command to the engine on the control topic (``policy set``, ``alerts ack`` ...).

The engine validates and applies it when it reads it and audits the outcome in
``command_log``; here the command is only checked for what the sender can know.
Exit status: 1 when Kafka cannot take the record.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import typer

from ingest.connection import kafka_client_options
from ingest.topics import TopicSettings
from vendorwatch.clock import utc_now
from vendorwatch.settings import Settings


def new_command(kind: str, issued_by: str, command_id: str | None, **fields: Any) -> dict[str, Any]:
    """A command document with the common fields filled in (``issued_at``: now, UTC)."""
    return {
        "type": kind,
        "command_id": command_id or f"{kind}-{uuid.uuid4()}",
        "issued_at": utc_now().isoformat(),
        "issued_by": issued_by,
        **{k: v for k, v in fields.items() if v is not None},
    }


CONTROL_KEY = b"vendorwatch-control"
"""Every command has this key, so all land on one partition and the engine applies them in
the order they were sent (a silence and its unsilence, a policy and its correction)."""


def produce_command(
    settings: TopicSettings, command: dict[str, Any], *, timeout: float = 30
) -> None:
    """Produce ``command`` to the control topic and wait up to ``timeout`` seconds for the
    broker's acknowledgement; raises ``kafka.errors.KafkaError`` when Kafka cannot take it."""
    from kafka import KafkaProducer

    producer = KafkaProducer(
        **kafka_client_options(settings), acks="all", max_block_ms=int(timeout * 1000)
    )
    try:
        value = orjson.dumps(command, default=str)
        producer.send(settings.topics.control, value, key=CONTROL_KEY).get(timeout=timeout)
    finally:
        producer.close(timeout=timeout)


def send_command(settings: Settings, command: dict[str, Any]) -> None:
    """Produce ``command`` to the control topic and wait for the broker's acknowledgement;
    exit status 1 with a message when Kafka cannot take it."""
    from kafka.errors import KafkaError

    try:
        produce_command(settings, command)
    except KafkaError as exc:
        typer.echo(f"vendorwatch: could not send to {settings.topics.control}: {exc}", err=True)
        raise typer.Exit(1) from None
