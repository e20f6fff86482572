"""What every channel implements, and the one message it delivers.

Contract:

* :meth:`Channel.send` delivers one :class:`Delivery` or raises :class:`DeliveryError`; it
  returns a short human-readable outcome (``"HTTP 204"``, ``"250 OK"``) for the audit trail.
* ``retryable=False`` means retrying cannot help (a 4xx other than 408/429, a rejected
  recipient): the dispatcher dead-letters at once instead of backing off.
* A channel never logs or returns a secret (webhook secret, SMTP password, URL tokens).
* Sending the same :class:`Delivery` twice is allowed (at-least-once); receivers dedup on
  ``notification_id``, which every channel passes on (header, message id, record key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from alerting.notification import Notification


@dataclass(frozen=True)
class Delivery:
    """One outbox message: the notification document, and its exact serialised bytes.

    ``body`` is what was stored in the outbox when the state change committed, so every retry
    sends (and signs) byte-identical content. ``notification`` is that body parsed once, by
    the dispatcher, with the document's model (``vendorwatch.notification/1``,
    docs/alerting.md): channels that render (Slack, email) render from it. ``attempted_at``
    is this attempt's instant from the dispatcher's injected clock: channels never read the
    wall clock.
    """

    notification_id: str
    channel: str
    notification: Notification
    body: bytes
    attempted_at: datetime


class DeliveryError(Exception):
    """A delivery failed; ``str()`` says why without any secret."""

    def __init__(self, detail: str, *, retryable: bool = True) -> None:
        super().__init__(detail)
        self.retryable = retryable


class Channel(Protocol):
    """A configured destination."""

    name: str

    def send(self, delivery: Delivery) -> str: ...

    def close(self) -> None: ...
