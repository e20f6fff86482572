"""Acknowledge and silence from the Alerts page, and a policy proposed from the Rules page,
produce control commands on the real broker's control topic (the engine's own models accept
them); nothing is written anywhere else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition

from control.kinds.ack import Ack
from control.kinds.set_policy import SetPolicy
from control.kinds.silence import Silence
from dashboard import commands, policy_text
from dashboard.access import Viewer
from metrics.policy import default_policy
from tests.conftest import SettingsFactory
from tests.dashboard.apptest import dashboard_app, joined, open_page
from tests.dashboard.readmodels import ReadModels
from vendorwatch.settings import Settings


def control_records(settings: Settings) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, consumer_timeout_ms=3000)
    try:
        consumer.assign([TopicPartition(settings.topics.control, p) for p in range(3)])
        consumer.seek_to_beginning()
        return [orjson.loads(r.value) for r in consumer]
    finally:
        consumer.close()


@pytest.fixture
def settings(settings_factory: SettingsFactory, read_models: ReadModels) -> Settings:
    return settings_factory(read_model={"dir": read_models.normal, "stale_after": "P1D"})


def firing_option(at, vendor_id: str, rule: str) -> str:  # type: ignore[no-untyped-def]
    select = at.selectbox(key="act_alert")
    return next(o for o in select.options if o.startswith(f"{vendor_id} · {rule} ·"))


def test_acknowledge_sends_an_ack_command_to_the_control_topic(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(dashboard_app(settings, monkeypatch), "alerts")
    select = at.selectbox(key="act_alert")
    select.select(firing_option(at, "hooli-claims-1", "security_score")).run()
    at.text_input(key="act_comment").input("vendor is on it").run()
    at.button(key="ack").click().run()
    assert not at.exception
    assert not at.error
    assert "Acknowledge sent — the engine applies it within a cycle" in joined(at.success)
    (sent,) = control_records(settings)
    Ack.model_validate(sent)
    expected_alert = at.session_state["act_alert"]
    assert sent | {"command_id": "", "issued_at": ""} == {
        "type": "ack",
        "command_id": "",
        "issued_at": "",
        "issued_by": "demo",
        "vendor_id": "hooli-claims-1",
        "rule": "security_score",
        "alert_id": expected_alert,
        "comment": "vendor is on it",
    }
    assert sent["command_id"] in joined(at.success)


def test_silence_sends_a_silence_ending_after_the_chosen_duration(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(dashboard_app(settings, monkeypatch), "alerts")
    at.selectbox(key="act_alert").select(firing_option(at, "hooli-claims-1", "records_exposed"))
    at.selectbox(key="silence_scope").select("this vendor (all rules)")
    at.selectbox(key="silence_for").select("4 hours").run()
    before = datetime.now(UTC)
    at.button(key="silence").click().run()
    assert not at.exception
    assert "Silence sent — the engine applies it within a cycle" in joined(at.success)
    (sent,) = control_records(settings)
    silence = Silence.model_validate(sent)
    assert silence.matchers.model_dump(exclude_none=True) == {"vendor_id": "hooli-claims-1"}
    assert silence.ends_at is not None
    assert before + timedelta(hours=4) <= silence.ends_at <= datetime.now(UTC) + timedelta(hours=4)
    assert silence.issued_by == "demo"


def test_a_manager_cannot_send_and_nothing_reaches_kafka(settings: Settings) -> None:
    manager = Viewer("maria", "manager")
    with pytest.raises(commands.CommandNotSent, match=r"needs role ops or admin \(you are maria"):
        commands.acknowledge(
            settings,
            manager,
            vendor_id="v",
            rule="r",
            alert_id=None,
            comment=None,
            now=datetime.now(UTC),
        )
    with pytest.raises(commands.CommandNotSent, match="matchers"):
        commands.silence(
            settings,
            Viewer("olga", "ops"),
            matchers={},
            duration=timedelta(hours=1),
            now=datetime.now(UTC),
            comment=None,
        )
    assert control_records(settings) == []


def test_a_proposed_policy_is_a_set_policy_issued_at_the_page_clock(settings: Settings) -> None:
    toml = policy_text.to_toml(default_policy())
    now = datetime(2026, 11, 23, 15, tzinfo=UTC)
    with pytest.raises(commands.CommandNotSent, match="needs role admin"):
        commands.propose_policy(settings, Viewer("olga", "ops"), toml, None, now=now)
    with pytest.raises(commands.CommandNotSent, match=r"not sent: .*the edited policy"):
        commands.propose_policy(settings, Viewer("adam", "admin"), "rules = 3", None, now=now)
    assert control_records(settings) == []
    identity, version = commands.propose_policy(
        settings, Viewer("adam", "admin"), toml, "tighter latency", now=now
    )
    (sent,) = control_records(settings)
    command = SetPolicy.model_validate(sent)
    assert (command.command_id, command.issued_at, command.issued_by) == (identity, now, "adam")
    assert (command.policy_toml, command.reason) == (toml, "tighter latency")
    assert version == str(default_policy().version)
