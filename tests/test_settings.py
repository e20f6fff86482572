"""Settings: defaults, environment over TOML, readable errors, secrets never printed."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.conftest import run_vendorwatch
from vendorwatch.settings import (
    Settings,
    SettingsError,
    Topics,
    kafka_client_options,
    load_settings,
    settings_environment,
)

REPO = Path(__file__).resolve().parents[1]
ONE_SCREEN = 24  # lines


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No VENDORWATCH_* variable from the outside, and no ./vendorwatch.toml in the cwd."""
    for name in list(os.environ):
        if name.startswith("VENDORWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write_toml(directory: Path, text: str, name: str = "custom.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def settings_error(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    return str(info.value)


def assert_readable(message: str) -> None:
    """One screen, no traceback, no pydantic internals."""
    assert len(message.splitlines()) <= ONE_SCREEN, message
    assert "Traceback" not in message
    assert "errors.pydantic.dev" not in message
    assert "pydantic_core" not in message


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m vendorwatch ARGS`` in ``tmp_path`` with only the given VENDORWATCH_* vars."""
    return run_vendorwatch(*args, cwd=tmp_path, env=env, timeout=60)


# ------------------------------------------------------------------------------ defaults


def test_defaults() -> None:
    settings = load_settings()

    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert settings.kafka_sasl_password is None
    assert not settings.db.is_absolute()
    assert settings.db.parts[0] == "data"
    assert settings.db.suffix == ".duckdb"
    assert settings.group_id == "vendorwatch-engine"
    assert settings.topics.response_times == "vendor.response_times"
    assert settings.topics.dead_letters == "vendorwatch.dlq"
    assert settings.max_future_skew == timedelta(hours=24)
    assert settings.batch_max_records > 0
    assert kafka_client_options(settings)["bootstrap_servers"] == ["127.0.0.1:9092"]


@pytest.mark.parametrize(("cpus", "threads"), [({0}, 1), ({0, 1}, 1), ({0, 1, 2, 3}, 3)])
def test_standalone_ingest_leaves_the_poller_a_cpu(
    monkeypatch: pytest.MonkeyPatch, cpus: set[int], threads: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: cpus)
    assert load_settings().ingest_writer_threads() == threads


def test_configured_ingest_threads_are_taken_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setenv("VENDORWATCH_INGEST_THREADS", "4")
    assert load_settings().ingest_writer_threads() == 4


def test_settings_are_frozen() -> None:
    settings = load_settings()

    with pytest.raises(ValidationError):
        settings.kafka_bootstrap = "elsewhere:9092"  # type: ignore[misc]


# ------------------------------------------------------------------------------ sources


def test_environment_variables_override_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(
        "VENDORWATCH_KAFKA_BOOTSTRAP", "kafka-1.internal:9093, kafka-2.internal:9093"
    )
    monkeypatch.setenv("VENDORWATCH_DB", str(tmp_path / "store.duckdb"))
    monkeypatch.setenv("VENDORWATCH_BATCH_MAX_RECORDS", "123")
    monkeypatch.setenv("VENDORWATCH_MAX_FUTURE_SKEW", "PT1H")
    monkeypatch.setenv("VENDORWATCH_TOPICS__DEFECTS", "qa.vendor-defects")

    settings = load_settings()

    assert settings.kafka_bootstrap == "kafka-1.internal:9093, kafka-2.internal:9093"
    assert kafka_client_options(settings)["bootstrap_servers"] == [
        "kafka-1.internal:9093",
        "kafka-2.internal:9093",
    ]
    assert settings.db == tmp_path / "store.duckdb"
    assert settings.batch_max_records == 123
    assert settings.max_future_skew == timedelta(hours=1)
    assert settings.topics.defects == "qa.vendor-defects"
    assert settings.topics.response_times == "vendor.response_times"  # the rest: defaults


def test_toml_named_by_vendorwatch_config_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "etc").mkdir()
    config = write_toml(
        tmp_path / "etc",
        'kafka_bootstrap = "kafka.internal:9092"\n'
        'db = "/var/lib/vendorwatch/vw.duckdb"\n'
        "batch_max_wait_ms = 250\n"
        "\n"
        "[topics]\n"
        'response_times = "apm.vendor-response-times"\n',
    )
    monkeypatch.setenv("VENDORWATCH_CONFIG", str(config))

    settings = load_settings()

    assert settings.kafka_bootstrap == "kafka.internal:9092"
    assert settings.db == Path("/var/lib/vendorwatch/vw.duckdb")
    assert settings.batch_max_wait_ms == 250
    assert settings.topics.response_times == "apm.vendor-response-times"
    assert settings.topics.defects == "vendor.defects"
    assert settings.group_id == "vendorwatch-engine"


def test_vendorwatch_toml_in_the_working_directory_is_read(tmp_path: Path) -> None:
    write_toml(tmp_path, 'group_id = "from-cwd"\n', name="vendorwatch.toml")

    assert load_settings().group_id == "from-cwd"


def test_environment_beats_toml_and_arguments_beat_both(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = write_toml(
        tmp_path,
        'kafka_bootstrap = "from-toml:9092"\n'
        'group_id = "toml-group"\n'
        "batch_max_records = 7\n"
        "[topics]\n"
        'defects = "toml.defects"\n'
        'control = "toml.control"\n',
    )
    monkeypatch.setenv("VENDORWATCH_CONFIG", str(config))
    monkeypatch.setenv("VENDORWATCH_KAFKA_BOOTSTRAP", "from-env:9092")
    monkeypatch.setenv("VENDORWATCH_BATCH_MAX_RECORDS", "9")
    monkeypatch.setenv("VENDORWATCH_TOPICS__DEFECTS", "env.defects")

    settings = load_settings()

    assert settings.kafka_bootstrap == "from-env:9092"
    assert settings.batch_max_records == 9
    assert settings.group_id == "toml-group"  # not in the environment: the TOML's
    assert settings.topics.defects == "env.defects"
    assert settings.topics.control == "toml.control"  # nested tables merge key by key
    assert load_settings(group_id="argument").group_id == "argument"
    assert load_settings(kafka_bootstrap="arg:1").kafka_bootstrap == "arg:1"


# ------------------------------------------------------------------------------ bad values


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("VENDORWATCH_KAFKA_BOOTSTRAP", "nonsense", ["kafka_bootstrap", "nonsense", "host:port"]),
        ("VENDORWATCH_KAFKA_BOOTSTRAP", "kafka:0", ["kafka_bootstrap", "port 1-65535"]),
        ("VENDORWATCH_KAFKA_BOOTSTRAP", "a:9092,b:70000", ["kafka_bootstrap", "b:70000"]),
        ("VENDORWATCH_BATCH_MAX_RECORDS", "0", ["batch_max_records", "greater than 0"]),
        ("VENDORWATCH_BATCH_MAX_RECORDS", "many", ["batch_max_records", "integer"]),
        ("VENDORWATCH_TRANSACTION_MAX_RECORDS", "0", ["transaction_max_records", "greater"]),
        ("VENDORWATCH_INGEST_MEMORY_LIMIT", "lots", ["ingest_memory_limit", "pattern"]),
        ("VENDORWATCH_INGEST_THREADS", "0", ["ingest_threads", "greater than or equal to 1"]),
        ("VENDORWATCH_KAFKA_SECURITY_PROTOCOL", "PLAIN", ["kafka_security_protocol"]),
        ("VENDORWATCH_MAX_FUTURE_SKEW", "-PT1H", ["max_future_skew", "negative"]),
        ("VENDORWATCH_TOPICS__DEFECTS", "no spaces allowed", ["topics.defects", "letters"]),
        ("VENDORWATCH_METRICS__REPORTING_TZ", "Mars/Olympus", ["metrics.reporting_tz", "IANA"]),
        ("VENDORWATCH_METRICS__SILENT_AFTER", "PT0S", ["metrics.silent_after", "positive"]),
        ("VENDORWATCH_METRICS__MIN_DAILY_RESPONSES", "0", ["metrics.min_daily_responses"]),
        (
            "VENDORWATCH_METRICS__POLICY_FILE",
            "/nonexistent/p.toml",
            ["metrics.policy_file", "p.toml"],
        ),
    ],
)
def test_a_bad_environment_value_names_the_setting_and_the_rule(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: list[str]
) -> None:
    message = settings_error(monkeypatch, **{variable: value})

    assert variable in message
    for fragment in expected:
        assert fragment in message
    assert_readable(message)


def test_every_bad_value_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    message = settings_error(
        monkeypatch,
        VENDORWATCH_KAFKA_BOOTSTRAP="nonsense",
        VENDORWATCH_BATCH_MAX_RECORDS="0",
    )

    assert "VENDORWATCH_KAFKA_BOOTSTRAP" in message
    assert "VENDORWATCH_BATCH_MAX_RECORDS" in message
    assert_readable(message)


def test_a_bad_toml_value_names_the_setting_and_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = write_toml(tmp_path, "batch_max_records = 0\n")

    message = settings_error(monkeypatch, VENDORWATCH_CONFIG=str(config))

    assert "batch_max_records" in message
    assert "greater than 0" in message
    assert config.name in message
    assert_readable(message)


@pytest.mark.parametrize(
    ("toml", "key"),
    [("bogus = 1\n", "bogus"), ('[topics]\nnot_a_topic = "x"\n', "topics.not_a_topic")],
)
def test_an_unknown_toml_key_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, toml: str, key: str
) -> None:
    config = write_toml(tmp_path, toml)

    message = settings_error(monkeypatch, VENDORWATCH_CONFIG=str(config))

    assert key in message
    assert "not permitted" in message
    assert config.name in message
    assert_readable(message)


def test_malformed_toml_names_the_file_and_the_place(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = write_toml(tmp_path, 'kafka_bootstrap = "unterminated\ngroup_id = 5\n')

    message = settings_error(monkeypatch, VENDORWATCH_CONFIG=str(config))

    assert config.name in message
    assert "line 1" in message
    assert_readable(message)


def test_a_missing_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    message = settings_error(monkeypatch, VENDORWATCH_CONFIG=str(missing))

    assert "VENDORWATCH_CONFIG" in message
    assert str(missing) in message


def test_an_undecodable_nested_environment_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = settings_error(monkeypatch, VENDORWATCH_TOPICS="not json")

    assert "VENDORWATCH_TOPICS" in message
    assert "vendorwatch.toml" not in message


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


def test_settings_environment_reproduces_the_settings_in_a_child(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = Settings(
        kafka_bootstrap="10.0.0.1:9094",
        kafka_sasl_password="s3cret",  # type: ignore[arg-type]
        topics=Topics.prefixed("iso"),
        max_future_skew=timedelta(minutes=90),
    )
    # a local vendorwatch.toml must not leak into the child
    write_toml(tmp_path, 'group_id = "from-the-file"', name="vendorwatch.toml")
    for name, value in settings_environment(original).items():
        monkeypatch.setenv(name, value)
    assert load_settings() == original


def test_a_bad_policy_file_stops_start_up_naming_the_key_and_rule(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    policy = write_toml(
        tmp_path,
        'label = "x"\n[rules.slow]\nmetric = "latency_p95_ms"\n'
        'grain = "day"\ndirection = "above"\nwarn = 2.0\ncritical = 1.0\n',
        name="policy.toml",
    )
    message = settings_error(monkeypatch, VENDORWATCH_METRICS__POLICY_FILE=str(policy))
    assert "metrics.policy_file" in message
    assert "policy.toml" in message
    assert "rules.slow" in message
    assert_readable(message)


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
