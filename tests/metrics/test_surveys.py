"""Satisfaction surveys end to end without a broker: stored, projected per day and month
(CSAT, mean score, NPS), part of the quality score, judged by the default policy's rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import orjson
import pytest

from dashboard.report import monthly_review
from dashboard.report_render import to_csv, to_html
from ingest.batch import RecordChecks
from ingest.records import Record
from ingest.store import EventStore
from metrics.explain import explain_vendor
from metrics.job import MetricsJob
from vendorwatch.settings import MetricsSettings

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
SETTINGS = MetricsSettings(min_daily_responses=1, min_monthly_responses=10)  # 60 a month
CHECKS = RecordChecks(
    {"cs": "satisfaction_survey", "rt": "response_time"},
    max_future_skew=timedelta(hours=24),
    max_record_bytes=10_000,
)


def _survey(vendor: str, n: int, day: int, score: int, scale: str = "1-5") -> bytes:
    return orjson.dumps(
        {
            "type": "satisfaction_survey",
            "event_id": f"cs-{vendor}-{n}",
            "vendor_id": vendor,
            "occurred_at": f"2026-10-{day:02d}T10:00:00Z",
            "service": "helpdesk",
            "scale": scale,
            "score": score,
            "comment": "the agent was rude to me",
        }
    )


def _response(vendor: str, n: int, day: int) -> bytes:
    return orjson.dumps(
        {
            "type": "response_time",
            "event_id": f"rt-{vendor}-{n}",
            "vendor_id": vendor,
            "occurred_at": f"2026-10-{day:02d}T09:00:00Z",
            "service": "helpdesk",
            "latency_ms": 100.0,
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    """October 2026: ``good`` answers 4/5 or 5/5 nine times in ten, ``bad`` half the time;
    ``nps`` asks on 0-10 (promoters, passives and detractors)."""
    values: list[bytes] = []
    for n in range(60):
        day = 1 + n % 30
        values.append(_survey("good", n, day, 5 if n % 10 else 2))
        values.append(_survey("bad", n, day, 4 if n % 2 else 1))
        values.append(_survey("nps", n, day, (10, 9, 7, 3)[n % 4], scale="0-10"))
        values += [_response(v, n, day) for v in ("good", "bad", "nps")]
    records = [
        Record("cs" if b'"satisfaction_survey"' in v else "rt", 0, i, None, v)
        for i, v in enumerate(values)
    ]
    store = EventStore(tmp_path / "store.duckdb")
    outcome = store.write_batch(records, CHECKS, received_at=AS_OF)
    assert outcome.stored == {"satisfaction_survey": 180, "response_time": 180}
    MetricsJob(store.connection, SETTINGS).run(AS_OF)
    yield store
    store.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> tuple[object, ...]:
    row = con.execute(sql, list(params)).fetchone()
    assert row is not None
    return tuple(row)


def test_monthly_csat_mean_and_nps(store: EventStore) -> None:
    sql = (
        "SELECT survey_responses, satisfied_responses, csat, survey_score_mean, nps_responses, "
        "nps FROM vendor_monthly WHERE vendor_id = ? AND month = DATE '2026-10-01'"
    )
    con = store.connection
    assert _one(con, sql, "good") == (60, 54, 0.9, pytest.approx(4.7), 0, None)
    assert _one(con, sql, "bad") == (60, 30, 0.5, pytest.approx(2.5), 0, None)
    # 0-10: 15 each of 10, 9, 7, 3 -> promoters 30 (satisfied), detractors 15
    responses, satisfied, csat, mean, nps_n, nps = _one(con, sql, "nps")
    assert (responses, satisfied, csat, nps_n) == (60, 30, 0.5, 60)
    assert nps == pytest.approx(100 * (30 - 15) / 60)
    assert mean == pytest.approx(1 + 0.4 * (10 + 9 + 7 + 3) / 4)


def test_daily_figures_add_up_to_the_month(store: EventStore) -> None:
    con = store.connection
    daily = _one(
        con,
        "SELECT sum(survey_responses), sum(satisfied_responses), count(csat) FROM vendor_daily "
        "WHERE vendor_id = 'bad' AND day BETWEEN DATE '2026-10-01' AND DATE '2026-10-31'",
    )
    assert daily == (60, 30, 30)
    empty = _one(con, "SELECT survey_responses, csat FROM vendor_daily WHERE day = '2026-10-31'")
    assert empty == (0, None)


def test_the_default_policy_flags_the_unsatisfied_vendor_only(store: EventStore) -> None:
    rows = store.connection.execute(
        "SELECT vendor_id, state, severity, value, sample FROM rule_steps "
        "WHERE rule = 'csat_month' AND period = DATE '2026-10-01' ORDER BY vendor_id"
    ).fetchall()
    states = {vendor: (state, severity, sample) for vendor, state, severity, _, sample in rows}
    assert states["bad"][0] == "firing"
    assert states["bad"][1] == "critical"
    assert states["bad"][2] == 60  # the sample is the survey answers, not the responses
    assert states.get("good", ("ok",))[0] == "ok"


def test_csat_is_a_quality_component(store: EventStore) -> None:
    rows = {
        vendor: (surveys, satisfied, score, quality)
        for vendor, surveys, satisfied, score, quality in store.connection.execute(
            "SELECT vendor_id, surveys_30d, satisfied_30d, satisfaction_score, quality_score "
            "FROM vendor_scores WHERE day = '2026-10-31'"
        ).fetchall()
    }
    assert rows["good"][2] == pytest.approx(100.0)  # 30-day CSAT 0.9 or more
    surveys, satisfied, score, quality = rows["bad"]
    assert surveys == 58  # October 2-31
    assert score == pytest.approx(70 * (satisfied / surveys - 0.5) / 0.3)  # CSAT just over 0.5
    assert quality < rows["good"][3]  # same responses, less satisfied customers


def test_the_comment_is_stored_but_never_in_evidence(store: EventStore) -> None:
    con = store.connection
    assert _one(con, "SELECT count(*) FROM satisfaction_surveys WHERE comment IS NOT NULL") == (
        180,
    )
    evidence = [r[0] for r in con.execute("SELECT evidence FROM alert_log").fetchall()]
    assert any("satisfaction_surveys" in e for e in evidence)
    assert not any("rude" in e for e in evidence)


def test_explain_tells_the_satisfaction_part(store: EventStore) -> None:
    lines = explain_vendor(store.connection, "bad", date(2026, 10, 31))
    assert lines is not None
    text = "\n".join(lines)
    assert "customer satisfaction: CSAT 50% of 60 responses, mean 2.50 of 5 (2026-10)" in text
    assert "  satisfaction (weight 1): surveys_30d 58, satisfied_30d" in text
    assert "rude" not in text


def test_the_monthly_review_shows_csat(store: EventStore) -> None:
    review = monthly_review(store.connection, date(2026, 10, 1), "bad")
    (vendor,) = review.vendors
    csat = vendor.figure("csat")
    assert csat.current == 0.5
    assert csat.metric.better == "higher"
    assert vendor.figure("survey_responses").current == 60
    text = to_csv(review).decode()
    assert "Customer satisfaction (CSAT)" in text
    assert "rude" not in text + to_html(review)


def test_projections_of_an_older_release_are_rebuilt_with_the_new_columns(
    store: EventStore,
) -> None:
    """An engine file whose vendor_daily lacks a kind's columns (as the release before the
    survey kind wrote it) gets a full rebuild on the next run, not an incremental one."""
    con = store.connection
    for column in ("nps", "nps_responses", "survey_score_mean", "csat"):
        con.execute(f"ALTER TABLE vendor_daily DROP COLUMN {column}")
    assert MetricsJob(con, SETTINGS).run(AS_OF).mode == "rebuild"
    names = [r[0] for r in con.execute("DESCRIBE vendor_daily").fetchall()]
    assert {"csat", "nps"} <= set(names)
    assert (
        _one(con, "SELECT sum(satisfied_responses) FROM vendor_daily WHERE vendor_id = 'bad'")[0]
        == 30
    )
    assert MetricsJob(con, SETTINGS).run(AS_OF).mode == "incremental"  # current again
