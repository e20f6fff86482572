"""The dashboard's only writes: control commands for the engine (acknowledge, silence).

Each command is built like the CLI's (``vendorwatch alerts ack|silence``), validated with the
engine's own model, checked against the viewer's role, and produced to the control topic. The
engine applies it in its next cycle and audits it in ``command_log``; nothing here touches a
database. :class:`CommandNotSent` carries a message a person can act on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from alerting.commands import Ack, Silence
from dashboard.access import Permission, Viewer
from dashboard.settings import DashboardConfig
from metrics.control import Command, validation_reason
from vendorwatch.cli.control import new_command, produce_command

SEND_TIMEOUT_SECONDS = 10.0

SILENCE_DURATIONS: dict[str, timedelta] = {
    "1 hour": timedelta(hours=1),
    "4 hours": timedelta(hours=4),
    "1 day": timedelta(days=1),
    "1 week": timedelta(weeks=1),
}


class CommandNotSent(Exception):
    """The command was refused here (role, validation) or Kafka could not take it."""


def send(
    settings: DashboardConfig,
    viewer: Viewer,
    model: type[Command],
    command: dict[str, Any],
    *,
    permission: Permission = "acknowledge",
) -> str:
    """Check the viewer's ``permission``, validate ``command`` with the engine's ``model`` and
    produce it; its command id, or :class:`CommandNotSent` saying why not."""
    from kafka.errors import KafkaError

    refusal = viewer.refusal(permission)
    if refusal is not None:
        raise CommandNotSent(f"not sent: {refusal}")
    try:
        model.model_validate(command)
    except ValidationError as error:
        raise CommandNotSent(f"not sent: {validation_reason(error)}") from None
    try:
        produce_command(settings, command, timeout=SEND_TIMEOUT_SECONDS)
    except KafkaError as exc:
        raise CommandNotSent(
            f"not sent: Kafka could not take it on {settings.topics.control} ({exc})"
        ) from None
    return str(command["command_id"])


def acknowledge(
    settings: DashboardConfig,
    viewer: Viewer,
    *,
    vendor_id: str,
    rule: str,
    alert_id: str | None,
    comment: str | None,
) -> str:
    """Send an ``ack`` for the alert (only while it is still ``alert_id``); its command id."""
    command = new_command(
        "ack",
        viewer.name,
        None,
        vendor_id=vendor_id,
        rule=rule,
        alert_id=alert_id,
        comment=comment or None,
    )
    return send(settings, viewer, Ack, command)


def silence(
    settings: DashboardConfig,
    viewer: Viewer,
    *,
    matchers: dict[str, str],
    duration: timedelta,
    now: datetime,
    comment: str | None,
) -> str:
    """Send a ``silence`` of the matching alerts from now for ``duration``; its command id."""
    command = new_command(
        "silence",
        viewer.name,
        None,
        matchers=matchers,
        ends_at=(now + duration).isoformat(),
        comment=comment or None,
    )
    return send(settings, viewer, Silence, command)
