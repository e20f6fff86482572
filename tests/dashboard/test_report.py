"""The monthly review: figures straight from the read model, honest arrows and no-data months,
and a headline table whose figures the event kinds declare (the files: test_report_files)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import orjson
import pytest

from dashboard.report import monthly_review
from dashboard.report_model import (
    COST_METRICS,
    HEADLINE_METRICS,
    METRICS,
    SERVICE_METRICS,
    NoFigures,
    parse_month,
    previous_month,
)
from dashboard.report_pdf import to_pdf
from dashboard.report_render import to_csv, to_html
from ingest.batch import RecordChecks
from ingest.kinds import KINDS
from ingest.records import Record
from ingest.store import EventStore
from metrics.job import MetricsJob
from tests.dashboard.reviews import APRIL, FEBRUARY, MARCH, QUIET, QUIET_NAME, monthly, pdf_text
from tests.metrics.conftest import END
from vendorwatch.settings import MetricsSettings


def test_figures_are_vendor_monthly_of_the_month_and_the_one_before(
    con: duckdb.DuckDBPyConnection,
) -> None:
    review = monthly_review(con, date(2026, 3, 17))
    assert (review.month, review.previous_month) == (MARCH, FEBRUARY)
    assert review.as_of == END
    assert review.complete
    assert {v.vendor_id for v in review.vendors} >= {"hooli-claims-1", QUIET}
    for vendor in review.vendors:
        if vendor.vendor_id == QUIET:
            continue
        now, before = (
            monthly(con, vendor.vendor_id, MARCH),
            monthly(con, vendor.vendor_id, FEBRUARY),
        )
        assert vendor.status == now["status"] == "ok"
        for metric in (*SERVICE_METRICS, *COST_METRICS):
            figure = vendor.figure(metric.key)
            assert (figure.current, figure.previous) == (now[metric.key], before[metric.key])
    hooli = next(v for v in review.vendors if v.vendor_id == "hooli-claims-1")
    records = hooli.figure("records_exposed")
    assert (records.current, records.previous, records.change) == (25003, 0, 25003)
    assert records.trend is not None
    assert (records.trend.arrow, records.trend.verdict) == (
        "↑",
        "worse",
    )
    cost = hooli.figure("net_effective_cost")
    assert isinstance(cost.current, Decimal)
    assert isinstance(cost.change, Decimal)
    assert cost.current == monthly(con, "hooli-claims-1", MARCH)["net_effective_cost"]
    assert (
        cost.change == cost.current - monthly(con, "hooli-claims-1", FEBRUARY)["net_effective_cost"]
    )


@pytest.mark.parametrize(
    ("metric", "rose", "arrow", "verdict"),
    [
        ("latency_p95_ms", True, "↑", "worse"),
        ("latency_p95_ms", False, "↓", "better"),
        ("sla_attainment", True, "↑", "better"),
        ("sla_attainment", False, "↓", "worse"),
    ],
)
def test_arrows_say_which_way_a_figure_went_and_whether_that_is_good(
    con: duckdb.DuckDBPyConnection, metric: str, rose: bool, arrow: str, verdict: str
) -> None:
    moved = 0
    for month in (FEBRUARY, MARCH):
        for vendor in monthly_review(con, month).vendors:
            if vendor.vendor_id == QUIET:
                continue
            now = round(monthly(con, vendor.vendor_id, month)[metric], 4)
            before = round(monthly(con, vendor.vendor_id, previous_month(month))[metric], 4)
            if now != before and (now > before) == rose:
                moved += 1
                trend = vendor.figure(metric).trend
                assert trend is not None
                assert (trend.arrow, trend.verdict) == (arrow, verdict)
    assert moved, f"the fixture has a vendor whose {metric} {'rose' if rose else 'fell'}"


def test_scores_are_the_month_ends_and_alerts_the_months_transitions(
    con: duckdb.DuckDBPyConnection,
) -> None:
    hooli = monthly_review(con, MARCH, "hooli-claims-1").vendors[0]
    assert hooli.scores_day == date(2026, 3, 31)
    ((security,),) = con.execute(
        "SELECT security_score FROM vendor_scores WHERE vendor_id = ? AND day = ?",
        ["hooli-claims-1", date(2026, 3, 31)],
    ).fetchall()
    assert hooli.figure("security_score").current == security
    logged = con.execute(
        "SELECT rule, period, state FROM alert_log WHERE vendor_id = 'hooli-claims-1' "
        "AND period >= DATE '2026-03-01' AND period < DATE '2026-04-01' ORDER BY period"
    ).fetchall()
    assert [(a.rule, a.period, a.state) for a in hooli.alerts] == logged
    assert hooli.alerts_fired == len(logged) > 0
    assert hooli.contract is not None
    assert hooli.contract.act_by is not None


def test_a_month_in_progress_is_shown_but_its_volumes_are_not_judged(
    con: duckdb.DuckDBPyConnection,
) -> None:
    review = monthly_review(con, APRIL)
    assert not review.complete
    vendor = next(v for v in review.vendors if v.vendor_id == "globex-it-1")
    assert vendor.scores_day == END.date()  # the latest day so far
    responses = vendor.figure("responses")
    assert responses.trend is not None
    assert responses.trend.arrow == "↓"
    assert responses.trend.verdict == "neutral"
    exposed = vendor.figure("records_exposed")
    assert exposed.trend is not None
    assert exposed.trend.verdict == "unchanged"  # equal figures: no better or worse


def test_a_vendor_without_data_says_so_and_never_shows_a_zero(
    con: duckdb.DuckDBPyConnection,
) -> None:
    review = monthly_review(con, APRIL, QUIET)
    (quiet,) = review.vendors
    assert (quiet.status, quiet.previous_status) == ("no_data", "no_data")
    assert quiet.display_name == QUIET_NAME
    assert quiet.tier == "low"
    for figure in (*quiet.service_figures, *quiet.cost_figures):
        assert (figure.current, figure.previous) == (None, None), figure.metric.key
        assert figure.trend is None
    assert monthly(con, QUIET, APRIL)["responses"] == 0  # the read model's count, not shown
    html = to_html(review)
    assert "no data" in html
    rows = list(csv.DictReader(io.StringIO(to_csv(review).decode())))
    service = [r for r in rows if r["section"] == "service"]
    assert service
    assert all(r["current"] == r["previous"] == "" for r in service)
    assert {r["status"] for r in rows} == {"no_data"}


def test_the_first_month_has_no_month_before(con: duckdb.DuckDBPyConnection) -> None:
    (acme,) = monthly_review(con, date(2026, 1, 1), "acme-support-1").vendors
    assert acme.previous_status == "no_data"
    latency = acme.figure("latency_p95_ms")
    assert latency.current is not None
    assert latency.previous is None
    assert latency.trend is None


def test_a_month_or_vendor_without_figures_is_an_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NoFigures, match=r"no figures for 2025-12 \(figures cover 2026-01"):
        monthly_review(con, date(2025, 12, 1))
    with pytest.raises(NoFigures, match="no figures for nobody in 2026-03"):
        monthly_review(con, MARCH, "nobody")


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-03", "2026-3", "March", ""])
def test_a_bad_month_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="is not a month"):
        parse_month(text)
    assert parse_month("2026-03") == MARCH


def test_the_headline_has_the_figures_the_kinds_declare() -> None:
    """The headline shows each kind's figures declared ``headline`` (the built-in kinds keep
    their chosen ones; the survey kind shows all it declares), in registry order."""
    assert HEADLINE_METRICS[:5] == (
        *("success_rate", "latency_p95_ms", "sla_attainment", "defects_per_1k"),
        "incidents_opened",
    )
    assert HEADLINE_METRICS[-2:] == ("net_effective_cost", "backsourcing_score")
    declared = {f.key for kind in KINDS for f in kind.report}
    for kind in KINDS:
        keys = [f.key for f in kind.report]
        shown = [k for k in HEADLINE_METRICS if k in keys]
        assert shown == [f.key for f in kind.report if f.headline]
    assert {"survey_responses", "csat", "survey_score_mean"} <= set(HEADLINE_METRICS) & declared
    assert all(METRICS[k].headline for k in HEADLINE_METRICS)


SURVEYED_AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
SURVEY_CHECKS = RecordChecks(
    {"cs": "satisfaction_survey", "rt": "response_time"},
    max_future_skew=timedelta(hours=24),
    max_record_bytes=10_000,
)


@pytest.fixture
def surveyed(tmp_path: Path) -> Iterator[EventStore]:
    """September and October 2026 of one vendor: CSAT 50 % (mean 3.0), then 90 % (4.6)."""
    values: list[tuple[str, bytes]] = []
    for month, satisfied in ((9, 5), (10, 9)):
        for n in range(30):
            occurred = f"2026-{month:02d}-{1 + n % 28:02d}T10:00:00Z"
            common = {"vendor_id": "asked-1", "occurred_at": occurred, "service": "helpdesk"}
            score = 5 if n % 10 < satisfied else 1
            survey = {"type": "satisfaction_survey", "event_id": f"cs-{month}-{n}", "score": score}
            response = {"type": "response_time", "event_id": f"rt-{month}-{n}", "latency_ms": 90.0}
            values += [("cs", orjson.dumps({**common, **survey}))]
            values += [("rt", orjson.dumps({**common, **response}))]
    records = [Record(topic, 0, i, None, value) for i, (topic, value) in enumerate(values)]
    store = EventStore(tmp_path / "surveys.duckdb")
    store.write_batch(records, SURVEY_CHECKS, received_at=SURVEYED_AS_OF)
    MetricsJob(store.connection, MetricsSettings(min_monthly_responses=10)).run(SURVEYED_AS_OF)
    yield store
    store.close()


def test_the_headline_table_shows_csat(surveyed: EventStore) -> None:
    """The HTML 'All vendors' table and the PDF summary carry the survey figures with arrows."""
    review = monthly_review(surveyed.connection, date(2026, 10, 1))
    (vendor,) = review.vendors
    csat = vendor.figure("csat")
    assert (csat.current, csat.previous) == (pytest.approx(0.9), pytest.approx(0.5))
    assert csat.trend is not None
    assert (csat.trend.arrow, csat.trend.verdict) == ("↑", "better")
    headline = to_html(review).split("<h2>All vendors</h2>")[1].split("</table>")[0]
    titles = re.findall(r"<th>(.*?)</th>", headline)
    assert titles[3 : 3 + len(HEADLINE_METRICS)] == [METRICS[k].label for k in HEADLINE_METRICS]
    cells = re.findall(r'<td class="num">(.*?)[\s<]', headline, re.S)
    at = HEADLINE_METRICS.index
    assert cells[at("csat")] == "90.00%"
    assert cells[at("survey_responses")] == "30"
    assert cells[at("survey_score_mean")] == "4.6"
    text = pdf_text(to_pdf(review))
    assert "Customer satisfaction" in text.split("asked-1")[0]  # a headline column's title
    assert "90.00%" in text
