"""Wiring alerting into the engine: the planner hook, the command types and the dispatcher.

:class:`DeliveryLoop` runs :meth:`alerting.dispatcher.Dispatcher.deliver_due` on its own
DuckDB cursor whenever a metrics run committed (``wake``) and whenever a retry comes due
(polling at most every ``poll_seconds``), until :meth:`stop`. A DuckDB error in a pass is
logged and the pass retried: the outbox keeps every message until it is delivered or dead.
"""

from __future__ import annotations

import logging
from datetime import datetime

import duckdb

from alerting.channels.base import Channel
from alerting.channels.kafka import KafkaChannelConfig
from alerting.channels.registry import open_channel
from alerting.config import TOPIC_CHANNEL, AlertingSettings
from alerting.dispatcher import Dispatcher
from alerting.planner import plan_notifications
from control import kinds
from control.model import CommandType
from metrics.job import Notify
from metrics.policy import Policy
from vendorwatch.clock import Clock
from vendorwatch.loops import WakeableLoop
from vendorwatch.settings import Settings, kafka_client_options

log = logging.getLogger(__name__)


def planner_hook(settings: AlertingSettings) -> Notify:
    """The metrics job's ``notify``: plan notifications in the run's transaction."""

    def notify(con: duckdb.DuckDBPyConnection, now: datetime, policy: Policy) -> str:
        outcome = plan_notifications(con, now, settings, policy)
        held = f", {outcome.held} held by silences" if outcome.held else ""
        return f"{outcome.messages} notification(s) queued{held}"

    return notify


def command_types(settings: AlertingSettings) -> dict[str, CommandType]:
    """Every command the engine applies from the control topic (:data:`control.kinds.KINDS`)."""
    return kinds.command_types(settings)


def open_channels(settings: Settings) -> dict[str, Channel]:
    """Every configured channel, plus the alerts topic feed when ``publish_topic``."""
    options = kafka_client_options(settings)
    alerting = settings.alerting
    channels = {
        name: open_channel(name, config, kafka_options=options, alerts_topic=settings.topics.alerts)
        for name, config in alerting.channels.items()
    }
    if alerting.publish_topic:
        channels[TOPIC_CHANNEL] = open_channel(
            TOPIC_CHANNEL,
            KafkaChannelConfig(type="kafka"),
            kafka_options=options,
            alerts_topic=settings.topics.alerts,
        )
    return channels


class DeliveryLoop(WakeableLoop):
    """Drains the outbox until :meth:`stop` (see the module docstring)."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        settings: Settings,
        *,
        now_getter: Clock,
        poll_seconds: float = 1.0,
        channels: dict[str, Channel] | None = None,
    ) -> None:
        super().__init__("delivery", interval=poll_seconds)
        self._cursor = connection.cursor()
        self._channels = open_channels(settings) if channels is None else channels
        self._dispatcher = Dispatcher(
            self._cursor, settings.alerting, self._channels, now_getter=now_getter
        )

    def work(self) -> None:
        try:
            self._dispatcher.deliver_due()
        except duckdb.Error:
            log.exception("delivery pass failed; retrying")

    def finish(self) -> None:
        self._dispatcher.close()
        self._cursor.close()
