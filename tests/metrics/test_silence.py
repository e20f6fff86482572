"""A vendor that stops sending events is visible as silent, never as quietly fine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from ingest.records import Record
from ingest.store import EventStore
from metrics.job import MetricsJob
from tests.metrics.conftest import History
from vendorwatch.settings import MetricsSettings

AS_OF = datetime(2026, 4, 20, 8, tzinfo=UTC)  # before the history END used as ingest time


def _responses(vendor: str, until: datetime) -> list[bytes]:
    values, moment = [], AS_OF - timedelta(days=10)
    while moment < until:
        values.append(
            orjson.dumps(
                {
                    "type": "response_time",
                    "event_id": f"{vendor}-{moment.isoformat()}",
                    "vendor_id": vendor,
                    "occurred_at": moment.isoformat(),
                    "service": "helpdesk",
                    "latency_ms": 120.0,
                }
            )
        )
        moment += timedelta(minutes=10)
    return values


def test_a_vendor_that_stops_reporting_is_silent_and_its_days_have_no_data() -> None:
    values = _responses("talks", AS_OF) + _responses("quiet", AS_OF - timedelta(days=3))
    records = [Record("vendor.response_times", 0, i, None, v) for i, v in enumerate(values)]
    store = EventStore(":memory:")
    History([records]).write(store)
    settings = MetricsSettings(silent_after=timedelta(hours=6), min_daily_responses=10)
    MetricsJob(store.connection, settings).run(AS_OF)

    status = dict(
        store.connection.execute(
            "SELECT vendor_id, reporting_status FROM vendor_status ORDER BY ALL"
        ).fetchall()
    )
    assert status == {"quiet": "silent", "talks": "reporting"}
    hours = store.connection.execute(
        "SELECT hours_since_last_response FROM vendor_status WHERE vendor_id = 'quiet'"
    ).fetchone()
    assert hours is not None
    assert 72 <= hours[0] < 72.2
    days = store.connection.execute(
        """SELECT day, status, responses, latency_p95_ms, success_rate FROM vendor_daily
        WHERE vendor_id = 'quiet' AND day >= DATE '2026-04-18' ORDER BY day"""
    ).fetchall()
    assert [d[1:] for d in days] == [("no_data", 0, None, None)] * 3
