"""Channel configurations: validation errors name the field and the rule, secrets stay
hidden, and the registry opens each registered type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from alerting.channels.email import EmailChannel, EmailChannelConfig
from alerting.channels.kafka import KafkaChannel
from alerting.channels.registry import ChannelConfig, open_channel, parse_channel_config
from alerting.channels.slack import SlackChannel
from alerting.channels.webhook import WebhookChannel
from tests.alerting.servers import HttpReceiver


def validation_message(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        parse_channel_config(data)
    return str(info.value)


HOOK = {"type": "webhook", "url": "http://h"}
EMAIL = {
    "type": "email",
    "host": "smtp.example.com",
    "sender": "alerts@example.com",
    "recipients": ["ops@example.com"],
}


def test_config_starttls_and_ssl_are_exclusive() -> None:
    message = validation_message({**EMAIL, "starttls": True, "ssl": True})
    assert "starttls and ssl are mutually exclusive" in message
    implicit = parse_channel_config({**EMAIL, "ssl": True, "port": 465})
    assert isinstance(implicit, EmailChannelConfig)
    assert implicit.ssl
    assert not implicit.starttls


def test_config_password_and_username_go_together() -> None:
    message = validation_message({**EMAIL, "password": "hunter2-secret"})
    assert "password is set but username is missing" in message
    assert "hunter2-secret" not in message
    message = validation_message({**EMAIL, "username": "bob"})
    assert "username is set but password is missing" in message
    message = validation_message(
        {**EMAIL, "username": "bob", "password": "hunter2-secret", "starttls": False}
    )
    assert "require starttls=true or ssl=true" in message
    assert "hunter2-secret" not in message


def test_config_secrets_stay_hidden_inside_a_parent_model() -> None:
    """A parent model without ``hide_input_in_errors`` must not leak password or secret."""

    class Parent(BaseModel):
        channels: dict[str, ChannelConfig]

    bad = [
        {**EMAIL, "password": "hunter2-secret"},  # no username (cross-field rule)
        {**EMAIL, "username": "u", "password": "hunter2-secret", "sender": None},
        {"type": "email", "password": "hunter2-secret"},  # many fields missing
        {**HOOK, "secret": "hunter2-secret", "timeout_seconds": -1},
        {**HOOK, "secret": "hunter2-secret", "surprise": 1},
    ]
    for data in bad:
        with pytest.raises(ValidationError) as info:
            Parent.model_validate({"channels": {"x": data}})
        assert "hunter2-secret" not in str(info.value), data
        assert "hunter2-secret" not in repr(info.value.errors())


@pytest.mark.parametrize(
    ("data", "location", "rule"),
    [
        ({"type": "webhook", "url": "ftp://x"}, "url", "http:// or https://"),
        ({"type": "webhook", "url": "https://"}, "url", "must name a host"),
        ({"type": "slack", "url": "hooks.slack.com/x"}, "url", "http:// or https://"),
        ({**HOOK, "timeout_seconds": 0}, "timeout_seconds", "greater than 0"),
        ({**HOOK, "timeout_seconds": 61}, "timeout_seconds", "less than or equal to 60"),
        ({**HOOK, "headers": {"Idempotency-Key": "x"}}, "headers", "cannot be overridden"),
        ({**HOOK, "headers": {"X-A": "1\r\nX-B: 2"}}, "headers", "must not contain line breaks"),
        ({**HOOK, "verbose": True}, "verbose", "Extra inputs are not permitted"),
        ({**EMAIL, "recipients": []}, "recipients", "at least 1 item"),
        ({**EMAIL, "recipients": ["ops"]}, "recipients", "does not look like an email address"),
        ({**EMAIL, "sender": "alerts"}, "sender", "does not look like an email address"),
        ({**EMAIL, "port": 0}, "port", "greater than or equal to 1"),
        ({**EMAIL, "ca_file": "/nonexistent/ca.pem"}, "ca_file", "not a readable file"),
        ({"type": "kafka", "topic": "bad topic!"}, "topic", "[A-Za-z0-9._-]"),
        ({"type": "pager"}, "pager", "does not match any of the expected tags"),
    ],
)  # fmt: skip
def test_config_errors_name_field_and_rule(data: dict[str, Any], location: str, rule: str) -> None:
    message = validation_message(data)
    assert location in message
    assert rule in message


def test_open_channel_builds_each_kind(http_receiver: HttpReceiver, ca_file: Path) -> None:
    configs: dict[str, Any] = {
        "webhook": {"type": "webhook", "url": http_receiver.url},
        "slack": {"type": "slack", "url": http_receiver.url},
        "email": {**EMAIL, "ca_file": str(ca_file)},
        "kafka": {"type": "kafka", "topic": "custom.alerts"},
    }
    kinds = {
        "webhook": WebhookChannel,
        "slack": SlackChannel,
        "email": EmailChannel,
        "kafka": KafkaChannel,
    }
    for name, data in configs.items():
        channel = open_channel(
            name, parse_channel_config(data), kafka_options={}, alerts_topic="vendorwatch.alerts"
        )
        try:
            assert isinstance(channel, kinds[name])
            assert channel.name == name
        finally:
            channel.close()
    kafka = open_channel(
        "k", parse_channel_config(configs["kafka"]), kafka_options={}, alerts_topic="x"
    )
    assert isinstance(kafka, KafkaChannel)
    assert kafka.topic == "custom.alerts"
