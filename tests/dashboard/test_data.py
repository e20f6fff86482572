"""The data layer picks up each new snapshot and closes connections it no longer needs; money
is shown from ``Decimal`` exactly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dashboard import data
from dashboard.format import age, money
from ingest.store import EventStore
from metrics.job import MetricsJob
from readmodel.publish import publish
from tests.dashboard.apptest import dashboard_app, joined
from tests.metrics.conftest import END
from vendorwatch.settings import MetricsSettings, Settings

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[EventStore]:
    """An engine store whose metrics ran on no events (publishes an empty read model)."""
    store = EventStore(tmp_path / "engine.duckdb")
    MetricsJob(store.connection, MetricsSettings()).run(END)
    yield store
    store.close()


def test_each_new_snapshot_is_read_and_released_connections_are_closed(
    engine: EventStore, tmp_path: Path
) -> None:
    directory = tmp_path / "readmodel"
    publish(engine.connection, directory, T0, keep=10)
    first = data.current_snapshot(directory)
    first_connection = data._open(first.path).connection
    assert first.published_at == T0
    for minutes in range(1, data.CACHED_CONNECTIONS + 1):
        publish(engine.connection, directory, T0 + timedelta(minutes=minutes), keep=10)
        latest = data.current_snapshot(directory)
        assert latest.published_at == T0 + timedelta(minutes=minutes)
        assert data.vendor_board(latest.path, None).empty
    with pytest.raises(duckdb.ConnectionException):
        first_connection.execute("SELECT 1")


def test_the_board_shows_a_new_publication_at_the_next_run(
    engine: EventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "readmodel"
    now = datetime.now(UTC).replace(microsecond=0)
    publish(engine.connection, directory, now - timedelta(hours=2))
    settings = Settings(read_model={"dir": directory})  # type: ignore[arg-type]
    at = dashboard_app(settings, monkeypatch).run()
    assert "engine down?" in joined(at.warning)
    publish(engine.connection, directory, now)
    at.run()
    assert "engine down?" not in joined(at.warning)
    assert f"(published {now:%Y-%m-%d %H:%M} UTC)" in joined(at.caption)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("1234.565"), "EUR", "1,234.57 EUR"),  # half-up on the exact value
        (Decimal("0.285"), None, "0.29"),  # a float would round 0.285 down
        (Decimal("-20379.6700"), "USD", "-20,379.67 USD"),
        (None, "EUR", "—"),
    ],
)
def test_money_is_rounded_from_the_exact_decimal(
    amount: Decimal | None, currency: str | None, shown: str
) -> None:
    assert money(amount, currency) == shown


def test_ages_read_like_people_say_them() -> None:
    assert age(timedelta(seconds=42)) == "42 s"
    assert age(timedelta(minutes=5)) == "5 min"
    assert age(timedelta(hours=5, minutes=3)) == "5 h 3 min"
    assert age(timedelta(days=3, hours=1)) == "3 d 1 h"
