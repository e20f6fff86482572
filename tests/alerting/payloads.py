"""Test data for alert delivery: ``vendorwatch.notification/1`` payloads and deliveries.

``make_payload()`` gives the documented example (two firing alerts for ``hooli-claims-1``);
keyword arguments override top-level fields, ``alerts=[make_alert(...)]`` replaces the alerts.
``make_delivery(payload)`` serialises it with orjson as the outbox stores it, parses it once with
the document's model as the dispatcher does, attempted at :data:`ATTEMPTED_AT`.
``email_config(smtp_server, ca_file)`` is an email channel config pointing at a test server.
``send_error(channel)`` sends and returns the :class:`DeliveryError` the channel must raise.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from alerting.channels.base import Delivery, DeliveryError
from alerting.channels.email import EmailChannelConfig
from alerting.notification import parse_notification
from tests.alerting.servers import SmtpServer

VENDOR_ID = "hooli-claims-1"
DASHBOARD = "http://127.0.0.1:8501/vendor?vendor_id=hooli-claims-1"


def make_alert(rule: str = "latency_p95", **overrides: Any) -> dict[str, Any]:
    """One alert entry; defaults describe a new critical ``latency_p95`` breach."""
    alert_id = overrides.pop("alert_id", uuid.uuid4().hex[:12])
    alert: dict[str, Any] = {
        "alert_id": alert_id,
        "rule": rule,
        "metric": "latency_p95_ms",
        "grain": "day",
        "period": "2026-11-22",
        "state": "firing",
        "severity": "critical",
        "change": "new",
        "value": 1840.0,
        "thresholds": {"direction": "above", "warn": 1200.0, "critical": 1800.0, "clear": 1080.0},
        "policy_version": "default 2026-11@ab12cd34ef56",
        "reason": "3 breaching periods >= for_periods 3",
        "since": "2026-11-22T00:00:00+00:00",
        "acknowledged_by": None,
        "evidence_url": f"{DASHBOARD}&alert_id={alert_id}",
        "values": [{"period": "2026-11-20", "value": 1500.0, "state": "pending"}],
    }
    alert.update(overrides)
    return alert


def success_rate_alert(**overrides: Any) -> dict[str, Any]:
    """A warn-level ``success_rate`` alert (direction below)."""
    values: dict[str, Any] = {
        "metric": "success_rate_pct",
        "severity": "warn",
        "value": 96.5,
        "thresholds": {"direction": "below", "warn": 97.0, "critical": 95.0, "clear": 97.5},
    }
    return make_alert("success_rate", **{**values, **overrides})


def make_payload(**overrides: Any) -> dict[str, Any]:
    """A complete notification; ``notification_id`` is fresh unless given."""
    notification_id = overrides.pop("notification_id", uuid.uuid4().hex)
    alerts = overrides.pop("alerts", None) or [make_alert(), success_rate_alert()]
    firing = sum(1 for a in alerts if a.get("state") == "firing")
    payload: dict[str, Any] = {
        "schema": "vendorwatch.notification/1",
        "notification_id": notification_id,
        "kind": "firing" if firing else "resolved",
        "status": "firing" if firing else "resolved",
        "created_at": "2026-11-23T16:00:00+00:00",
        "summary": "Hooli Claims (hooli-claims-1): 2 alerts firing: latency_p95 critical, "
        "success_rate warn",
        "vendor": {
            "vendor_id": VENDOR_ID,
            "name": "Hooli Claims",
            "tier": "critical",
            "service": "helpdesk",
        },
        "dashboard_url": DASHBOARD,
        "alerts": alerts,
        "firing": firing,
        "resolved": len(alerts) - firing,
    }
    payload.update(overrides)
    return payload


ATTEMPTED_AT = datetime(2026, 11, 23, 16, 0, 5, tzinfo=UTC)
"""The instant the dispatcher's clock gives a test attempt (a fixed one: channels must use it,
never the wall clock)."""


def make_delivery(
    payload: dict[str, Any] | None = None,
    channel: str = "test",
    attempted_at: datetime = ATTEMPTED_AT,
) -> Delivery:
    """The outbox message for ``payload`` (default :func:`make_payload`), attempted at
    ``attempted_at``."""
    payload = payload if payload is not None else make_payload()
    body = orjson.dumps(payload)
    return Delivery(
        notification_id=str(payload["notification_id"]),
        channel=channel,
        notification=parse_notification(body),
        body=body,
        attempted_at=attempted_at,
    )


def email_config(server: SmtpServer, ca_file: Path | None, **overrides: Any) -> EmailChannelConfig:
    """An email channel config for ``server`` (its TLS mode and credentials), trusting ``ca_file``
    (None: the system store only)."""
    values: dict[str, Any] = {
        "type": "email",
        "host": server.host,
        "port": server.port,
        "starttls": not server.implicit_tls,
        "ssl": server.implicit_tls,
        "sender": "vendorwatch <alerts@vendorwatch.test>",
        "recipients": ["ops@example.com", "vendor-manager@example.com"],
        "ca_file": ca_file,
        "timeout_seconds": 5,
    }
    if server.credentials is not None:
        values.update(username=server.username, password=server.password)
    values.update(overrides)
    return EmailChannelConfig.model_validate(values)


def send_error(channel: Any, delivery: Delivery | None = None) -> DeliveryError:
    """The DeliveryError ``channel`` raises sending ``delivery`` (default: ``make_delivery()``)."""
    with pytest.raises(DeliveryError) as info:
        channel.send(delivery or make_delivery())
    return info.value
