"""Score properties over arbitrary projections: always in range, and no data never looks good."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.store import EventStore
from metrics.policy import default_policy
from metrics.scores import DDL as SCORE_DDL
from metrics.scores import ScoreWeights, compute_scores
from metrics.tables import DDL

FIRST_DAY = date(2026, 3, 1)
SCORES = ("quality_score", "security_score", "cost_score", "backsourcing_score")

day_figures = st.fixed_dictionaries(
    {
        "responses": st.integers(0, 3000),
        "failure_share": st.floats(0, 1),
        "latency_p95_ms": st.floats(0, 20_000),
        "defects_opened": st.integers(0, 30),
        "incidents_opened_critical": st.integers(0, 2),
        "incidents_opened_low": st.integers(0, 5),
        "open_critical_incidents": st.integers(0, 3),
        "records_exposed": st.integers(0, 10**9),
    }
)
sla = st.fixed_dictionaries(
    {
        "sla_latency_p95_ms": st.none() | st.floats(1, 5000),
        "sla_success_rate_min": st.none() | st.floats(0.5, 1.0),
        "sla_defects_per_1k_max": st.none() | st.floats(0, 10),
    }
)
months = st.lists(st.none() | st.floats(0, 500_000), min_size=0, max_size=8)
weights = st.builds(
    ScoreWeights,
    quality=st.floats(0, 1),
    security=st.floats(0, 1),
    cost=st.floats(0.01, 1),
    policy_version=st.just("hypothesis"),
)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    store = EventStore(":memory:")
    for statement in (*DDL, *SCORE_DDL):
        store.connection.execute(statement)
    yield store.connection
    store.close()


def _insert(con: duckdb.DuckDBPyConnection, table: str, **values: Any) -> None:
    names = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
    nullable = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[2] == "YES"}
    row = {n: values.get(n, None if n in nullable else 0) for n in names}
    placeholders = ", ".join("?" for _ in names)
    con.execute(f"INSERT INTO {table} VALUES ({placeholders})", list(row.values()))


def _fill(
    con: duckdb.DuckDBPyConnection,
    days: list[dict[str, Any]],
    terms: dict[str, Any],
    costs: list[float | None],
) -> datetime:
    for table in ("vendor_daily", "vendor_monthly", "vendor_scores", "vendor_cost_trends"):
        con.execute(f"DELETE FROM {table}")
    con.execute("DELETE FROM vendor_profiles")
    profile = {
        "event_id": "vp",
        "vendor_id": "v",
        "occurred_at": datetime(2025, 1, 1, tzinfo=UTC),
        "name": "V",
        "service": "s",
        "tier": "high",
        "contract_start_date": date(2025, 1, 1),
        "contract_end_date": date(2028, 1, 1),
        "monthly_fee": 40_000,
        "contract_currency": "EUR",
        "insourcing_monthly_cost": 38_000,
        "insourcing_one_time_cost": 1,
        "insourcing_lead_time_days": 1,
        "insourcing_currency": "EUR",
        "topic": "t",
        "raw": "{}",
        "ingested_at": datetime(2025, 1, 1, tzinfo=UTC),
    }
    _insert(con, "vendor_profiles", **(profile | terms))
    for index, figures in enumerate(days):
        responses = figures["responses"]
        _insert(
            con,
            "vendor_daily",
            vendor_id="v",
            day=FIRST_DAY + timedelta(days=index),
            status="ok" if responses else "no_data",
            complete=True,
            responses=responses,
            failures=round(responses * figures["failure_share"]),
            latency_p95_ms=figures["latency_p95_ms"] if responses else None,
            **{
                k: v
                for k, v in figures.items()
                if k not in ("responses", "failure_share", "latency_p95_ms")
            },
        )
    last_day = FIRST_DAY + timedelta(days=len(days) - 1)
    for offset, cost in enumerate([*costs, None]):  # the months before the last day's, and it
        year, m = divmod(last_day.month - 1 - len(costs) + offset, 12)
        _insert(
            con,
            "vendor_monthly",
            vendor_id="v",
            month=date(last_day.year + year, m + 1, 1),
            status="ok",
            complete=True,
            currency="EUR",
            invoices=0 if cost is None else 1,
            invoiced_amount=cost,
            contracted_fee=(profile | terms)["monthly_fee"],
            net_effective_cost=cost,
            cost_status="no_invoice" if cost is None else "ok",
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _dirty AS SELECT 'v' AS vendor_id, "
        "TIMESTAMPTZ '2020-01-01 00:00:00+00' AS touched_at"
    )
    return datetime.combine(FIRST_DAY + timedelta(days=len(days)), datetime.min.time(), UTC)


def _scores(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    result = con.execute("SELECT * FROM vendor_scores ORDER BY day")
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(day_figures, min_size=1, max_size=45), sla, months, weights)
def test_scores_stay_in_range_and_no_data_never_scores(
    con: duckdb.DuckDBPyConnection,
    days: list[dict[str, Any]],
    terms: dict[str, Any],
    costs: list[float | None],
    score_weights: ScoreWeights,
) -> None:
    as_of = _fill(con, days, terms, costs)
    compute_scores(con, as_of=as_of, weights=score_weights, min_responses=500)
    rows = _scores(con)
    assert len(rows) == len(days)
    for row in rows:
        for name in SCORES:
            assert row[name] is None or 0 <= row[name] <= 100, (name, row)
        if row["quality_status"] != "ok":
            assert row["quality_score"] is None
        if row["responses_30d"] == 0:
            assert row["security_score"] is None
            assert row["quality_status"] == "no_data"
        if (
            row["quality_score"] is None
            and row["security_score"] is None
            and row["cost_score"] is None
        ):
            assert row["backsourcing_score"] is None


def test_a_silent_vendor_has_no_quality_or_security_score(con: duckdb.DuckDBPyConnection) -> None:
    quiet = {"responses": 0, "failure_share": 0.0, "latency_p95_ms": 0.0, "defects_opened": 0}
    noisy = {**quiet, "responses": 5000, "latency_p95_ms": 400.0}
    zero = {"incidents_opened_critical": 0, "incidents_opened_low": 0}
    zero |= {"open_critical_incidents": 0, "records_exposed": 0}
    days = [noisy | zero] * 5 + [quiet | zero] * 40
    as_of = _fill(con, days, {"sla_latency_p95_ms": 1000.0}, [])
    compute_scores(con, as_of=as_of, weights=ScoreWeights.of(default_policy()), min_responses=500)
    rows = _scores(con)
    assert rows[4]["quality_score"] == 100.0  # p95 400 vs 1000: r = 0.4
    assert rows[4]["security_score"] == 100.0
    last = rows[-1]
    assert (last["quality_status"], last["quality_score"], last["security_score"]) == (
        "no_data",
        None,
        None,
    )
    assert last["backsourcing_score"] is None


@pytest.mark.parametrize(
    ("p95", "expected"),
    [(250.0, 100.0), (500.0, 100.0), (750.0, 85.0), (1000.0, 70.0), (1500.0, 35.0), (2500.0, 0.0)],
)
def test_the_latency_score_follows_the_documented_curve(
    con: duckdb.DuckDBPyConnection, p95: float, expected: float
) -> None:
    day = {"responses": 1000, "failure_share": 0.0, "latency_p95_ms": p95, "defects_opened": 0}
    day |= {"incidents_opened_critical": 0, "incidents_opened_low": 0}
    day |= {"open_critical_incidents": 0, "records_exposed": 0}
    as_of = _fill(con, [day], {"sla_latency_p95_ms": 1000.0}, [])
    compute_scores(con, as_of=as_of, weights=ScoreWeights.of(default_policy()), min_responses=500)
    (row,) = _scores(con)
    assert row["latency_score"] == pytest.approx(expected)
    assert row["quality_score"] == pytest.approx(expected)  # the only component with a target


def test_the_worked_example_of_docs_metrics_md(con: duckdb.DuckDBPyConnection) -> None:
    quiet = {"incidents_opened_critical": 0, "incidents_opened_low": 0}
    quiet |= {"open_critical_incidents": 0, "records_exposed": 0}
    older = [quiet | {"responses": 0, "failure_share": 0.0, "latency_p95_ms": 0.0}] * 60
    older[0] = older[0] | {"incidents_opened_high": 1, "incidents_opened_medium": 2}
    older[1] = older[1] | {"incidents_opened_low": 3, "records_exposed": 999}
    recent = [
        quiet
        | {"responses": 1000, "failure_share": 0.003, "latency_p95_ms": 1650.0}
        | {"defects_opened": 2 if i < 15 else 1}
        for i in range(30)
    ]
    terms = {"sla_latency_p95_ms": 1500.0, "sla_success_rate_min": 0.995}
    terms |= {"sla_defects_per_1k_max": 2.0, "monthly_fee": 45_000}
    terms |= {"insourcing_monthly_cost": 41_000}
    costs = [48_000.0, 46_000.0, 49_500.0, 47_000.0, 48_500.0, 49_500.0]
    as_of = _fill(con, older + recent, terms, costs)
    compute_scores(con, as_of=as_of, weights=ScoreWeights.of(default_policy()), min_responses=500)
    last = _scores(con)[-1]

    expected = {
        "latency_score": 63.0,
        "reliability_score": 94.0,
        "defect_score": 85.0,
        "quality_score": 80.67,
        "security_score": 49.0,
        "variance_score": 58.77,
        "inhouse_score": 44.96,
        "cost_trend_score": 100.0,
        "cost_score": 67.91,
        "backsourcing_score": 31.08,
    }
    assert {k: round(last[k], 2) for k in expected} == expected
    assert str(last["run_rate"]) == "48333.3333"
