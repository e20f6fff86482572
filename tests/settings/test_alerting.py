"""The ``[alerting]`` section: channels and routes from TOML, readable errors, secrets kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.settings.support import assert_readable, run_cli, settings_error, write_toml
from vendorwatch.settings import load_settings, settings_environment

ALERTING_TOML = """
[alerting]
repeat_interval = "PT2H"

[alerting.channels.ops]
type = "webhook"
url = "https://hooks.example.com/vw?token=tok-123"
secret = "hmac-secret-1"

[alerting.channels.managers]
type = "email"
host = "smtp.example.com"
username = "vw"
password = "smtp-password-1"
sender = "vw@example.com"
recipients = ["managers@example.com"]

[[alerting.routes]]
channels = ["ops"]
tiers = ["critical"]

[[alerting.routes]]
channels = ["ops", "managers"]
severities = ["critical"]
"""


def test_alerting_channels_and_routes_from_toml(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = write_toml(tmp_path, ALERTING_TOML)
    monkeypatch.setenv("VENDORWATCH_CONFIG", str(config))
    alerting = load_settings().alerting
    assert alerting.repeat_interval == timedelta(hours=2)
    assert sorted(alerting.channels) == ["managers", "ops"]
    route = {"vendor_id": "v", "rule": "latency_p95"}
    assert alerting.channels_for(tier="critical", severity="warn", **route) == ["ops"]
    assert alerting.channels_for(tier="low", severity="critical", **route) == ["ops", "managers"]
    assert alerting.channels_for(tier="low", severity="warn", **route) == []
    # a child process gets the same alerting settings, secrets included
    for name, value in settings_environment(load_settings()).items():
        monkeypatch.setenv(name, value)
    assert load_settings().alerting == alerting


def test_a_route_to_an_unknown_channel_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = write_toml(tmp_path, ALERTING_TOML.replace('["ops", "managers"]', '["ops", "pager"]'))
    message = settings_error(monkeypatch, VENDORWATCH_CONFIG=str(config))
    assert "alerting" in message
    assert "routes[2] sends to unknown channel(s) pager (channels: managers, ops)" in message
    assert "hmac-secret-1" not in message
    assert "tok-123" not in message
    assert_readable(message)


def test_a_bad_channel_names_the_field(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = write_toml(tmp_path, ALERTING_TOML.replace('sender = "vw@example.com"', ""))
    message = settings_error(monkeypatch, VENDORWATCH_CONFIG=str(config))
    assert "alerting.channels.managers.email.sender" in message
    assert "smtp-password-1" not in message
    assert_readable(message)


def test_alerting_secrets_are_never_printed(tmp_path: Path) -> None:
    write_toml(tmp_path, ALERTING_TOML, name="vendorwatch.toml")
    shown = run_cli(tmp_path, "config")
    assert shown.returncode == 0, shown.stderr
    assert "hmac-secret-1" not in shown.stdout
    assert "smtp-password-1" not in shown.stdout
    assert "tok-123" not in shown.stdout
    assert "https://hooks.example.com/vw" in shown.stdout
    assert '"repeat_interval": "PT2H"' in shown.stdout
