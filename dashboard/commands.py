"""The dashboard's only writes: control commands for the engine (acknowledge, silence, a new
policy from the Rules page).

Each command is built with :mod:`control.send` (validated with the engine's own model, issued
at the page's clock), after the viewer's role is checked, and produced to the control topic.
The engine applies it in its next cycle and audits it in ``command_log``; nothing here touches
a database. :class:`CommandNotSent` carries a message a person can act on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from control import send as control
from control.kinds.ack import Ack
from control.kinds.set_policy import SetPolicy
from control.kinds.silence import Silence
from control.model import Command, InvalidCommand
from dashboard.access import Permission, Viewer
from dashboard.settings import DashboardConfig
from ingest.connection import kafka_client_options
from metrics.policy import parse_policy
from metrics.policy_errors import PolicyError

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
    *,
    now: datetime,
    permission: Permission = "acknowledge",
    **fields: Any,
) -> str:
    """Check the viewer's ``permission``, build a ``model`` command issued by the viewer at
    ``now`` with ``fields`` (validated with the engine's model) and produce it; its command id,
    or :class:`CommandNotSent` saying why not."""
    refusal = viewer.refusal(permission)
    if refusal is not None:
        raise CommandNotSent(f"not sent: {refusal}")
    try:
        command = control.build_command(model, now=now, issued_by=viewer.name, **fields)
    except InvalidCommand as error:
        raise CommandNotSent(f"not sent: {error}") from None
    target = control.ControlTopic(settings.topics.control, kafka_client_options(settings))
    try:
        control.produce_command(target, command, timeout=SEND_TIMEOUT_SECONDS)
    except control.CommandNotSent as exc:
        raise CommandNotSent(
            f"not sent: Kafka could not take it on {exc.topic} ({exc.cause})"
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
    now: datetime,
) -> str:
    """Send an ``ack`` for the alert (only while it is still ``alert_id``); its command id."""
    return send(
        settings,
        viewer,
        Ack,
        now=now,
        vendor_id=vendor_id,
        rule=rule,
        alert_id=alert_id,
        comment=comment or None,
    )


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
    return send(
        settings,
        viewer,
        Silence,
        now=now,
        matchers=matchers,
        ends_at=(now + duration).isoformat(),
        comment=comment or None,
    )


def propose_policy(
    settings: DashboardConfig,
    viewer: Viewer,
    policy_toml: str,
    reason: str | None,
    *,
    now: datetime,
) -> tuple[str, str]:
    """Send ``policy_toml`` as a ``set_policy`` command issued at ``now``, if the viewer may
    ``change_rules`` and it is a valid policy; (command id, policy version)."""
    refusal = viewer.refusal("change_rules")
    if refusal is not None:
        raise CommandNotSent(f"not sent: {refusal}")
    try:
        policy = parse_policy(policy_toml, source="the edited policy")
    except PolicyError as exc:
        raise CommandNotSent(f"not sent: {exc}") from None
    identity = send(
        settings,
        viewer,
        SetPolicy,
        now=now,
        permission="change_rules",
        reason=reason or None,
        policy_toml=policy_toml,
    )
    return identity, str(policy.version)
