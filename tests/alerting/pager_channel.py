"""A channel type that is not part of vendorwatch: what a new type's module declares.

Like ``alerting/channels/<type>.py``: its configuration (:class:`PagerChannelConfig`, with
``type: Literal["pager"]`` and ``open`` as the factory) and its channel (:class:`PagerChannel`,
an in-memory pager that keeps each page). :data:`WITH_PAGER` is the one registration line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, SecretStr

from alerting.channels.base import Channel, ChannelContext, ChannelModel, Delivery, DeliveryError
from alerting.channels.registry import CHANNEL_TYPES, config_union


class PagerChannelConfig(ChannelModel):
    """Page the on-call of ``service`` with ``routing_key``."""

    type: Literal["pager"]
    service: str = Field(min_length=1)
    routing_key: SecretStr = Field(min_length=8)
    min_severity: Literal["warn", "critical"] = "warn"

    def open(self, name: str, context: ChannelContext) -> Channel:
        return PagerChannel(name, self)


@dataclass(frozen=True)
class Page:
    """What the pager received: deduplicated on ``dedup_key`` (the notification id)."""

    service: str
    dedup_key: str
    summary: str
    vendor_id: str | None
    severities: tuple[str | None, ...]


class PagerChannel:
    """Keeps every page it is sent (in order) in :attr:`pages`."""

    def __init__(self, name: str, config: PagerChannelConfig) -> None:
        self.name = name
        self.config = config
        self.pages: list[Page] = []
        self.closed = False

    def send(self, delivery: Delivery) -> str:
        notification = delivery.notification
        if not notification.summary:
            raise DeliveryError("a page needs a summary", retryable=False)
        self.pages.append(
            Page(
                service=self.config.service,
                dedup_key=delivery.notification_id,
                summary=notification.summary,
                vendor_id=notification.vendor.vendor_id if notification.vendor else None,
                severities=tuple(alert.severity for alert in notification.alerts),
            )
        )
        return f"paged {self.config.service}"

    def close(self) -> None:
        self.closed = True


WITH_PAGER = config_union((*CHANNEL_TYPES, PagerChannelConfig))
"""The registered channel types plus the pager: the one line a new type adds."""
