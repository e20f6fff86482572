"""The deliver stage: one outbox message sent once through its channel.

Contract of :func:`deliver`:

* the channel receives a :class:`~alerting.channels.base.Delivery` with the message's stored
  body byte for byte (so a retry re-sends and re-signs identical bytes), that body parsed
  once into the :class:`~alerting.notification.Notification` model, and the attempt's
  instant from the injected clock (``attempted_at``: webhook timestamp, email ``Date``);
* the outcome is an :class:`Attempt`, never an exception: a :class:`DeliveryError` keeps its
  ``retryable``; any other exception (a channel bug) is retryable, so one broken channel never
  stops the others; a channel no longer configured, or a stored body that is not a
  notification document, is a permanent failure;
* ``seconds`` is the send's duration, measured with the monotonic performance counter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from alerting.channels.base import Channel, Delivery, DeliveryError
from alerting.notification import parse_notification


@dataclass(frozen=True)
class Due:
    """A pending outbox message whose next attempt has come."""

    notification_id: str
    channel: str
    body: str
    attempt: int
    """The number this attempt will have (1 for the first)."""


@dataclass(frozen=True)
class Attempt:
    """The outcome of sending one message once."""

    notification_id: str
    channel: str
    attempt: int
    started_at: datetime
    seconds: float
    delivered: bool
    retryable: bool
    detail: str


def deliver(channel: Channel | None, message: Due, started_at: datetime) -> Attempt:
    """Send ``message`` through ``channel`` (None: not configured) at ``started_at``."""
    identity, name = message.notification_id, message.channel
    if channel is None:
        detail = f"channel {name!r} is not configured (any more)"
        return Attempt(identity, name, message.attempt, started_at, 0.0, False, False, detail)
    body = message.body.encode()
    try:
        document = parse_notification(body)
    except ValidationError as error:
        detail = f"the stored body is not a notification document: {error.errors()[0]['msg']}"
        return Attempt(identity, name, message.attempt, started_at, 0.0, False, False, detail)
    delivery = Delivery(identity, name, document, body, attempted_at=started_at)
    clock = time.perf_counter()
    try:
        detail, delivered, retryable = channel.send(delivery), True, True
    except DeliveryError as error:
        detail, delivered, retryable = str(error), False, error.retryable
    except Exception as error:  # a channel bug must not stop the others
        detail, delivered, retryable = f"{type(error).__name__}: {error}", False, True
    seconds = time.perf_counter() - clock
    number = message.attempt
    return Attempt(identity, name, number, started_at, seconds, delivered, retryable, detail)
