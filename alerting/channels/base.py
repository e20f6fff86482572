"""What every channel type declares, what every channel implements, and the one message it
delivers.

A channel type is one module, ``alerting/channels/<type>.py``, declaring its configuration (a
:class:`ChannelModel` with ``type: Literal["<type>"]`` whose :meth:`~ChannelModel.open` is the
factory) and its :class:`Channel`; :mod:`alerting.channels.registry` registers it in one line.
The module imports its network client (httpx, kafka-python) only when a channel is opened:
every command parses the channel configs, few of them send.

Configuration contract (:class:`ChannelModel`): frozen, unknown fields forbidden, input values
hidden in validation errors (``hide_input_in_errors``), so a bad config never echoes a password,
webhook secret or a token-bearing URL; error messages name the field (pydantic's location,
``channels.<name>.<type>.<field>``) and the rule. Embedding these models in a parent model:
pydantic renders errors with the *outermost* model's settings, so give the parent
``hide_input_in_errors=True`` too. Without it, secrets still never appear (wrap them in
``SecretStr`` in a ``mode="before"`` model validator, and write cross-field rules as field
validators), but a URL or header value could.

Channel contract:

* :meth:`Channel.send` delivers one :class:`Delivery` or raises :class:`DeliveryError`; it
  returns a short human-readable outcome (``"HTTP 204"``, ``"250 OK"``) for the audit trail.
* ``retryable=False`` means retrying cannot help (a 4xx other than 408/429, a rejected
  recipient): the dispatcher dead-letters at once instead of backing off.
* A channel never logs or returns a secret (webhook secret, SMTP password, URL tokens).
* Sending the same :class:`Delivery` twice is allowed (at-least-once); receivers dedup on
  ``notification_id``, which every channel passes on (header, message id, record key).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from typing import Annotated, Any, ClassVar, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from alerting.channels.redaction import redact_url
from alerting.notification import Notification

_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")


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


@dataclass(frozen=True)
class ChannelContext:
    """What opening a channel may need besides its own configuration.

    ``kafka_options``: Kafka connection options such as ``bootstrap_servers`` (see
    ``ingest.connection.kafka_client_options``); ``alerts_topic``: the topic a Kafka channel
    naming none produces to.
    """

    alerts_topic: str = "vendorwatch.alerts"
    kafka_options: Mapping[str, Any] = field(default_factory=dict)


class ChannelModel(BaseModel):
    """The configuration of one channel type (see the module docstring for the contract).

    Subclasses declare ``type: Literal["<type>"]`` (the discriminator of ``[alerting]``'s
    channel tables) and override :meth:`open`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    def open(self, name: str, context: ChannelContext) -> Channel:
        """The channel this configuration describes, named ``name``; the caller must
        ``close()`` it. Opening never contacts a server."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to open its channel")


def http_url(value: str) -> str:
    """``value`` if it is an absolute http(s) URL with a host; ValueError otherwise."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https"):
        shown = parts.scheme or "none"
        raise ValueError(f"must be an http:// or https:// URL (scheme is {shown!r})")
    if not parts.hostname:
        raise ValueError("must name a host (http(s)://host[:port]/path)")
    try:
        _ = parts.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    return value.strip()


def email_address(value: str) -> str:
    """``value`` (``a@b.c`` or ``Name <a@b.c>``) if it holds one plausible address."""
    _, address = parseaddr(value)
    if not _ADDRESS.match(address):
        raise ValueError(f"{value!r} does not look like an email address (name@domain)")
    return value.strip()


Timeout = Annotated[float, Field(gt=0, le=60)]


class HttpChannelModel(ChannelModel):
    """A channel that POSTs to ``url``. Dumped as JSON (``vendorwatch config``) the URL loses
    its query, and its path too where ``_TOKEN_IN_PATH`` (tokens live there)."""

    _TOKEN_IN_PATH: ClassVar[bool] = False

    url: str = Field(repr=False)
    timeout_seconds: Timeout = 5.0

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return http_url(value)

    @field_serializer("url", when_used="json")
    def _shown_url(self, value: str) -> str:
        return redact_url(value, keep_path=not self._TOKEN_IN_PATH)
