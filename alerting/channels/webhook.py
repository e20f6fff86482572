"""Generic webhook: POST the stored notification bytes, optionally HMAC-signed.

Request contract (what receivers can rely on):

* body: :attr:`Delivery.body` byte for byte (``Content-Type: application/json``);
* ``X-Vendorwatch-Notification-Id`` and ``Idempotency-Key``: the notification id, identical
  on every retry — dedup on it;
* ``X-Vendorwatch-Timestamp``: unix seconds when this attempt was sent, from the
  dispatcher's clock (:attr:`Delivery.attempted_at`; informational);
* ``X-Vendorwatch-Signature: sha256=<hex>`` when a secret is configured: HMAC-SHA256 of the
  **raw body only** with the secret. It does not cover the timestamp, so it is identical
  across retries of the same notification; receivers check it with :func:`verify` (or the
  same HMAC in their language) on the bytes they received, before parsing them.

Outcomes and errors follow :mod:`alerting.channels._http` (2xx ok; 408/429/5xx/timeouts/
connection errors retryable; other 4xx permanent). The secret and the URL's query and
credentials never appear in an error.

Configuration (:class:`WebhookChannelConfig`, ``type = "webhook"``): ``url``, optional
``secret``, extra ``headers`` (never one vendorwatch sets itself), ``timeout_seconds``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from alerting.channels.base import Channel, ChannelContext, Delivery, HttpChannelModel

if TYPE_CHECKING:
    from alerting.channels._http import HttpPoster

SIGNATURE_HEADER = "X-Vendorwatch-Signature"
NOTIFICATION_ID_HEADER = "X-Vendorwatch-Notification-Id"
TIMESTAMP_HEADER = "X-Vendorwatch-Timestamp"
_PREFIX = "sha256="
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
RESERVED_HEADERS = frozenset(
    {"content-type", "content-length", "host", "idempotency-key", "user-agent"}
)
"""Headers the webhook channel sets itself (as do all ``X-Vendorwatch-*``)."""


class WebhookChannelConfig(HttpChannelModel):
    """POST the notification JSON to ``url``, signed with ``secret`` when given."""

    type: Literal["webhook"]
    secret: SecretStr | None = None
    headers: dict[str, str] = Field(default_factory=dict, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _mask_secret(cls, data: Any) -> Any:
        """Wrap the secret at once, so no error echoes it (even inside a parent model)."""
        if isinstance(data, dict) and isinstance(data.get("secret"), str):
            return {**data, "secret": SecretStr(data["secret"])}
        return data

    @field_validator("secret")
    @classmethod
    def _secret_not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            raise ValueError("must not be empty (omit it to send unsigned)")
        return value

    @field_validator("headers")
    @classmethod
    def _headers_are_safe(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header_value in value.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"header name {name!r} is not a valid HTTP token")
            lowered = name.lower()
            if lowered in RESERVED_HEADERS or lowered.startswith("x-vendorwatch-"):
                raise ValueError(f"header {name!r} is set by vendorwatch and cannot be overridden")
            if "\r" in header_value or "\n" in header_value:
                raise ValueError(f"value of header {name!r} must not contain line breaks")
        return value

    def open(self, name: str, context: ChannelContext) -> Channel:
        return WebhookChannel(name, self)


def sign(body: bytes, secret: str) -> str:
    """The ``X-Vendorwatch-Signature`` value for ``body``: ``"sha256=<hex HMAC-SHA256>"``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify(body: bytes, secret: str, header_value: str | None) -> bool:
    """True when ``header_value`` is the signature of ``body`` under ``secret``.

    Constant-time comparison (:func:`hmac.compare_digest`); a missing or malformed header
    is simply False.
    """
    if not header_value:
        return False
    return hmac.compare_digest(sign(body, secret).encode(), header_value.strip().encode())


class WebhookChannel:
    """A configured webhook destination; one pooled HTTP client per channel."""

    def __init__(self, name: str, config: WebhookChannelConfig) -> None:
        from alerting.channels._http import HttpPoster  # httpx only where alerts are sent

        self.name = name
        self._secret = config.secret.get_secret_value() if config.secret else None
        self._poster: HttpPoster = HttpPoster(
            config.url,
            timeout_seconds=config.timeout_seconds,
            headers=config.headers,
            secrets=[self._secret] if self._secret else [],
        )

    def __repr__(self) -> str:
        return f"WebhookChannel(name={self.name!r}, target={self._poster.target!r})"

    def headers_for(self, delivery: Delivery) -> dict[str, str]:
        """The per-attempt headers (signature, ids, timestamp) for ``delivery``."""
        headers = {
            "Content-Type": "application/json",
            NOTIFICATION_ID_HEADER: delivery.notification_id,
            "Idempotency-Key": delivery.notification_id,
            TIMESTAMP_HEADER: str(int(delivery.attempted_at.timestamp())),
        }
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(delivery.body, self._secret)
        return headers

    def send(self, delivery: Delivery) -> str:
        """POST ``delivery.body``; returns ``"HTTP <status>"`` or raises DeliveryError."""
        return self._poster.post(delivery.body, self.headers_for(delivery))

    def close(self) -> None:
        self._poster.close()
