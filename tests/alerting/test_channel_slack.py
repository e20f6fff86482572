"""The Slack channel against a real loopback HTTP receiver, and the renderers it shares with
email."""

from __future__ import annotations

import orjson

from alerting.channels.email import html_body, text_body
from alerting.channels.render import alert_line
from alerting.channels.slack import SlackChannel, SlackChannelConfig, slack_message
from alerting.notification import Notification, NotifiedAlert
from tests.alerting.payloads import VENDOR_ID, make_alert, make_delivery, make_payload, send_error
from tests.alerting.servers import HttpReceiver, Reply


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
