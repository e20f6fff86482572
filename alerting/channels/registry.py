"""The registry of channel types: each is one module under ``alerting/channels/``, registered
once below.

Adding a channel type: write ``alerting/channels/<type>.py`` declaring its configuration (an
:class:`~alerting.channels.base.ChannelModel` with ``type: Literal["<type>"]``, whose ``open``
is the factory) and its :class:`~alerting.channels.base.Channel`, then add the configuration
to :data:`ChannelConfig`. The ``[alerting]`` settings parse every channel table through
:data:`ChannelConfig` (discriminated by ``type``, errors located at
``channels.<name>.<type>.<field>``), and :func:`open_channel` opens whatever it parsed.

Importing this module loads no network client (see :mod:`alerting.channels.base`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Union, get_args

from pydantic import ConfigDict, Field, TypeAdapter

from alerting.channels.base import Channel, ChannelContext, ChannelModel
from alerting.channels.email import EmailChannelConfig
from alerting.channels.kafka import KafkaChannelConfig
from alerting.channels.slack import SlackChannelConfig
from alerting.channels.webhook import WebhookChannelConfig

ChannelConfig = Annotated[
    WebhookChannelConfig | SlackChannelConfig | EmailChannelConfig | KafkaChannelConfig,
    Field(discriminator="type"),
]
"""Every registered channel type's configuration: one member per type."""

CHANNEL_TYPES: tuple[type[ChannelModel], ...] = get_args(get_args(ChannelConfig)[0])
"""The registered configuration models, in :data:`ChannelConfig` order."""


def config_union(types: Iterable[type[ChannelModel]]) -> Any:
    """The discriminated union of ``types``, as :data:`ChannelConfig` is of
    :data:`CHANNEL_TYPES`: for embedding a registry extended with further types. Pydantic
    refuses two types of one ``type`` name when the union is first used."""
    return Annotated[Union[tuple(types)], Field(discriminator="type")]  # noqa: UP007


def _adapter(config_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(config_type, config=ConfigDict(hide_input_in_errors=True))


_ADAPTER: TypeAdapter[ChannelConfig] = _adapter(ChannelConfig)


def parse_channel_config(data: Any, *, config_type: Any = None) -> ChannelConfig:
    """Validate a mapping (e.g. one TOML table) into the configuration its ``type`` names.

    ``config_type``: a :func:`config_union` to parse with instead of :data:`ChannelConfig`.
    Raises ``pydantic.ValidationError`` naming the field and the rule.
    """
    adapter = _ADAPTER if config_type is None else _adapter(config_type)
    parsed: ChannelConfig = adapter.validate_python(data)
    return parsed


def open_channel(
    name: str,
    config: ChannelModel,
    *,
    kafka_options: Mapping[str, Any],
    alerts_topic: str,
) -> Channel:
    """The channel ``config`` describes, named ``name``; the caller must ``close()`` it.

    ``kafka_options`` (connection options such as ``bootstrap_servers``; see
    ``ingest.connection.kafka_client_options``) and ``alerts_topic`` (used when a Kafka
    channel names no topic) matter only for Kafka channels. Opening never contacts a server.
    """
    return config.open(name, ChannelContext(alerts_topic=alerts_topic, kafka_options=kafka_options))
