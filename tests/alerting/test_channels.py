"""Delivery channels against real loopback servers (HTTP, SMTP with STARTTLS+AUTH, Kafka)."""

from __future__ import annotations

import ssl
import time
import uuid
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaAdminClient, KafkaConsumer
from pydantic import BaseModel, ValidationError

from alerting.channels.base import DeliveryError
from alerting.channels.config import (
    ChannelConfig,
    EmailChannelConfig,
    KafkaChannelConfig,
    SlackChannelConfig,
    WebhookChannelConfig,
    parse_channel_config,
)
from alerting.channels.email import EmailChannel, html_body, text_body
from alerting.channels.factory import open_channel
from alerting.channels.kafka import KafkaChannel
from alerting.channels.render import alert_line
from alerting.channels.slack import SlackChannel, slack_message
from alerting.channels.webhook import WebhookChannel, sign, verify
from alerting.notification import Notification, NotifiedAlert
from ingest.topics import create_missing_topics
from tests.alerting.payloads import (
    ATTEMPTED_AT,
    VENDOR_ID,
    email_config,
    make_alert,
    make_delivery,
    make_payload,
)
from tests.alerting.servers import HttpReceiver, Reply, SmtpServer, free_port

SECRET = "whsec-0123456789abcdef"


def webhook(url: str, **overrides: Any) -> WebhookChannel:
    config = WebhookChannelConfig.model_validate({"type": "webhook", "url": url, **overrides})
    return WebhookChannel("hook", config)


def send_error(channel: Any, delivery: Any = None) -> DeliveryError:
    with pytest.raises(DeliveryError) as info:
        channel.send(delivery or make_delivery())
    return info.value


# ------------------------------------------------------------------------------------ webhook


def test_webhook_delivers_exact_body_signed_with_idempotency_headers(
    http_receiver: HttpReceiver,
) -> None:
    channel = webhook(http_receiver.url, secret=SECRET, headers={"X-Team": "ops"})
    delivery = make_delivery()
    try:
        assert channel.send(delivery) == "HTTP 200"
        assert channel.send(delivery) == "HTTP 200"  # a retry of the same notification
    finally:
        channel.close()
    first, retry = http_receiver.wait_for(2)
    assert first.method == "POST"
    assert first.path == "/hook"
    assert first.body == delivery.body
    assert first.header("Content-Type") == "application/json"
    assert first.header("X-Team") == "ops"
    assert (first.header("User-Agent") or "").startswith("vendorwatch/")
    assert first.header("Idempotency-Key") == delivery.notification_id
    assert first.header("X-Vendorwatch-Notification-Id") == delivery.notification_id
    # the attempt's instant from the dispatcher's clock, not the wall clock
    assert first.header("X-Vendorwatch-Timestamp") == str(int(ATTEMPTED_AT.timestamp()))
    signature = first.header("X-Vendorwatch-Signature")
    assert signature == sign(first.body, SECRET)
    assert verify(first.body, SECRET, signature)
    assert not verify(first.body, "another-secret", signature)
    assert not verify(first.body + b" ", SECRET, signature)
    assert not verify(first.body, SECRET, None)
    assert retry.header("X-Vendorwatch-Signature") == signature  # body-only: stable on retry
    assert retry.header("Idempotency-Key") == delivery.notification_id


def test_webhook_without_secret_is_unsigned(http_receiver: HttpReceiver) -> None:
    channel = webhook(http_receiver.url)
    try:
        channel.send(make_delivery())
    finally:
        channel.close()
    (request,) = http_receiver.wait_for(1)
    assert request.header("X-Vendorwatch-Signature") is None


def test_webhook_500_is_retryable_and_next_attempt_succeeds(http_receiver: HttpReceiver) -> None:
    http_receiver.script(Reply(500, body=b"upstream database unavailable"), 204)
    channel = webhook(http_receiver.url)
    delivery = make_delivery()
    try:
        error = send_error(channel, delivery)
        assert error.retryable
        assert "HTTP 500" in str(error)
        assert "upstream database unavailable" in str(error)
        assert channel.send(delivery) == "HTTP 204"
    finally:
        channel.close()
    assert [r.body for r in http_receiver.wait_for(2)] == [delivery.body] * 2


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(408, True), (429, True), (502, True), (503, True), (400, False), (401, False),
     (404, False), (410, False), (301, False)],
)  # fmt: skip
def test_webhook_status_classification(
    http_receiver: HttpReceiver, status: int, retryable: bool
) -> None:
    http_receiver.script(status)
    channel = webhook(http_receiver.url)
    try:
        error = send_error(channel)
    finally:
        channel.close()
    assert error.retryable is retryable
    assert f"HTTP {status}" in str(error)


def test_webhook_error_body_is_truncated(http_receiver: HttpReceiver) -> None:
    http_receiver.script(Reply(500, body=b"x" * 50_000))
    channel = webhook(http_receiver.url)
    try:
        error = send_error(channel)
    finally:
        channel.close()
    assert 190 <= str(error).count("x") <= 200
    assert len(str(error)) < 400


def test_webhook_slow_receiver_times_out_retryable(http_receiver: HttpReceiver) -> None:
    http_receiver.script(Reply(200, delay=5.0))
    channel = webhook(http_receiver.url, timeout_seconds=0.5)
    started = time.monotonic()
    try:
        error = send_error(channel)
    finally:
        channel.close()
    elapsed = time.monotonic() - started
    assert error.retryable
    assert "timed out" in str(error)
    assert 0.4 <= elapsed < 2.5


def test_webhook_connection_refused_is_retryable() -> None:
    channel = webhook(f"http://127.0.0.1:{free_port()}/hook")
    try:
        error = send_error(channel)
    finally:
        channel.close()
    assert error.retryable
    assert "ConnectError" in str(error)


def test_webhook_errors_reveal_no_secret_token_or_credentials(
    http_receiver: HttpReceiver,
) -> None:
    token = "tok-" + uuid.uuid4().hex
    url = http_receiver.url_for(f"/hook?token={token}").replace("//", "//alice:pw-xyz123@")
    # A receiver that echoes what it got must not make us leak it either.
    http_receiver.script(Reply(403, body=f"bad signature for {SECRET} and {token}".encode()))
    channel = webhook(url, secret=SECRET, timeout_seconds=0.5)
    try:
        errors = [send_error(channel)]
    finally:
        channel.close()
    refused = url.replace(str(http_receiver.port), str(free_port()))
    channel = webhook(refused, secret=SECRET, timeout_seconds=0.5)
    try:
        errors.append(send_error(channel))
    finally:
        channel.close()
    for error in errors:
        text = str(error)
        assert SECRET not in text
        assert token not in text
        assert "pw-xyz123" not in text
        assert "alice" not in text
        assert "127.0.0.1:" in text
        assert "/hook" in text
    assert not errors[0].retryable
    assert errors[1].retryable
    assert SECRET not in repr(channel)
    assert token not in repr(WebhookChannelConfig(type="webhook", url=url))


# -------------------------------------------------------------------------------------- slack


def test_slack_posts_blocks_with_vendor_rule_severity_and_links(
    http_receiver: HttpReceiver,
) -> None:
    config = SlackChannelConfig(type="slack", url=http_receiver.url_for("/services/T0/B0/XyZ"))
    channel = SlackChannel("slack", config)
    payload = make_payload()
    delivery = make_delivery(payload)
    try:
        assert channel.send(delivery) == "HTTP 200"
    finally:
        channel.close()
    (request,) = http_receiver.wait_for(1)
    assert request.header("Idempotency-Key") == delivery.notification_id
    assert request.header("Content-Type") == "application/json"
    message = orjson.loads(request.body)
    assert message["text"].startswith("[FIRING] Hooli Claims (hooli-claims-1)")
    assert "\n" not in message["text"]
    assert message["blocks"][0]["type"] == "header"
    assert message["blocks"][0]["text"]["text"] == "FIRING: Hooli Claims (hooli-claims-1)"
    everything = orjson.dumps(message["blocks"]).decode()
    for expected in [
        VENDOR_ID,
        "Hooli Claims",
        "latency_p95 critical: 1840 ms &gt; 1800 (period 2026-11-22)",  # mrkdwn-escaped
        "success_rate warn: 96.5% &lt; 97 (period 2026-11-22)",
        "default 2026-11@ab12cd34ef56",
        payload["alerts"][0]["evidence_url"] + "|Evidence>",
        payload["dashboard_url"] + "|Dashboard>",
    ]:
        assert expected in everything, expected


def test_slack_error_hides_the_token_in_the_url_path(http_receiver: HttpReceiver) -> None:
    http_receiver.script(Reply(404, body=b"no_service"))
    url = http_receiver.url_for("/services/T000/B000/SLACKTOKEN42")
    channel = SlackChannel("slack", SlackChannelConfig(type="slack", url=url))
    try:
        error = send_error(channel)
    finally:
        channel.close()
    assert not error.retryable
    assert "SLACKTOKEN42" not in str(error)
    assert "HTTP 404: no_service" in str(error)


def test_renderers_cope_with_nulls_and_escape_markup() -> None:
    alert = make_alert(
        severity=None, value=None, thresholds=None, evidence_url=None, metric=None, change=None
    )
    payload = make_payload(
        alerts=[alert, make_alert(state="resolved", change="resolved", value=1000.0)],
        vendor={"vendor_id": "v-1", "name": "<b>Acme & Co</b>", "tier": None, "service": None},
        dashboard_url=None,
        summary=None,
    )
    document = Notification.model_validate(payload)
    assert alert_line(NotifiedAlert.model_validate(alert)) == (
        "latency_p95 firing: n/a (period 2026-11-22)"
    )
    assert alert_line(document.alerts[1]) == (
        "latency_p95 resolved: 1000 ms < clear 1080 (period 2026-11-22)"
    )
    message = slack_message(document)
    assert "&lt;b&gt;Acme &amp; Co&lt;/b&gt;" in orjson.dumps(message["blocks"]).decode()
    assert "<b>Acme" not in html_body(document)
    assert "&lt;b&gt;Acme &amp; Co&lt;/b&gt; (v-1)" in html_body(document)
    assert "Dashboard: n/a" in text_body(document)


# -------------------------------------------------------------------------------------- email


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


# -------------------------------------------------------------------------------------- kafka


def test_kafka_record_has_vendor_key_exact_body_and_notification_header(
    kafka_broker: Any,
) -> None:
    topic = f"alerts-{uuid.uuid4().hex[:10]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    try:
        create_missing_topics(admin, [topic], partitions=1)
    finally:
        admin.close()
    options = {"bootstrap_servers": kafka_broker.bootstrap}
    channel = open_channel(
        "kafka", KafkaChannelConfig(type="kafka"), kafka_options=options, alerts_topic=topic
    )
    delivery = make_delivery()
    try:
        assert channel.send(delivery) == f"kafka {topic}[0]@0"
    finally:
        channel.close()
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_broker.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=15_000,
    )
    try:
        record = next(iter(consumer))
    finally:
        consumer.close()
    assert record.key == VENDOR_ID.encode()
    assert record.value == delivery.body
    assert record.headers == [("notification_id", delivery.notification_id.encode())]


def test_kafka_unreachable_broker_is_retryable() -> None:
    options = {"bootstrap_servers": f"127.0.0.1:{free_port()}"}
    channel = KafkaChannel("kafka", "vendorwatch.alerts", options, send_timeout_s=1.0)
    started = time.monotonic()
    try:
        error = send_error(channel)
    finally:
        channel.close()
    assert error.retryable
    assert time.monotonic() - started < 10


def test_kafka_payload_without_vendor_is_permanent() -> None:
    channel = KafkaChannel("kafka", "vendorwatch.alerts", {"bootstrap_servers": "127.0.0.1:1"})
    error = send_error(channel, make_delivery(make_payload(vendor=None)))
    assert not error.retryable
    channel.close()


# ------------------------------------------------------------------------------------- config


def validation_message(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        parse_channel_config(data)
    return str(info.value)


HOOK = {"type": "webhook", "url": "http://h"}
EMAIL = {
    "type": "email",
    "host": "smtp.example.com",
    "sender": "alerts@example.com",
    "recipients": ["ops@example.com"],
}


def test_config_starttls_and_ssl_are_exclusive() -> None:
    message = validation_message({**EMAIL, "starttls": True, "ssl": True})
    assert "starttls and ssl are mutually exclusive" in message
    implicit = parse_channel_config({**EMAIL, "ssl": True, "port": 465})
    assert isinstance(implicit, EmailChannelConfig)
    assert implicit.ssl
    assert not implicit.starttls


def test_config_password_and_username_go_together() -> None:
    message = validation_message({**EMAIL, "password": "hunter2-secret"})
    assert "password is set but username is missing" in message
    assert "hunter2-secret" not in message
    message = validation_message({**EMAIL, "username": "bob"})
    assert "username is set but password is missing" in message
    message = validation_message(
        {**EMAIL, "username": "bob", "password": "hunter2-secret", "starttls": False}
    )
    assert "require starttls=true or ssl=true" in message
    assert "hunter2-secret" not in message


def test_config_secrets_stay_hidden_inside_a_parent_model() -> None:
    """A parent model without ``hide_input_in_errors`` must not leak password or secret."""

    class Parent(BaseModel):
        channels: dict[str, ChannelConfig]

    bad = [
        {**EMAIL, "password": "hunter2-secret"},  # no username (cross-field rule)
        {**EMAIL, "username": "u", "password": "hunter2-secret", "sender": None},
        {"type": "email", "password": "hunter2-secret"},  # many fields missing
        {**HOOK, "secret": "hunter2-secret", "timeout_seconds": -1},
        {**HOOK, "secret": "hunter2-secret", "surprise": 1},
    ]
    for data in bad:
        with pytest.raises(ValidationError) as info:
            Parent.model_validate({"channels": {"x": data}})
        assert "hunter2-secret" not in str(info.value), data
        assert "hunter2-secret" not in repr(info.value.errors())


@pytest.mark.parametrize(
    ("data", "location", "rule"),
    [
        ({"type": "webhook", "url": "ftp://x"}, "url", "http:// or https://"),
        ({"type": "webhook", "url": "https://"}, "url", "must name a host"),
        ({"type": "slack", "url": "hooks.slack.com/x"}, "url", "http:// or https://"),
        ({**HOOK, "timeout_seconds": 0}, "timeout_seconds", "greater than 0"),
        ({**HOOK, "timeout_seconds": 61}, "timeout_seconds", "less than or equal to 60"),
        ({**HOOK, "headers": {"Idempotency-Key": "x"}}, "headers", "cannot be overridden"),
        ({**HOOK, "headers": {"X-A": "1\r\nX-B: 2"}}, "headers", "must not contain line breaks"),
        ({**HOOK, "verbose": True}, "verbose", "Extra inputs are not permitted"),
        ({**EMAIL, "recipients": []}, "recipients", "at least 1 item"),
        ({**EMAIL, "recipients": ["ops"]}, "recipients", "does not look like an email address"),
        ({**EMAIL, "sender": "alerts"}, "sender", "does not look like an email address"),
        ({**EMAIL, "port": 0}, "port", "greater than or equal to 1"),
        ({**EMAIL, "ca_file": "/nonexistent/ca.pem"}, "ca_file", "not a readable file"),
        ({"type": "kafka", "topic": "bad topic!"}, "topic", "[A-Za-z0-9._-]"),
        ({"type": "pager"}, "pager", "does not match any of the expected tags"),
    ],
)  # fmt: skip
def test_config_errors_name_field_and_rule(data: dict[str, Any], location: str, rule: str) -> None:
    message = validation_message(data)
    assert location in message
    assert rule in message


def test_open_channel_builds_each_kind(http_receiver: HttpReceiver, ca_file: Path) -> None:
    configs: dict[str, Any] = {
        "webhook": {"type": "webhook", "url": http_receiver.url},
        "slack": {"type": "slack", "url": http_receiver.url},
        "email": {**EMAIL, "ca_file": str(ca_file)},
        "kafka": {"type": "kafka", "topic": "custom.alerts"},
    }
    kinds = {
        "webhook": WebhookChannel,
        "slack": SlackChannel,
        "email": EmailChannel,
        "kafka": KafkaChannel,
    }
    for name, data in configs.items():
        channel = open_channel(
            name, parse_channel_config(data), kafka_options={}, alerts_topic="vendorwatch.alerts"
        )
        try:
            assert isinstance(channel, kinds[name])
            assert channel.name == name
        finally:
            channel.close()
    kafka = open_channel(
        "k", parse_channel_config(configs["kafka"]), kafka_options={}, alerts_topic="x"
    )
    assert isinstance(kafka, KafkaChannel)
    assert kafka.topic == "custom.alerts"
