"""Alerting settings: channels, routes, and the timings of repeats and retries.

Lives under ``[alerting]`` in ``vendorwatch.toml`` (or ``VENDORWATCH_ALERTING__*``). Contract:

* every route names only configured channels, and every channel is named like a Kafka topic
  (letters, digits, ``.``, ``_``, ``-``) — a bad reference stops start-up naming the route;
* an alert goes to the union of the channels of every route that matches it; an empty matcher
  list matches anything, so ``[[alerting.routes]] channels = ["ops"]`` routes everything;
* ``publish_topic`` puts every alert state change (and acknowledgement) on ``topics.alerts``
  whatever the routes, silences and acknowledgements say: it is a feed, not a page.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerting.channels.registry import ChannelConfig

Tier = Literal["critical", "high", "medium", "low"]
AlertSeverity = Literal["warn", "critical"]

_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class Route(BaseModel):
    """Which alerts go to which channels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channels: Annotated[list[str], Field(min_length=1)]
    vendors: list[str] = []
    tiers: list[Tier] = []
    rules: list[str] = []
    severities: list[AlertSeverity] = []

    def matches(self, *, vendor_id: str, tier: str | None, rule: str, severity: str | None) -> bool:
        """A resolved alert carries the severity it last fired with."""
        return (
            (not self.vendors or vendor_id in self.vendors)
            and (not self.tiers or tier in self.tiers)
            and (not self.rules or rule in self.rules)
            and (not self.severities or severity in self.severities)
        )


class AlertingSettings(BaseModel):
    """How breaches reach people (docs/alerting.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    channels: dict[str, ChannelConfig] = {}
    routes: list[Route] = []
    publish_topic: bool = Field(
        default=True, description="Every alert state change as an event on topics.alerts."
    )
    repeat_interval: timedelta = Field(
        default=timedelta(hours=4),
        description="Remind while an alert keeps firing unacknowledged, this often.",
    )
    send_resolved: bool = Field(default=True, description="Tell when a notified alert clears.")
    dashboard_url: str | None = Field(
        default="http://127.0.0.1:8501", description="Base URL for the links in notifications."
    )
    max_attempts: int = Field(
        default=8, ge=1, le=100, description="Deliveries tried this often, then dead-lettered."
    )
    retry_initial: timedelta = Field(
        default=timedelta(seconds=2), description="First retry delay; doubles per attempt."
    )
    retry_max: timedelta = Field(
        default=timedelta(minutes=5), description="Longest delay between two attempts."
    )

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, value: dict[str, ChannelConfig]) -> dict[str, ChannelConfig]:
        for name in value:
            if not _CHANNEL_NAME.match(name):
                raise ValueError(f"channel name {name!r}: use 1-64 letters, digits, '.', '_', '-'")
        return value

    @field_validator("repeat_interval", "retry_initial", "retry_max")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be positive")
        return value

    @field_validator("dashboard_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL such as http://127.0.0.1:8501")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _routes_name_channels(self) -> AlertingSettings:
        for number, route in enumerate(self.routes, start=1):
            unknown = [c for c in route.channels if c not in self.channels]
            if unknown:
                known = ", ".join(sorted(self.channels)) or "none configured"
                raise ValueError(
                    f"routes[{number}] sends to unknown channel(s) {', '.join(unknown)} "
                    f"(channels: {known})"
                )
        if self.retry_max < self.retry_initial:
            raise ValueError("retry_max must not be shorter than retry_initial")
        return self

    def channels_for(
        self, *, vendor_id: str, tier: str | None, rule: str, severity: str | None
    ) -> list[str]:
        """The channels every matching route names, in configuration order, each once."""
        found: dict[str, None] = {}
        for route in self.routes:
            if route.matches(vendor_id=vendor_id, tier=tier, rule=rule, severity=severity):
                found.update(dict.fromkeys(route.channels))
        return list(found)

    def link(self, vendor_id: str, alert_id: str | None = None) -> str | None:
        """The dashboard page of a vendor (and one alert's evidence), if a URL is configured."""
        if self.dashboard_url is None:
            return None
        from urllib.parse import urlencode

        query = {"vendor_id": vendor_id} | ({"alert_id": alert_id} if alert_id else {})
        return f"{self.dashboard_url}/vendor?{urlencode(query)}"


TOPIC_CHANNEL = "alerts-topic"
"""The reserved outbox channel name of ``publish_topic``'s feed."""
