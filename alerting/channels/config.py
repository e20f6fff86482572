"""The channel configurations under their former address, for existing importers.

Each channel type declares its configuration in its own module (``alerting/channels/<type>.py``)
and :mod:`alerting.channels.registry` unites them; import from there in new code.
"""

from __future__ import annotations

from alerting.channels.base import ChannelModel, HttpChannelModel, Timeout, email_address, http_url
from alerting.channels.email import EmailChannelConfig
from alerting.channels.kafka import KafkaChannelConfig
from alerting.channels.registry import ChannelConfig, parse_channel_config
from alerting.channels.slack import SlackChannelConfig
from alerting.channels.webhook import RESERVED_HEADERS, WebhookChannelConfig

__all__ = [
    "RESERVED_HEADERS",
    "ChannelConfig",
    "ChannelModel",
    "EmailChannelConfig",
    "HttpChannelModel",
    "KafkaChannelConfig",
    "SlackChannelConfig",
    "Timeout",
    "WebhookChannelConfig",
    "email_address",
    "http_url",
    "parse_channel_config",
]
