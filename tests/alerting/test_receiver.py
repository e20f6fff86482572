"""``vendorwatch alerts receive``: verifies signatures, dedups on the idempotency key, prints."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from alerting.channels.base import DeliveryError
from alerting.channels.webhook import WebhookChannel, WebhookChannelConfig
from tests.alerting.payloads import make_delivery
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
