"""Turning a validated channel configuration into a ready :class:`Channel`."""

from __future__ import annotations

from typing import Any

from alerting.channels.base import Channel
from alerting.channels.config import (
    ChannelConfig,
    EmailChannelConfig,
    KafkaChannelConfig,
    SlackChannelConfig,
    WebhookChannelConfig,
)
from alerting.channels.email import EmailChannel
from alerting.channels.kafka import KafkaChannel
from alerting.channels.slack import SlackChannel
from alerting.channels.webhook import WebhookChannel


def open_channel(
    name: str, config: ChannelConfig, *, kafka_options: dict[str, Any], alerts_topic: str
) -> Channel:
    """The channel ``config`` describes, named ``name``; the caller must ``close()`` it.

    ``kafka_options`` (connection options such as ``bootstrap_servers``; see
    ``ingest.connection.kafka_client_options``) and ``alerts_topic`` (used when a Kafka
    channel names no topic) matter only for Kafka channels. Opening never contacts a server.
    """
    if isinstance(config, WebhookChannelConfig):
        return WebhookChannel(name, config)
    if isinstance(config, SlackChannelConfig):
        return SlackChannel(name, config)
    if isinstance(config, EmailChannelConfig):
        return EmailChannel(name, config)
    if isinstance(config, KafkaChannelConfig):
        return KafkaChannel(name, config.topic or alerts_topic, kafka_options)
    raise TypeError(f"unknown channel config {type(config).__name__}")
