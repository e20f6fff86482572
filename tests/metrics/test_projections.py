"""vendor_daily / vendor_monthly against an independent computation, and incremental == rebuild."""

from __future__ import annotations

import gc
import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest

from ingest.records import Record
from ingest.store import EventStore
from metrics.job import MetricsJob
from tests.metrics import reference
from tests.metrics.conftest import END, History
from vendorwatch.settings import MetricsSettings

SETTINGS = MetricsSettings(
    reporting_tz="Europe/Berlin", min_daily_responses=100, min_monthly_responses=3000
)
Key = tuple[str, date]
DERIVED_TABLES = (
    ("vendor_daily", "day"),
    ("vendor_monthly", "month"),
    ("vendor_cost_trends", "month"),
    ("vendor_scores", "day"),
)


def table(store: EventStore, name: str, period: str) -> dict[Key, dict[str, Any]]:
    result = store.connection.execute(f"SELECT * FROM {name} ORDER BY vendor_id, {period}")
    columns = [d[0] for d in result.description]
    rows = {}
    for values in result.fetchall():
        row = dict(zip(columns, values, strict=True))
        rows[(row.pop("vendor_id"), row.pop(period))] = row
    return rows


def assert_same(actual: dict[Key, dict[str, Any]], expected: dict[Key, dict[str, Any]]) -> None:
    assert sorted(actual) == sorted(expected)
    mismatches = []
    for key, want in expected.items():
        got = actual[key]
        for column, value in want.items():
            if not _close(got[column], value, column):
                mismatches.append(f"{key} {column}: stored {got[column]!r}, expected {value!r}")
    assert not mismatches, "\n".join(mismatches[:20])


def _close(got: Any, want: Any, column: str) -> bool:
    if want is None or got is None:
        return got is None and want is None
    if isinstance(want, Decimal):
        tolerance = Decimal("0.0001") if column == "cost_per_unit" else Decimal(0)
        return isinstance(got, Decimal) and abs(got - want) <= tolerance
    if isinstance(want, float) and not isinstance(want, bool):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
    return bool(got == want)


def expected(history: History, as_of: datetime) -> tuple[dict[Key, Any], dict[Key, Any]]:
    events = reference.parse_events(history.values)
    days = reference.service_rows(events, reference.daily(), as_of, SETTINGS.min_daily_responses)
    months_periods = reference.monthly(SETTINGS.reporting_tz)
    months = reference.service_rows(events, months_periods, as_of, SETTINGS.min_monthly_responses)
    money = reference.money_rows(events, months_periods, as_of, months)
    return days, {k: months[k] | money[k] for k in months}


@pytest.mark.parametrize("as_of", [END, datetime.fromisoformat("2026-03-01T00:00:00+01:00")])
def test_projections_agree_with_an_independent_computation(
    history: History, memory_store: EventStore, as_of: datetime
) -> None:
    history.write(memory_store)
    MetricsJob(memory_store.connection, SETTINGS).rebuild(as_of)

    days, months = expected(history, as_of)
    assert_same(table(memory_store, "vendor_daily", "day"), days)
    assert_same(table(memory_store, "vendor_monthly", "month"), months)


def test_the_history_exercises_what_the_projections_must_handle(
    history: History, memory_store: EventStore
) -> None:
    """Guards the test data itself: without these, the comparison above proves little."""
    history.write(memory_store)
    MetricsJob(memory_store.connection, SETTINGS).rebuild(END)
    facts = memory_store.connection.execute(
        """SELECT
            (SELECT count(DISTINCT contract_currency) FROM vendor_profiles),
            (SELECT count(*) FROM vendor_profiles GROUP BY vendor_id ORDER BY 1 DESC LIMIT 1),
            (SELECT sum(corrected_invoices) FROM vendor_monthly),
            (SELECT count(*) FROM vendor_monthly WHERE credit_note_amount < 0),
            (SELECT count(*) FROM vendor_monthly WHERE cost_status = 'currency_mismatch'),
            (SELECT count(*) FROM vendor_monthly WHERE sla_breached),
            (SELECT count(*) FROM vendor_daily WHERE status = 'insufficient'),
            (SELECT count(*) FROM vendor_daily WHERE open_critical_incidents > 0)"""
    ).fetchone()
    assert facts is not None
    currencies, max_profiles, corrected, credited, mismatched, breached, thin, critical = facts
    assert currencies >= 2
    assert max_profiles >= 2
    assert corrected >= 1
    assert credited >= 1
    assert mismatched == 1
    assert breached >= 1
    assert thin >= 1
    assert critical >= 1
    assert len(history.values) > sum(len(b) for b in history.batches[:1])


def test_incremental_runs_equal_a_rebuild(history: History, tmp_path: Any) -> None:
    incremental = EventStore(tmp_path / "incremental.duckdb")
    job = MetricsJob(incremental.connection, SETTINGS)
    as_of = END - timedelta(days=len(history.batches))
    modes = []
    for batch in history.batches:  # late events and repeats arrive in the last batches
        history.write(incremental, [batch])
        as_of += timedelta(days=1, hours=1)
        modes.append(job.run(min(as_of, END)).mode)
    modes.append(job.run(END).mode)
    assert modes[0] == "rebuild"
    assert set(modes[1:]) == {"incremental"}

    rebuilt = EventStore(tmp_path / "rebuilt.duckdb")
    history.write(rebuilt)
    MetricsJob(rebuilt.connection, SETTINGS).rebuild(END)
    for name, period in DERIVED_TABLES:
        assert table(incremental, name, period) == table(rebuilt, name, period), name
    judged = "SELECT * FROM rule_steps ORDER BY ALL"
    assert incremental.connection.execute(judged).fetchall() == (
        rebuilt.connection.execute(judged).fetchall()
    )


def test_a_run_before_the_last_one_rebuilds_as_of_that_date(
    history: History, memory_store: EventStore
) -> None:
    history.write(memory_store)
    job = MetricsJob(memory_store.connection, SETTINGS)
    job.run(END)
    earlier = END - timedelta(days=40)
    assert job.run(earlier).mode == "rebuild"
    days, _ = expected(history, earlier)
    assert_same(table(memory_store, "vendor_daily", "day"), days)


def test_changed_period_settings_force_a_rebuild(
    memory_store: EventStore, history: History
) -> None:
    history.write(memory_store, history.batches[:2])
    MetricsJob(memory_store.connection, SETTINGS).run(END)
    other = SETTINGS.model_copy(update={"reporting_tz": "America/New_York"})
    assert MetricsJob(memory_store.connection, other).run(END).mode == "rebuild"


def test_deleted_events_force_a_rebuild_that_leaves_them_out(
    memory_store: EventStore, history: History
) -> None:
    """The row-id marks rely on append-only event tables; rows deleted anyway (by hand, say)
    make the next run rebuild instead of missing what changed."""
    history.write(memory_store)
    job = MetricsJob(memory_store.connection, SETTINGS)
    job.run(END)
    con = memory_store.connection
    early = "SELECT sum(responses) FROM vendor_daily WHERE day < ?"
    cut = END - timedelta(days=30)
    assert con.execute(early, [cut.date()]).fetchone() > (0,)
    con.execute("DELETE FROM response_times WHERE occurred_at < ?", [cut])
    assert job.run(END).mode == "rebuild"
    assert con.execute(early, [cut.date()]).fetchone() == (0,)
    assert job.run(END).mode == "incremental"


def test_as_of_must_be_timezone_aware(memory_store: EventStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        MetricsJob(memory_store.connection, SETTINGS).run(datetime(2026, 1, 1))


def test_a_late_lifecycle_event_corrects_the_periods_its_lifecycle_spans(tmp_path: Any) -> None:
    """A later 'resolved' moves the resolution and raises records_exposed back on the opening
    day: an incremental run must redo every period of the lifecycle, as a rebuild does."""

    def incident(event_id: str, at: str, status: str, records: int) -> Record:
        value = orjson.dumps(
            {
                "type": "security_incident",
                "event_id": event_id,
                "vendor_id": "acme",
                "occurred_at": at,
                "incident_id": "INC-1",
                "status": status,
                "severity": "critical",
                "records_exposed": records,
            }
        )
        return Record("vendor.security_incidents", 0, int(event_id[-1]), None, value)

    first = [
        incident("e0", "2026-03-02T10:00:00Z", "opened", 10),
        incident("e1", "2026-03-04T10:00:00Z", "resolved", 10),
    ]
    late = [incident("e2", "2026-03-07T10:00:00Z", "resolved", 5000)]
    settings = MetricsSettings()
    incremental = EventStore(tmp_path / "incremental.duckdb")
    job = MetricsJob(incremental.connection, settings)
    History([first]).write(incremental)
    job.run(datetime.fromisoformat("2026-03-08T00:00:00+00:00"))
    History([late]).write(incremental)
    job.run(datetime.fromisoformat("2026-03-09T00:00:00+00:00"))

    rebuilt = EventStore(tmp_path / "rebuilt.duckdb")
    History([first, late]).write(rebuilt)
    MetricsJob(rebuilt.connection, settings).rebuild(
        datetime.fromisoformat("2026-03-09T00:00:00+00:00")
    )
    for name, period in DERIVED_TABLES:
        assert table(incremental, name, period) == table(rebuilt, name, period), name
    daily = table(incremental, "vendor_daily", "day")
    assert daily[("acme", date(2026, 3, 2))]["records_exposed"] == 5000
    assert daily[("acme", date(2026, 3, 5))]["open_critical_incidents"] == 1


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/Adak"])
def test_incremental_cost_trends_across_month_starts_equal_a_rebuild(
    history: History, tmp_path: Any, zone: str
) -> None:
    """Cost trends are recomputed from touched_at's UTC month on: runs whose last as_of sits
    just before or after a month start, in zones far ahead of and behind UTC."""
    settings = SETTINGS.model_copy(update={"reporting_tz": zone})
    incremental = EventStore(tmp_path / "incremental.duckdb")
    job = MetricsJob(incremental.connection, settings)
    for batch, instant in zip(
        history.batches,
        (
            "2026-02-27T12:00:00Z",
            "2026-02-28T20:00:00Z",
            "2026-03-01T03:00:00Z",
            "2026-03-01T15:00:00Z",
            "2026-03-31T09:00:00Z",
            "2026-04-01T11:00:00Z",
            "2026-04-01T13:00:00Z",
        ),
        strict=False,
    ):  # late events, invoices among them, arrive in the last batches
        history.write(incremental, [batch])
        job.run(datetime.fromisoformat(instant))
    history.write(incremental, history.batches[7:])
    job.run(END)
    rebuilt = EventStore(tmp_path / "rebuilt.duckdb")
    history.write(rebuilt)
    MetricsJob(rebuilt.connection, settings).rebuild(END)
    for name, period in (("vendor_monthly", "month"), ("vendor_cost_trends", "month")):
        assert table(incremental, name, period) == table(rebuilt, name, period), name
    assert len(table(rebuilt, "vendor_cost_trends", "month")) > 10


def test_a_run_pauses_the_garbage_collector_and_restores_it(memory_store: EventStore) -> None:
    collector_during: list[bool] = []

    def notify(con: Any, now: datetime, policy: Any) -> str:
        collector_during.append(gc.isenabled())
        if len(collector_during) == 2:
            raise RuntimeError("the outbox is full")
        return ""

    job = MetricsJob(memory_store.connection, SETTINGS, notify=notify)
    assert gc.isenabled()
    job.rebuild(END)
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="outbox"):
        job.rebuild(END)
    assert gc.isenabled()  # enabled again after a failed run too
    gc.disable()
    try:
        job.rebuild(END)
        assert not gc.isenabled()  # a caller's own pause is left as it was
    finally:
        gc.enable()
    assert collector_during == [False, False, False]
