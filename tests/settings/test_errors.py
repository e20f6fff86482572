"""A bad setting stops start-up with one readable message naming the setting, its source and
the rule it broke."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.settings.support import NamedConfig, assert_readable, settings_error, write_toml

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


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        pytest.param(
            "batch_max_records = 0\n", ["batch_max_records", "greater than 0"], id="bad-value"
        ),
        pytest.param("bogus = 1\n", ["bogus", "not permitted"], id="unknown-key"),
        pytest.param(
            '[topics]\nnot_a_topic = "x"\n',
            ["topics.not_a_topic", "not permitted"],
            id="unknown-nested-key",
        ),
        pytest.param('kafka_bootstrap = "unterminated\ngroup_id = 5\n', ["line 1"], id="malformed"),
    ],
)
def test_a_bad_config_file_names_the_file_and_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, named_config: NamedConfig, toml: str, expected: list[str]
) -> None:
    """A bad value names the setting and the rule; an unknown key (top level or in a table)
    is not permitted; malformed TOML names the place. Each names the file."""
    config = named_config(toml)

    message = settings_error(monkeypatch)

    for fragment in expected:
        assert fragment in message
    assert config.name in message
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
