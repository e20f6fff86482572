"""A channel type is one module plus one registration line: a pager type from outside
vendorwatch (tests/alerting/pager_channel.py) is parsed from ``[alerting]`` through the
registry, opened by it and delivered to by the normal planner and dispatcher."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError, create_model

from alerting.channels.registry import CHANNEL_TYPES, open_channel, parse_channel_config
from alerting.config import AlertingSettings
from alerting.dispatcher import Dispatcher
from tests.alerting.pager_channel import WITH_PAGER, PagerChannel, PagerChannelConfig
from tests.alerting.store import T0, Alerts, alert_store

PAGER = {"type": "pager", "service": "claims-oncall", "routing_key": "rk-0123456789"}

PagerAlertingSettings = create_model(
    "PagerAlertingSettings", __base__=AlertingSettings, channels=(dict[str, WITH_PAGER], {})
)
"""``[alerting]`` with the pager registered: the settings parse channels through the union."""


@pytest.fixture
def alerts() -> Iterator[Alerts]:
    yield from alert_store()


def alerting_with_pager(**channel: Any) -> AlertingSettings:
    values = {
        "channels": {
            "oncall": {**PAGER, **channel},
            "ops": {"type": "webhook", "url": "http://127.0.0.1:9/ops"},
        },
        "routes": [{"channels": ["oncall"]}],
        "publish_topic": False,
    }
    return PagerAlertingSettings.model_validate(values)


def test_the_registry_lists_every_built_in_type_once() -> None:
    names = [model.model_fields["type"].annotation.__args__[0] for model in CHANNEL_TYPES]
    assert names == ["webhook", "slack", "email", "kafka"]
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        parse_channel_config(PAGER)  # not registered with vendorwatch itself


def test_a_registered_type_parses_from_alerting_settings_with_field_errors() -> None:
    config = alerting_with_pager().channels["oncall"]
    assert isinstance(config, PagerChannelConfig)
    assert config.routing_key.get_secret_value() == "rk-0123456789"
    assert "rk-0123456789" not in repr(config)
    with pytest.raises(ValidationError) as info:
        alerting_with_pager(routing_key="short-1", service="")
    message = str(info.value)
    assert "channels.oncall.pager.routing_key" in message
    assert "channels.oncall.pager.service" in message
    assert "short-1" not in message
    parsed = parse_channel_config(PAGER, config_type=WITH_PAGER)
    assert parsed == config


def test_a_registered_type_is_delivered_to_by_the_dispatcher(alerts: Alerts) -> None:
    alerts.config = alerting_with_pager()
    channel = open_channel(
        "oncall", alerts.config.channels["oncall"], kafka_options={}, alerts_topic="unused"
    )
    assert isinstance(channel, PagerChannel)
    assert channel.name == "oncall"
    dispatcher = Dispatcher(
        alerts.con.cursor(),
        alerts.config,
        {"oncall": channel},
        now_getter=lambda: T0,
        rng=random.Random(7),
    )
    alerts.transition("v1", "latency_p95", date(2026, 11, 1), "firing", "critical", T0)
    (queued,) = alerts.plan(T0)
    assert queued["channel"] == "oncall"
    (attempt,) = dispatcher.deliver_due()
    assert attempt.delivered
    (page,) = channel.pages
    assert page.service == "claims-oncall"
    assert page.dedup_key == queued["notification_id"]
    assert page.vendor_id == "v1"
    assert page.severities == ("critical",)
    assert page.summary == queued["summary"]
    status = alerts.con.execute("SELECT status, attempts FROM notifications").fetchall()
    assert status == [("delivered", 1)]
    channel.close()
    assert channel.closed
