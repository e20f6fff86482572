"""``vendorwatch alerts receive``: verifies signatures, dedups on the idempotency key, prints;
hands on typed notifications, refuses other documents naming the field, bounds the size."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import orjson
import pytest

from alerting.channels.base import DeliveryError
from alerting.channels.webhook import WebhookChannel, WebhookChannelConfig
from alerting.notification import Notification
from alerting.receiver import MAX_BODY, receive
from tests.alerting.payloads import make_alert, make_delivery, make_payload
from tests.alerting.servers import free_port
from tests.conftest import REPO


def test_the_receiver_prints_signed_messages_once_and_refuses_bad_signatures() -> None:
    port = free_port()
    receiver = subprocess.Popen(
        [sys.executable, "-m", "vendorwatch", "alerts", "receive", "--port", str(port)],
        cwd=REPO,
        env={"VENDORWATCH_RECEIVER_SECRET": "right", "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/hook"
    signed = WebhookChannel("t", WebhookChannelConfig(type="webhook", url=url, secret="right"))
    forged = WebhookChannel("t", WebhookChannelConfig(type="webhook", url=url, secret="wrong"))
    try:
        delivery = make_delivery()
        deadline = time.monotonic() + 30
        while True:  # until the receiver listens
            try:
                assert signed.send(delivery) == "HTTP 200"
                break
            except DeliveryError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert signed.send(delivery) == "HTTP 200"  # a retry: answered, not printed again
        with pytest.raises(DeliveryError, match="HTTP 401") as refused:
            forged.send(make_delivery())
        assert not refused.value.retryable
    finally:
        signed.close()
        forged.close()
        receiver.terminate()
    output, _ = receiver.communicate(timeout=30)
    summary = delivery.notification.summary
    assert output.count(summary) == 1, output
    assert f"[signed] firing: {summary}" in output
    assert "latency_p95 firing critical (new): value 1840.0 for 2026-11-22" in output


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[Notification]]]:
    """An in-process receiver without a secret: its port and what it handed on."""
    port, received, stop = free_port(), [], threading.Event()
    thread = threading.Thread(
        target=receive,
        args=("127.0.0.1", port, None, lambda n, _: received.append(n), stop),
    )
    thread.start()
    deadline = time.monotonic() + 10
    while True:  # until it listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    yield port, received
    stop.set()
    thread.join(timeout=10)


def post(port: int, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        sent = {"Content-Length": str(len(body))} if headers is None else headers
        connection.putrequest("POST", "/hook")
        for name, value in sent.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_the_receiver_hands_on_typed_notifications_once(
    receiver: tuple[int, list[Notification]],
) -> None:
    port, received = receiver
    delivery = make_delivery()
    assert post(port, delivery.body) == (200, "ok")
    assert post(port, delivery.body) == (200, "duplicate")  # same notification_id
    (notification,) = received
    assert notification == delivery.notification
    assert isinstance(notification.alerts[0].value, float)


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"{not json", 400, "not JSON"),
        (b"[1, 2]", 422, "document: Input should be an object"),
        (orjson.dumps(make_payload(firing="many")), 422, "firing: Input should be a valid integer"),
        (
            orjson.dumps(make_payload(alerts=[make_alert(value="high")])),
            422,
            "alerts.0.value: Input should be a valid number",
        ),
        (orjson.dumps(make_payload(schema="other/2")), 422, "schema: 'other/2'"),
    ],
)  # fmt: skip
def test_the_receiver_refuses_what_is_no_notification_naming_the_field(
    receiver: tuple[int, list[Notification]], body: bytes, status: int, reason: str
) -> None:
    port, received = receiver
    answer_status, answer = post(port, body)
    assert answer_status == status
    assert reason in answer
    assert received == []


def test_the_receiver_bounds_the_request_size(receiver: tuple[int, list[Notification]]) -> None:
    port, received = receiver
    assert post(port, b"{}", {}) == (411, "Content-Length required")
    assert post(port, b"{}", {"Content-Length": "two"}) == (400, "Content-Length is not a number")
    status, reason = post(port, b"", {"Content-Length": str(MAX_BODY + 1)})
    assert (status, reason) == (413, f"body over {MAX_BODY} bytes")
    assert received == []
