"""The email channel against a real loopback SMTP server (STARTTLS, implicit TLS, AUTH)."""

from __future__ import annotations

import ssl
import uuid
from email.utils import format_datetime
from pathlib import Path

from alerting.channels.email import EmailChannel, EmailChannelConfig
from tests.alerting.payloads import (
    ATTEMPTED_AT,
    email_config,
    make_delivery,
    make_payload,
    send_error,
)
from tests.alerting.servers import SmtpServer, free_port


def test_email_delivered_through_starttls_and_auth(smtp_server: SmtpServer, ca_file: Path) -> None:
    config = email_config(smtp_server, ca_file)
    payload = make_payload()
    delivery = make_delivery(payload)
    outcome = EmailChannel("mail", config).send(delivery)
    assert outcome == "SMTP 250 accepted for 2 recipient(s)"
    (mail,) = smtp_server.wait_for(1)
    assert mail.tls
    assert mail.authenticated_as == smtp_server.username
    assert mail.mail_from == "alerts@vendorwatch.test"
    assert mail.rcpt_tos == ("ops@example.com", "vendor-manager@example.com")
    message = mail.message
    assert message["Subject"] == f"[vendorwatch] {payload['summary']}"
    assert message["Message-ID"] == f"<{delivery.notification_id}@vendorwatch>"
    assert message["X-Vendorwatch-Notification-Id"] == delivery.notification_id
    assert message["To"] == "ops@example.com, vendor-manager@example.com"
    assert message["From"] == "vendorwatch <alerts@vendorwatch.test>"
    assert message["Date"] == format_datetime(ATTEMPTED_AT)  # the injected clock's instant
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None
    assert html_part is not None
    text = text_part.get_content()
    for expected in [
        "1. latency_p95 critical: 1840 ms > 1800 (period 2026-11-22)",
        "Value:          1840 ms",
        "Thresholds:     above: warn 1200, critical 1800, clear 1080",
        "State:          firing (new)",
        "Reason:         3 breaching periods >= for_periods 3",
        "Policy version: default 2026-11@ab12cd34ef56",
        f"Evidence:       {payload['alerts'][0]['evidence_url']}",
        f"Dashboard: {payload['dashboard_url']}",
    ]:
        assert expected in text, expected
    evidence_href = payload["alerts"][0]["evidence_url"].replace("&", "&amp;")
    assert f'<a href="{evidence_href}">' in html_part.get_content()
    assert smtp_server.password not in mail.data.decode()


def test_email_long_subject_is_truncated_to_one_line(
    smtp_server: SmtpServer, ca_file: Path
) -> None:
    payload = make_payload(summary="very\nlong " * 100)
    EmailChannel("mail", email_config(smtp_server, ca_file)).send(make_delivery(payload))
    subject = smtp_server.wait_for(1)[0].message["Subject"]
    assert subject.startswith("[vendorwatch] very long very long")
    assert subject.endswith("…")
    assert len(subject) == 200


def test_email_wrong_password_is_permanent_and_not_revealed(
    smtp_server: SmtpServer, ca_file: Path
) -> None:
    wrong = "wrong-" + uuid.uuid4().hex
    channel = EmailChannel("mail", email_config(smtp_server, ca_file, password=wrong))
    error = send_error(channel)
    assert not error.retryable
    assert "535" in str(error)
    assert "authentication failed" in str(error)
    assert wrong not in str(error)
    assert wrong not in repr(channel)
    assert smtp_server.messages == []


def test_email_rejected_recipient(smtp_server: SmtpServer, ca_file: Path) -> None:
    smtp_server.reject("ops@example.com")
    only_rejected = email_config(smtp_server, ca_file, recipients=["ops@example.com"])
    error = send_error(EmailChannel("mail", only_rejected))
    assert not error.retryable
    assert "550" in str(error)
    assert "ops@example.com" in str(error)
    # With another recipient the message goes out, and the refusal is reported.
    outcome = EmailChannel("mail", email_config(smtp_server, ca_file)).send(make_delivery())
    assert outcome == "SMTP 250 accepted for 1 recipient(s); refused: ops@example.com (550)"
    assert smtp_server.wait_for(1)[0].rcpt_tos == ("vendor-manager@example.com",)


def test_email_temporary_recipient_failure_is_retryable(
    smtp_server: SmtpServer, ca_file: Path
) -> None:
    smtp_server.reject("ops@example.com", "451 4.3.0 Mailbox temporarily unavailable")
    config = email_config(smtp_server, ca_file, recipients=["ops@example.com"])
    assert send_error(EmailChannel("mail", config)).retryable


def test_email_server_down_is_retryable(ca_file: Path) -> None:
    config = EmailChannelConfig(
        type="email",
        host="127.0.0.1",
        port=free_port(),
        sender="alerts@vendorwatch.test",
        recipients=["ops@example.com"],
        timeout_seconds=2,
    )
    error = send_error(EmailChannel("mail", config))
    assert error.retryable
    assert "ConnectionRefusedError" in str(error)


def test_email_untrusted_certificate_is_permanent(smtp_server: SmtpServer) -> None:
    config = email_config(smtp_server, ca_file=None)
    error = send_error(EmailChannel("mail", config))
    assert not error.retryable
    assert "certificate verification failed" in str(error)
    assert smtp_server.messages == []


def test_email_never_downgrades_when_starttls_is_missing(ca_file: Path) -> None:
    with SmtpServer() as plain:
        config = email_config(plain, ca_file, starttls=True)
        error = send_error(EmailChannel("mail", config))
        assert not error.retryable
        assert "STARTTLS" in str(error)
        assert plain.messages == []


def test_email_implicit_tls(server_tls_context: ssl.SSLContext, ca_file: Path) -> None:
    credentials = ("implicit", "pw-" + uuid.uuid4().hex)
    with SmtpServer(
        tls_context=server_tls_context, implicit_tls=True, credentials=credentials
    ) as server:
        config = email_config(server, ca_file)
        assert config.ssl
        assert not config.starttls
        EmailChannel("mail", config).send(make_delivery())
        (mail,) = server.wait_for(1)
        assert mail.authenticated_as == "implicit"
