"""The webhook channel against a real loopback HTTP receiver: body, signature, idempotency
headers, status classification, timeouts and secrets kept out of errors."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from alerting.channels.webhook import WebhookChannel, WebhookChannelConfig, sign, verify
from tests.alerting.payloads import ATTEMPTED_AT, make_delivery, send_error
from tests.alerting.servers import HttpReceiver, Reply, free_port

SECRET = "whsec-0123456789abcdef"


def webhook(url: str, **overrides: Any) -> WebhookChannel:
    config = WebhookChannelConfig.model_validate({"type": "webhook", "url": url, **overrides})
    return WebhookChannel("hook", config)


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
