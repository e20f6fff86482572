"""Email through SMTP (stdlib ``smtplib``): a plain-text message with an HTML alternative.

Message contract (:func:`build_message`): ``Subject: {subject_prefix} {summary}`` (one line,
at most :data:`SUBJECT_CHARS` characters); ``Message-ID: <{notification_id}@vendorwatch>``
(identical on every retry, so receivers and mail systems can dedup on it); ``Date``: the
attempt's instant from the dispatcher's clock (:attr:`Delivery.attempted_at`);
``X-Vendorwatch-Notification-Id``; ``Auto-Submitted: auto-generated`` (no auto-replies). The
text part lists each alert (rule, severity, state and change, value, thresholds, period,
reason, policy version, evidence link) and the dashboard link; the HTML part shows the same,
every value escaped with :func:`html.escape`.

Transport: ``ssl`` connects with implicit TLS, ``starttls`` upgrades before anything else is
sent (a server without STARTTLS is an error, never a silent downgrade); certificates are
verified against the system store plus ``ca_file``. ``AUTH`` is used when a username is set.

Errors (:class:`DeliveryError`): 4xx replies, connection errors, disconnects and timeouts are
retryable; 5xx replies (550 recipient rejected, 535 authentication failed, ...), a missing
STARTTLS/AUTH extension and a certificate that fails verification are permanent. Any other
exception (a bug, not the network) is permanent too. Partially refused recipients are
reported in the outcome, not raised (the others got the message).
The password never appears in an outcome or error.

Configuration: :class:`EmailChannelConfig` (``type = "email"``).
"""

from __future__ import annotations

import html
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from alerting.channels import render
from alerting.channels.base import (
    Channel,
    ChannelContext,
    ChannelModel,
    Delivery,
    DeliveryError,
    Timeout,
    email_address,
)
from alerting.channels.redaction import scrub
from alerting.notification import Notification

SUBJECT_CHARS = 200
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class EmailChannelConfig(ChannelModel):
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

    def open(self, name: str, context: ChannelContext) -> Channel:
        return EmailChannel(name, self)


def message_id(notification_id: str) -> str:
    """``<{notification_id}@vendorwatch>`` (characters unsafe in a Message-ID become ``_``)."""
    return f"<{_ID_UNSAFE.sub('_', notification_id)}@vendorwatch>"


def build_message(config: EmailChannelConfig, delivery: Delivery) -> EmailMessage:
    """The complete message for ``delivery`` (see the module docstring)."""
    notification = delivery.notification
    summary = notification.summary or render.vendor_label(notification)
    message = EmailMessage()
    message["Subject"] = render.one_line(f"{config.subject_prefix} {summary}", SUBJECT_CHARS)
    message["From"] = config.sender
    message["To"] = ", ".join(config.recipients)
    message["Date"] = format_datetime(delivery.attempted_at)
    message["Message-ID"] = message_id(delivery.notification_id)
    message["X-Vendorwatch-Notification-Id"] = render.one_line(delivery.notification_id, 200)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text_body(notification))
    message.add_alternative(html_body(notification), subtype="html")
    return message


def text_body(notification: Notification) -> str:
    """The plain-text part."""
    lines = [
        f"{render.headline(notification)}: {render.vendor_label(notification)}",
        notification.summary or "",
        "",
        f"Vendor: {render.vendor_context(notification)}",
        "",
    ]
    for number, alert in enumerate(notification.alerts, start=1):
        lines.append(f"{number}. {render.alert_line(alert)}")
        lines += [f"   {label + ':':<16}{value}" for label, value in render.alert_fields(alert)]
        lines.append("")
    lines.append(f"Dashboard: {render.text(notification.dashboard_url)}")
    lines.append(_footer(notification))
    return "\n".join(lines) + "\n"


def html_body(notification: Notification) -> str:
    """The HTML alternative part; every value of the document is escaped."""
    esc = html.escape
    parts = [
        '<!DOCTYPE html><html><body style="font-family:sans-serif">',
        f"<h2>{esc(render.headline(notification))}: {esc(render.vendor_label(notification))}</h2>",
        f"<p>{esc(notification.summary or '')}</p>",
        f"<p>Vendor: {esc(render.vendor_context(notification))}</p>",
    ]
    for alert in notification.alerts:
        parts.append(f"<h3>{esc(render.alert_line(alert))}</h3><table>")
        for label, value in render.alert_fields(alert):
            shown = _html_link(value) if label == "Evidence" else esc(value)
            parts.append(f'<tr><th align="left">{esc(label)}</th><td>{shown}</td></tr>')
        parts.append("</table>")
    dashboard = notification.dashboard_url
    parts.append(f"<p>Dashboard: {_html_link(dashboard) if dashboard else render.NA}</p>")
    parts.append(f'<p style="color:#666">{esc(_footer(notification))}</p></body></html>')
    return "\n".join(parts) + "\n"


def _html_link(url: str) -> str:
    if url == render.NA or not url.startswith(("http://", "https://")):
        return html.escape(url)
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>'


def _footer(notification: Notification) -> str:
    footer = f"Notification {render.text(notification.notification_id)}"
    if notification.created_at:
        footer += f", created {notification.created_at}"
    return footer


class EmailChannel:
    """A configured SMTP destination; one connection per :meth:`send`."""

    def __init__(self, name: str, config: EmailChannelConfig) -> None:
        self.name = name
        self._config = config
        self._password = config.password.get_secret_value() if config.password else None
        self._tls = ssl.create_default_context()
        if config.ca_file is not None:
            self._tls.load_verify_locations(cafile=str(config.ca_file))

    def __repr__(self) -> str:
        return f"EmailChannel(name={self.name!r}, server={self._server!r})"

    @property
    def _server(self) -> str:
        return f"{self._config.host}:{self._config.port}"

    def send(self, delivery: Delivery) -> str:
        """Deliver ``delivery`` to every recipient; returns ``"SMTP 250 accepted ..."``."""
        config = self._config
        message = build_message(config, delivery)
        sender = parseaddr(config.sender)[1]
        recipients = [parseaddr(r)[1] for r in config.recipients]
        try:
            smtp = self._connect()
            try:
                refused = smtp.send_message(message, from_addr=sender, to_addrs=recipients)
            finally:
                _quit_quietly(smtp)
        except Exception as exc:
            detail, retryable = classify(exc)
            detail = scrub(detail, [self._password] if self._password else [])
            raise DeliveryError(
                f"SMTP {self._server} failed: {detail}", retryable=retryable
            ) from None
        accepted = len(recipients) - len(refused)
        outcome = f"SMTP 250 accepted for {accepted} recipient(s)"
        if refused:
            shown = ", ".join(f"{addr} ({code})" for addr, (code, _) in sorted(refused.items()))
            outcome += f"; refused: {shown}"
        return outcome

    def close(self) -> None:
        """Nothing to release: connections live only for one send."""

    def _connect(self) -> smtplib.SMTP:
        config = self._config
        timeout = config.timeout_seconds
        smtp: smtplib.SMTP
        if config.ssl:
            smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=timeout, context=self._tls)
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
        try:
            smtp.ehlo()
            if config.starttls:
                smtp.starttls(context=self._tls)
                smtp.ehlo()
            if config.username is not None and self._password is not None:
                smtp.login(config.username, self._password)
        except BaseException:
            smtp.close()
            raise
        return smtp


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    """QUIT and close; a failing QUIT cannot undo an accepted message, so it is ignored."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def classify(exc: BaseException) -> tuple[str, bool]:
    """``(detail, retryable)`` for an exception raised while talking SMTP."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        shown = ", ".join(
            f"{addr} ({code} {_reply(text)})" for addr, (code, text) in exc.recipients.items()
        )
        return f"all recipients refused: {shown}", any(400 <= c <= 499 for c in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        what = (
            "authentication failed"
            if isinstance(exc, smtplib.SMTPAuthenticationError)
            else (type(exc).__name__)
        )
        code = exc.smtp_code
        return f"{what}: {code} {_reply(exc.smtp_error)}", not 500 <= code <= 599
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"server disconnected: {exc}", True
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"server lacks a required extension: {exc}", False
    if isinstance(exc, smtplib.SMTPException):
        return f"{type(exc).__name__}: {exc}", False
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed: {exc.verify_message}", False
    if isinstance(exc, TimeoutError):
        return f"timed out ({exc or 'no reply'})", True
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc}", True
    return f"unexpected {type(exc).__name__}: {exc}", False


def _reply(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return render.one_line(text, 200)
