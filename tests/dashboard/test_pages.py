"""The pages under ``streamlit.testing`` against fixture read models: normal, stale, empty,
none published yet, a vendor without data, an alert's evidence opened from a link."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.dashboard.apptest import dashboard_app, joined, open_page
from tests.dashboard.readmodels import ACKED, NO_DATA_VENDOR, SILENCED_VENDOR, ReadModels
from vendorwatch.settings import Settings

PAGES = ("overview", "vendor", "alerts")


def settings_for(directory: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "read_model": {"dir": directory, "stale_after": timedelta(hours=1)},
        "kafka_bootstrap": "127.0.0.1:9",  # never used by these tests: nothing is sent
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def normal(read_models: ReadModels, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    return dashboard_app(settings_for(read_models.normal), monkeypatch)


def board(at) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    (frame,) = [d.value for d in at.dataframe if "vendor" in d.value.columns]
    return frame


def test_overview_shows_every_vendor_with_badge_scores_and_trends(normal) -> None:  # type: ignore[no-untyped-def]
    at = normal.run()
    assert not at.exception
    assert "demo mode: no login" in joined(at.warning)
    assert "engine down?" not in joined(at.warning)
    assert "data as of 2026-04-20 09:31 UTC (published " in joined(at.caption)
    vendors = board(at)
    ids = vendors["vendor"].str.removeprefix("vendor?vendor_id=")
    status = dict(zip(ids, vendors["status"], strict=True))
    assert len(status) == 7
    assert status[NO_DATA_VENDOR] == "⚪ no data"
    assert status["hooli-claims-1"] == "🔴 breach"  # critical security alerts firing
    assert status[ACKED[0]] == "🟠 warn"  # acknowledged, still firing
    assert status["acme-support-1"] == "🟢 ok"
    scores = vendors["backsourcing_score"]
    assert scores.dropna().is_monotonic_decreasing
    assert scores.isna().tolist() == [False] * 6 + [True]  # the unscored vendor last
    trend = vendors["latency_p95_trend"].iloc[0]
    assert len(trend) == 30
    firing = next(d.value for d in at.dataframe if "severity" in d.value.columns)
    assert set(firing["vendor_id"]) == {"hooli-claims-1", ACKED[0], SILENCED_VENDOR}


def test_overview_filters_by_tier_and_service(normal) -> None:  # type: ignore[no-untyped-def]
    at = normal.run()
    at.multiselect(key="filter_tier").set_value(["critical"]).run()
    assert set(board(at)["tier"]) == {"critical"}
    assert len(board(at)) == 2
    at.multiselect(key="filter_service").set_value(["cloud-hosting"]).run()
    assert board(at)["name"].tolist() == ["Initech Cloud Hosting BV"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("situation", "element", "says"),
    [
        (
            "stale",
            "warning",
            ("Stale data: the snapshot was published 3 d 0 h ago", "engine down?"),
        ),
        ("none", "info", ("No data yet: the engine has not published a read-model snapshot",)),
        ("empty", "caption", ("data as of 2026-04-20 09:30 UTC",)),
    ],
)
def test_every_page_says_what_its_snapshot_is_without_a_traceback(
    page: str,
    situation: str,
    element: str,
    says: tuple[str, ...],
    read_models: ReadModels,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stale snapshot is flagged, none published yet is said, an empty one renders."""
    directory = getattr(read_models, situation)
    at = open_page(dashboard_app(settings_for(directory), monkeypatch), page)
    assert not at.exception
    if situation != "stale":
        assert not at.error
    shown = joined(getattr(at, element))
    for text in says:
        assert text in shown
    if situation == "empty" and page == "alerts":
        assert [t.label for t in at.tabs][:3] == ["Active (0)", "Acknowledged (0)", "Silenced (0)"]
    elif situation == "empty":
        assert "No vendors yet" in joined(at.info)


def test_times_are_shown_in_the_reporting_time_zone(
    read_models: ReadModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(read_models.normal, metrics={"reporting_tz": "Europe/Berlin"})
    at = dashboard_app(settings, monkeypatch).run()
    assert "data as of 2026-04-20 11:31 CEST" in joined(at.caption)


def test_the_vendor_page_opens_the_linked_alerts_evidence_first(
    normal,
    read_models: ReadModels,  # type: ignore[no-untyped-def]
) -> None:
    from readmodel.contract import open_current

    snapshot = open_current(read_models.normal)
    try:
        (alert_id,) = snapshot.connection.execute(
            "SELECT alert_id FROM alert_log WHERE vendor_id = ? AND rule = ? AND "
            "severity = 'critical' ORDER BY period LIMIT 1",
            list(ACKED),
        ).fetchone()
    finally:
        snapshot.connection.close()
    at = open_page(normal, "vendor", vendor_id=ACKED[0], alert_id=alert_id)
    assert not at.exception
    assert "Initech Cloud Hosting BV" in joined(at.header)
    expanders = [e for e in at.expander if "latency_p95" in e.label]
    assert expanders[0].proto.expanded
    assert not any(e.proto.expanded for e in expanders[1:])
    first = expanders[0]
    words = joined(first.markdown)
    assert "above critical 600.0" in words
    assert "Events behind it:" in words
    tables = [d.value for d in first.dataframe]
    events = next(t for t in tables if "offset" in t.columns)
    assert list(events.columns[:3]) == ["topic", "partition", "offset"]
    assert set(events["topic"]) == {"vendor.response_times"}
    thresholds = next(t for t in tables if "warn" in t.columns)
    assert thresholds[["warn", "critical"]].iloc[0].tolist() == [400.0, 600.0]
    charts = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert len(charts) == 5  # latency, SLA attainment, defects, incidents, cost
    latency = charts[0]
    assert '"strokeDash"' in latency  # the SLA target and the rule's warn/critical lines
    assert '"rect"' in latency  # the breach bands
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Notice deadline"] == "2027-11-02"
    assert metrics["Monthly fee"] == "70,770.45 USD"
    assert at.query_params["alert_id"] == alert_id


def test_the_vendor_page_of_a_vendor_without_data(normal) -> None:  # type: ignore[no-untyped-def]
    at = open_page(normal, "vendor", vendor_id=NO_DATA_VENDOR)
    assert not at.exception
    assert "no data" in joined(at.header)
    assert "No daily figures for this vendor in this period: no response events." in joined(at.info)
    assert "This vendor has never been flagged." in joined(at.success)


def test_an_unknown_vendor_in_the_link_is_said_and_another_shown(normal) -> None:  # type: ignore[no-untyped-def]
    at = open_page(normal, "vendor", vendor_id="nobody-1")
    assert not at.exception
    assert "No vendor 'nobody-1' in the read model" in joined(at.warning)
    assert at.query_params["vendor_id"] == "hooli-claims-1"  # the first on the board


def test_the_alerts_page_sorts_alerts_into_tabs(normal) -> None:  # type: ignore[no-untyped-def]
    at = open_page(normal, "alerts")
    assert not at.exception
    labels = [t.label for t in at.tabs]
    assert labels == [
        "Active (2)",
        "Acknowledged (1)",
        "Silenced (2)",
        "History",
        "Notifications",
    ]
    active, acked, silenced, history, told = at.tabs
    assert set(active.dataframe[0].value["vendor_id"]) == {"hooli-claims-1"}
    assert acked.dataframe[0].value["acked_by"].tolist() == ["fixture"]
    assert set(silenced.dataframe[0].value["muted_by"]) == {"fixture-silence"}
    assert silenced.dataframe[1].value["silence_id"].tolist() == ["fixture-silence"]
    assert len(history.dataframe[0].value) == 12
    assert {"delivered", "pending", "dead"} >= set(told.dataframe[0].value["status"])
    assert at.button(key="ack").disabled is False  # demo mode may act
