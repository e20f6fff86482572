"""Settings sources: the defaults, then environment over TOML over defaults, arguments over all;
and the environment that reproduces a settings object in a child process."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.settings.support import NamedConfig, write_toml
from vendorwatch.settings import (
    Settings,
    Topics,
    kafka_client_options,
    load_settings,
    settings_environment,
)

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
    monkeypatch: pytest.MonkeyPatch, named_config: NamedConfig
) -> None:
    named_config(
        'kafka_bootstrap = "from-toml:9092"\n'
        'group_id = "toml-group"\n'
        "batch_max_records = 7\n"
        "[topics]\n"
        'defects = "toml.defects"\n'
        'control = "toml.control"\n',
    )
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


# ------------------------------------------------------------------------------ a child process


def test_settings_environment_reproduces_the_settings_in_a_child(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = Settings(
        kafka_bootstrap="10.0.0.1:9094",
        kafka_sasl_password="s3cret",
        topics=Topics.prefixed("iso"),
        max_future_skew=timedelta(minutes=90),
    )
    # a local vendorwatch.toml must not leak into the child
    write_toml(tmp_path, 'group_id = "from-the-file"', name="vendorwatch.toml")
    for name, value in settings_environment(original).items():
        monkeypatch.setenv(name, value)
    assert load_settings() == original
