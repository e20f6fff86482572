"""Configuration of each delivery channel: frozen pydantic models discriminated by ``type``.

Every model forbids unknown fields and hides input values in validation errors
(``hide_input_in_errors``), so a bad config never echoes a password, webhook secret or a
token-bearing URL. Error messages name the field (pydantic's location) and the rule.
URLs and headers are also left out of ``repr`` because they often carry tokens, and URLs are
shown without query (webhook) or path (Slack) when dumped as JSON (``vendorwatch config``).

Embedding these models in a parent model: pydantic renders errors with the *outermost*
model's settings, so give the parent ``hide_input_in_errors=True`` too. Without it, the
password and webhook secret still never appear (they are wrapped in ``SecretStr`` before any
check, and cross-field rules are field validators), but a URL or header value could.

Parse a mapping of unknown type with :func:`parse_channel_config`.
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from alerting.channels.redaction import redact_url

_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
RESERVED_HEADERS = frozenset(
    {"content-type", "content-length", "host", "idempotency-key", "user-agent"}
)
"""Headers the webhook channel sets itself (as do all ``X-Vendorwatch-*``)."""


class _ChannelModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


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


class _HttpChannelModel(_ChannelModel):
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


class WebhookChannelConfig(_HttpChannelModel):
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


class SlackChannelConfig(_HttpChannelModel):
    """POST a Slack Block Kit message to a Slack-compatible incoming-webhook ``url``."""

    _TOKEN_IN_PATH: ClassVar[bool] = True

    type: Literal["slack"]


class EmailChannelConfig(_ChannelModel):
    """Send a text+HTML email through an SMTP server.

    ``starttls`` upgrades a plain connection (port 587); ``ssl`` is implicit TLS (SMTP_SSL,
    port 465); they are mutually exclusive, and ``ssl: true`` alone turns the ``starttls``
    default off. Credentials need TLS: they are never sent over a plain connection.
    ``ca_file`` is trusted in addition to the system store when verifying the server.
    """

    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False
    username: str | None = Field(default=None, min_length=1)
    password: SecretStr | None = Field(default=None, validate_default=True)
    sender: str
    recipients: list[str] = Field(min_length=1)
    timeout_seconds: Timeout = 10.0
    ca_file: Path | None = None
    subject_prefix: str = "[vendorwatch]"

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any) -> Any:
        """Wrap the password at once (so no error echoes it, even inside a parent model that
        shows inputs) and let ``ssl: true`` alone switch the ``starttls`` default off."""
        if not isinstance(data, dict):
            return data
        prepared = dict(data)
        if isinstance(prepared.get("password"), str):
            prepared["password"] = SecretStr(prepared["password"])
        if "starttls" not in prepared and prepared.get("ssl") is True:
            prepared["starttls"] = False
        return prepared

    @field_validator("ssl")
    @classmethod
    def _one_kind_of_tls(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("starttls"):
            raise ValueError(
                "starttls and ssl are mutually exclusive: ssl=true is implicit TLS (SMTP_SSL, "
                "usually port 465), starttls=true upgrades a plain connection (usually port "
                "587); set one of them to false"
            )
        return value

    @field_validator("password")
    @classmethod
    def _credentials_together_and_encrypted(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        # A field validator, not a model one: its error shows only this (masked) input.
        username = info.data.get("username")
        if value is not None and username is None:
            raise ValueError("password is set but username is missing: give both or neither")
        if value is None and username is not None:
            raise ValueError("username is set but password is missing: give both or neither")
        if username is not None and not (info.data.get("starttls") or info.data.get("ssl")):
            raise ValueError(
                "username/password require starttls=true or ssl=true "
                "(credentials are never sent over an unencrypted connection)"
            )
        return value

    @field_validator("sender")
    @classmethod
    def _sender_is_address(cls, value: str) -> str:
        return email_address(value)

    @field_validator("recipients")
    @classmethod
    def _recipients_are_addresses(cls, value: list[str]) -> list[str]:
        return [email_address(v) for v in value]

    @field_validator("ca_file")
    @classmethod
    def _ca_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{str(value)!r} is not a readable file")
        return value

    @field_validator("subject_prefix")
    @classmethod
    def _one_line_prefix(cls, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ValueError("must be one line")
        return value


class KafkaChannelConfig(_ChannelModel):
    """Produce the notification JSON to ``topic`` (default: the configured alerts topic)."""

    type: Literal["kafka"]
    topic: str | None = None

    @field_validator("topic")
    @classmethod
    def _valid_topic(cls, value: str | None) -> str | None:
        if value is not None and not _TOPIC.match(value):
            raise ValueError("must be 1-249 characters from [A-Za-z0-9._-]")
        return value


ChannelConfig = Annotated[
    WebhookChannelConfig | SlackChannelConfig | EmailChannelConfig | KafkaChannelConfig,
    Field(discriminator="type"),
]

_ADAPTER: TypeAdapter[ChannelConfig] = TypeAdapter(
    ChannelConfig, config=ConfigDict(hide_input_in_errors=True)
)


def parse_channel_config(data: Any) -> ChannelConfig:
    """Validate a mapping (e.g. one TOML table) into the config model its ``type`` names.

    Raises ``pydantic.ValidationError`` naming the field and the rule.
    """
    return _ADAPTER.validate_python(data)
