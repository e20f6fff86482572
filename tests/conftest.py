"""Shared fixtures: one real Kafka broker per test session, fresh topics and group per test."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from kafka import KafkaProducer

from ingest.topics import ensure_topics
from tests.broker import LocalBroker
from vendorwatch.settings import Settings, Topics, settings_environment

# CI machines are shared and busy (2 cores): a property test judges what it generates, never
# how fast it generated it, so slow generation and slow examples are not failures.
hypothesis_settings.register_profile(
    "vendorwatch", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("vendorwatch")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A real single-node KRaft broker on free loopback ports, for the whole session."""
    broker = LocalBroker(tmp_path_factory.mktemp("kafka"))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def settings_factory(kafka_broker: LocalBroker, tmp_path: Path) -> SettingsFactory:
    """Settings with a fresh topic set, consumer group and DuckDB file; topics are created."""

    def make(partitions: int = 3, **overrides: object) -> Settings:
        prefix = f"t{uuid.uuid4().hex[:10]}"
        topics = Topics.prefixed(prefix)
        values: dict[str, object] = {
            "kafka_bootstrap": kafka_broker.bootstrap,
            "db": tmp_path / f"{prefix}.duckdb",
            "read_model": {"dir": tmp_path / f"{prefix}-readmodel"},
            "group_id": f"{prefix}-group",
            "topics": topics,
            "batch_max_wait_ms": 200,
            "progress_interval_s": 1.0,
        }
        values.update(overrides)
        settings = Settings(**values)  # type: ignore[arg-type]
        ensure_topics(settings, partitions=partitions)
        return settings

    return make


@pytest.fixture
def producer(kafka_broker: LocalBroker) -> Iterator[KafkaProducer]:
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, linger_ms=5)
    try:
        yield producer
    finally:
        producer.close()


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment for running the ``vendorwatch`` CLI with these settings in a subprocess."""
    return settings_environment(settings)


def run_vendorwatch(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """``python -m vendorwatch ARGS`` as a user would run it: no ``VENDORWATCH_*`` variable
    from outside unless ``env`` gives it (``env`` replaces the environment when it is a
    :func:`settings_env` result), a terminal wide enough that help never truncates options."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VENDORWATCH_")}
    environ.update(env or {})
    environ.update(COLUMNS="250", TERM="dumb", NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "vendorwatch", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
