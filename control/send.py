"""Building a control command and producing it to the control topic: all the dashboard and the
command line do with one.

Contract:

* :func:`build_command` returns the command document (what goes on the topic) with the common
  fields filled in — ``issued_at`` is the ``now`` it is given (the caller's injected clock),
  ``command_id`` the given one or ``<type>-<uuid4>`` — and the fields that are not None; it is
  validated with the engine's own model, so a bad command stops here with the engine's message
  (:class:`~control.model.InvalidCommand`) instead of being rejected later; the document keeps
  the fields as given (``"22:00"`` stays ``"22:00"``);
* :func:`produce_command` produces a document with key :data:`CONTROL_KEY` and waits up to
  ``timeout`` seconds for the broker's acknowledgement (``acks=all``);
  :class:`CommandNotSent` when Kafka cannot take it. The engine validates and applies it when
  it reads it and audits the outcome in ``command_log``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError

from control.model import Command, InvalidCommand, type_name, validation_reason

CONTROL_KEY = b"vendorwatch-control"
"""Every command has this key, so all land on one partition and the engine applies them in
the order they were sent (a silence and its unsilence, a policy and its correction)."""


@dataclass(frozen=True)
class ControlTopic:
    """Where commands go: the control topic's name and the kafka-python client options
    (bootstrap servers, security) to reach its broker."""

    topic: str
    kafka_options: Mapping[str, Any]


class CommandNotSent(Exception):
    """Kafka could not take the command: ``topic`` and the ``cause`` as Kafka put it."""

    def __init__(self, topic: str, cause: Exception) -> None:
        super().__init__(f"could not send to {topic}: {cause}")
        self.topic = topic
        self.cause = cause


def build_command(
    model: type[Command],
    *,
    now: datetime,
    issued_by: str,
    command_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A validated command document of type ``model`` issued at ``now`` by ``issued_by`` (see
    the module docstring); :class:`~control.model.InvalidCommand` naming the field when the
    engine's model refuses it."""
    kind = type_name(model)
    document = {
        "type": kind,
        "command_id": command_id or f"{kind}-{uuid.uuid4()}",
        "issued_at": now.isoformat(),
        "issued_by": issued_by,
        **{k: v for k, v in fields.items() if v is not None},
    }
    try:
        model.model_validate(document)
    except ValidationError as error:
        raise InvalidCommand(validation_reason(error)) from None
    return document


def produce_command(
    target: ControlTopic, document: Mapping[str, Any], *, timeout: float = 30
) -> None:
    """Produce ``document`` to ``target`` and wait up to ``timeout`` seconds for the broker's
    acknowledgement; :class:`CommandNotSent` when Kafka cannot take it."""
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    try:
        producer = KafkaProducer(
            **target.kafka_options, acks="all", max_block_ms=int(timeout * 1000)
        )
    except KafkaError as exc:
        raise CommandNotSent(target.topic, exc) from None
    try:
        value = orjson.dumps(document, default=str)
        producer.send(target.topic, value, key=CONTROL_KEY).get(timeout=timeout)
    except KafkaError as exc:
        raise CommandNotSent(target.topic, exc) from None
    finally:
        producer.close(timeout=timeout)
