"""The ``[alerting]`` section: channels and routes from TOML, readable errors, secrets kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.settings.support import (
    NamedConfig,
    assert_readable,
    run_cli,
    settings_error,
    write_toml,
)
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
    monkeypatch: pytest.MonkeyPatch, named_config: NamedConfig
) -> None:
    named_config(ALERTING_TOML)
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


@pytest.mark.parametrize(
    ("old", "new", "expected", "secrets"),
    [
        pytest.param(
            '["ops", "managers"]',
            '["ops", "pager"]',
            ["alerting", "routes[2] sends to unknown channel(s) pager (channels: managers, ops)"],
            ["hmac-secret-1", "tok-123"],
            id="a-route-to-an-unknown-channel",
        ),
        pytest.param(
            'sender = "vw@example.com"',
            "",
            ["alerting.channels.managers.email.sender"],
            ["smtp-password-1"],
            id="a-channel-without-a-required-field",
        ),
    ],
)
def test_a_bad_alerting_section_stops_start_up_naming_the_fault_not_the_secrets(
    monkeypatch: pytest.MonkeyPatch,
    named_config: NamedConfig,
    old: str,
    new: str,
    expected: list[str],
    secrets: list[str],
) -> None:
    """ALERTING_TOML with ``old`` replaced by ``new``: the message names what is wrong
    (``expected``) and none of the channels' secrets."""
    named_config(ALERTING_TOML.replace(old, new))
    message = settings_error(monkeypatch)
    for fragment in expected:
        assert fragment in message
    for secret in secrets:
        assert secret not in message
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
