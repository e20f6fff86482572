"""Slack (or any Slack-compatible incoming webhook): a Block Kit message per notification.

Message contract (:func:`slack_message`): ``text`` is a one-line fallback (``"[FIRING]
<summary>"``) used for notifications and clients without blocks; ``blocks`` are a header
(``"FIRING: Hooli Claims (hooli-claims-1)"``), a section with the vendor and a dashboard link,
one mrkdwn section per alert (rule, severity, state, value vs threshold, period, policy
version, evidence and dashboard links; at most :data:`MAX_ALERT_BLOCKS`, then a "more" note)
and a context line with the notification id. All user text is escaped for mrkdwn.

Sent with ``Idempotency-Key: <notification_id>``; HTTP outcomes and errors are those of the
webhook channel (:mod:`alerting.channels._http`). Errors never show the URL path, since a
Slack webhook URL carries its token there.

Configuration (:class:`SlackChannelConfig`, ``type = "slack"``): ``url``, ``timeout_seconds``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

import orjson

from alerting.channels import render
from alerting.channels.base import Channel, ChannelContext, Delivery, HttpChannelModel
from alerting.notification import Notification, NotifiedAlert

if TYPE_CHECKING:
    from alerting.channels._http import HttpPoster

MAX_ALERT_BLOCKS = 40
"""Slack allows 50 blocks per message; alerts beyond this many are counted, not shown."""

_HEADER_CHARS = 150
_SECTION_CHARS = 3000
_FALLBACK_CHARS = 300


class SlackChannelConfig(HttpChannelModel):
    """POST a Slack Block Kit message to a Slack-compatible incoming-webhook ``url``."""

    _TOKEN_IN_PATH: ClassVar[bool] = True

    type: Literal["slack"]

    def open(self, name: str, context: ChannelContext) -> Channel:
        return SlackChannel(name, self)


def slack_message(notification: Notification) -> dict[str, Any]:
    """The Slack incoming-webhook JSON document for a ``vendorwatch.notification/1``."""
    headline = render.headline(notification)
    summary = notification.summary or render.vendor_label(notification)
    fallback = render.one_line(f"[{headline}] {summary}", _FALLBACK_CHARS)
    dashboard = render.slack_link(notification.dashboard_url, "Open dashboard")
    intro = f"*{render.slack_escape(render.one_line(summary, 1000))}*\n"
    intro += f"Vendor: {render.slack_escape(render.vendor_context(notification))}"
    if dashboard:
        intro += f" · {dashboard}"
    title = render.one_line(f"{headline}: {render.vendor_label(notification)}", _HEADER_CHARS)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}},
        _section(intro),
        {"type": "divider"},
    ]
    alerts = notification.alerts
    blocks += [_section(alert_mrkdwn(a, notification)) for a in alerts[:MAX_ALERT_BLOCKS]]
    if len(alerts) > MAX_ALERT_BLOCKS:
        more = len(alerts) - MAX_ALERT_BLOCKS
        blocks.append(_context(f"…and {more} more alert(s); see the dashboard."))
    footer = f"notification {notification.notification_id or 'n/a'}"
    if notification.created_at:
        footer += f" · {notification.created_at}"
    blocks.append(_context(render.slack_escape(footer)))
    return {"text": fallback, "blocks": blocks}


def alert_mrkdwn(alert: NotifiedAlert, notification: Notification) -> str:
    """One alert as mrkdwn: bold one-line summary, then the details and links."""
    esc = render.slack_escape
    change = f" ({alert.change})" if alert.change else ""
    lines = [
        f"*{esc(render.alert_line(alert))}*",
        f"Rule: `{esc(render.text(alert.rule))}` · "
        f"Severity: *{esc(render.text(alert.severity))}* · "
        f"State: {esc(render.text(alert.state))}{esc(change)}",
        f"Value: {esc(render.fmt_number(alert.value))}{esc(render.unit(alert))} · "
        f"Thresholds: {esc(render.thresholds_text(alert))}",
        f"Period: {esc(render.text(alert.period))} · "
        f"Policy: {esc(render.text(alert.policy_version))}",
    ]
    if alert.reason:
        lines.append(f"Reason: {esc(alert.reason)}")
    if alert.acknowledged_by:
        lines.append(f"Acknowledged by {esc(alert.acknowledged_by)}")
    links = [
        render.slack_link(alert.evidence_url, "Evidence"),
        render.slack_link(notification.dashboard_url, "Dashboard"),
    ]
    if any(links):
        lines.append(" · ".join(link for link in links if link))
    return "\n".join(lines)


def _section(mrkdwn: str) -> dict[str, Any]:
    if len(mrkdwn) > _SECTION_CHARS:
        mrkdwn = mrkdwn[: _SECTION_CHARS - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _context(mrkdwn: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:_SECTION_CHARS]}]}


class SlackChannel:
    """A configured Slack incoming webhook; one pooled HTTP client per channel."""

    def __init__(self, name: str, config: SlackChannelConfig) -> None:
        from alerting.channels._http import HttpPoster  # httpx only where alerts are sent

        self.name = name
        self._poster: HttpPoster = HttpPoster(
            config.url, timeout_seconds=config.timeout_seconds, keep_path=False
        )

    def __repr__(self) -> str:
        return f"SlackChannel(name={self.name!r}, target={self._poster.target!r})"

    def send(self, delivery: Delivery) -> str:
        """Render and POST the Slack message; returns ``"HTTP <status>"`` or raises."""
        body = orjson.dumps(slack_message(delivery.notification))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": delivery.notification_id,
        }
        return self._poster.post(body, headers)

    def close(self) -> None:
        self._poster.close()
