"""Building a command (the clock is the caller's) and producing it to the real broker."""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime

import orjson
import pytest

from control.kinds.ack import Ack
from control.kinds.silence import Silence
from control.kinds.unsilence import Unsilence
from control.model import InvalidCommand
from control.send import (
    CONTROL_KEY,
    CommandNotSent,
    ControlTopic,
    build_command,
    produce_command,
)
from tests.conftest import SettingsFactory
from tests.control.topic import control_records
from vendorwatch.settings import kafka_client_options

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_a_command_is_issued_at_the_clock_it_is_given_with_its_fields_as_given() -> None:
    window = {"days": ["sun"], "start": "02:00", "end": "04:00", "tz": "Europe/Berlin"}
    command = build_command(
        Silence, now=NOW, issued_by="sam", matchers={"tier": "low"}, every=window, comment=None
    )
    assert command.pop("command_id").startswith("silence-")
    assert command == {
        "type": "silence",
        "issued_at": "2026-11-23T15:00:00+00:00",
        "issued_by": "sam",
        "matchers": {"tier": "low"},
        "every": window,  # "02:00" stays "02:00": the document is what was asked for
    }
    named = build_command(Unsilence, now=NOW, issued_by="sam", command_id="c-9", silence_id="s")
    assert named["command_id"] == "c-9"
    fresh = build_command(Unsilence, now=NOW, issued_by="sam", silence_id="s")
    assert uuid.UUID(fresh["command_id"].removeprefix("unsilence-"))


@pytest.mark.parametrize(
    ("model", "now", "fields", "reason"),
    [
        (Silence, NOW, {"matchers": {}, "ends_at": "2026-11-24T00:00:00Z"}, "matchers: give at"),
        (Silence, NOW, {"matchers": {"vendor_id": "v1"}}, "ends_at: required unless 'every'"),
        (Ack, NOW, {"vendor_id": "v1"}, "rule: Field required"),
        (Ack, NOW, {"vendor_id": "v1", "rule": "r", "colour": "red"}, "colour: Extra inputs"),
        (Ack, datetime(2026, 11, 23), {"vendor_id": "v1", "rule": "r"}, "issued_at: "),
    ],
)
def test_a_command_the_engine_would_refuse_is_refused_when_built_naming_the_field(
    model: type[Ack] | type[Silence], now: datetime, fields: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidCommand) as refused:
        build_command(model, now=now, issued_by="sam", **fields)
    assert str(refused.value).startswith(reason)


def test_commands_go_to_the_control_topic_on_one_partition_in_the_order_sent(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory(partitions=3)
    target = ControlTopic(settings.topics.control, kafka_client_options(settings))
    sent = [
        build_command(Unsilence, now=NOW, issued_by="sam", silence_id=f"s{n}") for n in range(4)
    ]
    for command in sent:
        produce_command(target, command, timeout=10)
    records = control_records(settings)
    assert len({r.partition for r in records}) == 1
    assert {r.key for r in records} == {CONTROL_KEY}
    assert [orjson.loads(r.value) for r in records] == sent


def test_a_broker_that_cannot_be_reached_is_command_not_sent_naming_the_topic() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = ControlTopic("x.control", {"bootstrap_servers": [f"127.0.0.1:{port}"]})
    command = build_command(Unsilence, now=NOW, issued_by="sam", silence_id="s")
    with pytest.raises(CommandNotSent) as failed:
        produce_command(target, command, timeout=1)
    assert failed.value.topic == "x.control"
    assert str(failed.value).startswith("could not send to x.control: ")
