"""``vendorwatch config`` and bad settings on the command line; secrets are never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.settings.support import assert_readable, run_cli, write_toml
from vendorwatch.settings import Settings, kafka_client_options, load_settings

# ------------------------------------------------------------------------------ the CLI


def test_cli_exits_2_with_a_readable_message_on_a_bad_value(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "config", VENDORWATCH_KAFKA_BOOTSTRAP="nonsense")

    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "kafka_bootstrap" in result.stderr
    assert "VENDORWATCH_KAFKA_BOOTSTRAP" in result.stderr
    assert "host:port" in result.stderr
    assert_readable(result.stderr)


def test_cli_exits_2_on_a_malformed_config_file(tmp_path: Path) -> None:
    config = write_toml(tmp_path, "this is not toml\n")

    result = run_cli(tmp_path, "config", VENDORWATCH_CONFIG=str(config))

    assert result.returncode == 2, result.stderr
    assert config.name in result.stderr
    assert_readable(result.stderr)


def test_cli_config_prints_the_effective_settings(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "config", VENDORWATCH_GROUP_ID="cli-group")

    assert result.returncode == 0, result.stderr
    assert '"group_id": "cli-group"' in result.stdout
    assert '"kafka_bootstrap": "127.0.0.1:9092"' in result.stdout


# ------------------------------------------------------------------------------ secrets


def test_the_sasl_password_is_never_printed(tmp_path: Path) -> None:
    env = {
        "VENDORWATCH_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "VENDORWATCH_KAFKA_SASL_MECHANISM": "PLAIN",
        "VENDORWATCH_KAFKA_SASL_USERNAME": "vendorwatch",
        "VENDORWATCH_KAFKA_SASL_PASSWORD": "hunter2",
    }

    result = run_cli(tmp_path, "config", **env)

    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    assert '"kafka_sasl_password": "**********"' in result.stdout


def test_the_sasl_password_from_toml_is_never_printed(tmp_path: Path) -> None:
    config = write_toml(tmp_path, 'kafka_sasl_password = "hunter2"\n')

    result = run_cli(tmp_path, "config", VENDORWATCH_CONFIG=str(config))

    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout + result.stderr


def test_the_sasl_password_is_not_in_error_messages(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "config",
        VENDORWATCH_KAFKA_SASL_PASSWORD="hunter2",
        VENDORWATCH_KAFKA_BOOTSTRAP="nonsense",
    )

    assert result.returncode == 2
    assert "hunter2" not in result.stdout + result.stderr


def test_the_password_is_masked_in_python_but_reaches_the_kafka_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VENDORWATCH_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("VENDORWATCH_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("VENDORWATCH_KAFKA_SASL_USERNAME", "vendorwatch")
    monkeypatch.setenv("VENDORWATCH_KAFKA_SASL_PASSWORD", "hunter2")

    settings = load_settings()

    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings)
    assert "hunter2" not in settings.model_dump_json()
    options = kafka_client_options(settings)
    assert options["sasl_plain_password"] == "hunter2"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["security_protocol"] == "SASL_SSL"
    assert isinstance(settings, Settings)
