"""The Monthly review, Backsourcing case, Data quality and Rules pages under
``streamlit.testing``, against the fixture read models (normal, empty, stale)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from dashboard import charts
from dashboard.data_reviews import cumulative_costs
from dashboard.report import monthly_review
from dashboard.report_render import to_csv
from metrics.backsourcing import backsourcing_case
from readmodel.contract import open_current
from tests.dashboard.apptest import dashboard_app, joined, open_page
from tests.dashboard.readmodels import DEAD_LETTERS, NO_DATA_VENDOR, ReadModels
from tests.dashboard.test_access import PASSWORD, log_in, production
from tests.dashboard.test_pages import settings_for

NEW_PAGES = ("monthly", "backsourcing", "data-quality", "rules")
CASES = ("normal", "empty", "stale")
LAST_COMPLETE = date(2026, 3, 1)
AS_OF = date(2026, 4, 20)


@pytest.fixture
def normal(read_models: ReadModels, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return dashboard_app(settings_for(read_models.normal), monkeypatch)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The bytes of every file a download button offered, by file name."""
    offered: dict[str, bytes] = {}
    add = MediaFileManager.add

    def recording(self: MediaFileManager, data: bytes | str, *args: Any, **kwargs: Any) -> str:
        name = kwargs.get("file_name") or (args[2] if len(args) > 2 else None)
        if name is not None and isinstance(data, bytes):
            offered[str(name)] = data
        return add(self, data, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", recording)
    return offered


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table shown with ``column`` (tables carry no key under AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _snapshot_connection(read_models: ReadModels) -> Any:
    return open_current(read_models.normal).connection


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("page", NEW_PAGES)
def test_each_new_page_renders_on_every_read_model(
    page: str, case: str, read_models: ReadModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(dashboard_app(settings_for(getattr(read_models, case)), monkeypatch), page)
    assert not at.exception, at.exception
    assert "data as of 2026-04-20" in joined(at.caption)
    stale = "Stale data: the snapshot was published 3 d 0 h ago" in joined(at.warning)
    assert stale == (case == "stale")
    if case == "empty":
        assert not at.error


def test_monthly_review_shows_arrows_and_its_csv_is_the_reports(
    normal: AppTest, read_models: ReadModels, downloads: dict[str, bytes]
) -> None:
    at = open_page(normal, "monthly")
    assert not at.exception
    assert at.selectbox(key="review_month").value == LAST_COMPLETE
    assert at.query_params["month"] == "2026-03"
    table = frame_with(at, "Latency p95")
    assert len(table) == 7
    latency = " ".join(table["Latency p95"])
    assert any(arrow in latency for arrow in "↑↓→")
    assert "🟢" in " ".join(table.astype(str).sum(axis=1)) or "🔴" in latency
    labels = [b.label for b in at.download_button]
    assert labels == ["CSV", "XLSX", "Printable HTML", "PDF"]
    con = _snapshot_connection(read_models)
    try:
        expected = to_csv(monthly_review(con, LAST_COMPLETE))
    finally:
        con.close()
    assert downloads["report-2026-03.csv"] == expected


def test_monthly_review_drills_down_to_one_vendor(normal: AppTest) -> None:
    at = open_page(normal, "monthly", month="2026-02", vendor_id="initech-hosting-1")
    assert not at.exception
    assert at.selectbox(key="review_month").value == date(2026, 2, 1)
    (box,) = [e for e in at.expander if "Initech Cloud Hosting BV" in e.label]
    assert "2026-02 in full" in box.label
    service = box.dataframe[0].value
    assert "Latency p95" in set(service["figure"])
    assert set(service["trend"]) <= {"↑", "↓", "→", ""}
    assert "vendor?vendor_id=initech-hosting-1" in joined(at.markdown)


def test_backsourcing_case_shows_factors_and_break_even(normal: AppTest) -> None:
    at = open_page(normal, "backsourcing", vendor_id="initech-hosting-1")
    assert not at.exception
    shown = joined(at.markdown)
    for factor in ("Cost", "Quality and performance", "Strategic importance", "Security risk"):
        assert f"**{factor}**" in shown
    assert "**Contract terms**" in shown
    assert "**Timing**" in shown
    assert "run-rate 69,537.37 USD/month vs in-house 62,581.29 USD/month" in shown
    assert "act by 2027-09-03: 501 days left" in shown
    evidence = joined(at.caption)
    assert "profile_terms event vp-initech-hosting-1-1" in evidence
    assert "vendor_scores of 2026-04-20" in evidence
    assert "termination fee 212,311.35 USD" in evidence  # the stated assumption
    # (209,804.79 + 212,311.35) / 6,956.08 = 60.7 months: month 61, beyond the chart
    assert "Break-even in month 61, beyond the 36 months shown" in joined(at.warning)
    assert len(at.get("vega_lite_chart")) == 1
    assert "Monitor" in joined(at.success)


def test_backsourcing_case_without_in_house_estimate_says_so(normal: AppTest) -> None:
    at = open_page(normal, "backsourcing", vendor_id=NO_DATA_VENDOR)
    assert not at.exception
    assert "No in-house estimate in the contract's currency" in joined(at.info)
    assert "break-even point cannot be computed" in joined(at.info)
    assert not at.get("vega_lite_chart")


def test_cost_paths_mark_a_break_even_inside_the_horizon(read_models: ReadModels) -> None:
    con = _snapshot_connection(read_models)
    try:
        case = backsourcing_case(con, "initech-hosting-1", AS_OF)
    finally:
        con.close()
    assert case is not None
    staying_to_the_end = dataclasses.replace(case, termination_applies=False)
    paths = cumulative_costs(staying_to_the_end)
    assert not isinstance(paths, str)
    assert paths.break_even == 31  # 209,804.79 / 6,956.08 = 30.2
    row = paths.frame.iloc[31]
    assert row["in_house"] <= row["vendor"]
    assert paths.frame.iloc[30]["in_house"] > paths.frame.iloc[30]["vendor"]
    spec = charts.cumulative_costs(paths.frame, currency="USD", break_even=31).to_json()
    assert "break-even: month 31" in spec


def test_data_quality_shows_dead_letters_and_unknown_lag(normal: AppTest) -> None:
    at = open_page(normal, "data-quality")
    assert not at.exception
    reasons = frame_with(at, "dead_letters")
    assert set(reasons["field"]) == {"latency_ms", "(record)"}
    assert reasons["dead_letters"].sum() == len(DEAD_LETTERS)
    assert "**Reason:** latency_ms: Input should be greater than or equal to 0" in joined(
        at.markdown
    )
    not_utf8 = next(
        i for i, label in enumerate(at.selectbox(key="dlq_pick").options) if "UTF-8" in label
    )
    at.selectbox(key="dlq_pick").set_value(not_utf8).run()
    assert DEAD_LETTERS[0] in joined(at.markdown)
    hex_view, text_view = (c.value for c in at.code[:2])
    assert hex_view.startswith("00000000  ff fe 7b 22")
    assert text_view.startswith('\ufffd\ufffd{"type"')
    assert "lag unknown: broker unreachable" in joined(at.warning)
    lag = frame_with(at, "lag")
    assert set(lag["lag"]) == {"unknown"}
    assert len(lag) == 6
    quiet = frame_with(at, "reporting_status")
    assert quiet["vendor_id"].tolist() == [NO_DATA_VENDOR]
    assert "response_time" in set(frame_with(at, "last_ingested_at")["type"])


class _FakeConsumer:
    """Kafka as seen by ``end_offsets``: five records beyond every stored offset."""

    def __init__(self, **options: Any) -> None:
        assert options["enable_auto_commit"] is False  # read-only: never commits

    def end_offsets(self, partitions: list[Any], timeout_ms: int) -> dict[Any, int]:
        stored = {("vendor.response_times", 1): 2, ("vendor.defects", 0): 198}
        return {tp: stored.get((tp.topic, tp.partition), 0) + 5 for tp in partitions}

    def close(self) -> None:
        pass


def test_data_quality_shows_lag_per_partition_when_kafka_answers(
    read_models: ReadModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kafka

    monkeypatch.setattr(kafka, "KafkaConsumer", _FakeConsumer)
    settings = settings_for(read_models.normal, kafka_bootstrap="127.0.0.1:19999")
    at = open_page(dashboard_app(settings, monkeypatch), "data-quality")
    assert not at.exception
    assert "lag unknown" not in joined(at.warning)
    lag = frame_with(at, "lag")
    by_partition = {
        (t, p): x for t, p, x in zip(lag["topic"], lag["partition"], lag["lag"], strict=True)
    }
    assert by_partition[("vendor.response_times", 1)] == "5"
    assert by_partition[("vendor.defects", 0)] == "5"
    assert by_partition[("vendor.cost_invoices", 0)] == "0"  # end offset 5 < stored 35


def _backtest(at: AppTest, warn: float, critical: float, clear: float) -> dict[str, int]:
    at.number_input(key="threshold_latency_p95_warn").set_value(warn)
    at.number_input(key="threshold_latency_p95_critical").set_value(critical)
    at.number_input(key="threshold_latency_p95_clear").set_value(clear)
    (submit,) = [b for b in at.button if b.label == "Run backtest"]
    submit.click().run()
    assert not at.exception
    return {m.label: int(m.value) for m in at.metric}


def test_rules_backtest_of_a_stricter_threshold_fires_at_least_as_often(normal: AppTest) -> None:
    at = open_page(normal, "rules")
    assert not at.exception
    assert "default 2026-11@" in joined(at.markdown)
    assert 'label = "default 2026-11"' in at.code[0].value
    at.selectbox(key="backtest_rule").set_value("latency_p95").run()
    assert at.number_input(key="threshold_latency_p95_warn").value == 1.0
    assert not at.metric  # the replay runs on request only
    same = _backtest(at, 1.0, 1.5, 0.9)
    edited, in_force = (
        "latency_p95: edited policy would fire",
        "latency_p95: policy in force would fire",
    )
    assert same[edited] == same[in_force] > 0
    assert same["latency_p95: recorded by the engine"] == same[in_force]  # replay = engine
    stricter = _backtest(at, 0.8, 1.2, 0.7)
    assert stricter[edited] >= stricter[in_force] == same[in_force]
    counts = frame_with(at, "latency_p95: edited")
    assert counts["latency_p95: edited"].sum() == stricter[edited]
    assert "SLO burn-rate alerts are not replayed" in joined(at.caption)
    assert at.button(key="propose_policy").disabled is False  # demo mode: admin


def test_rules_backtest_refuses_an_inconsistent_policy(normal: AppTest) -> None:
    at = open_page(normal, "rules")
    at.selectbox(key="backtest_rule").set_value("latency_p95").run()
    _backtest(at, 0.8, 1.2, 0.9)  # clear above warn for "above": invalid
    assert "Not a valid policy" in joined(at.error)
    assert "clear" in joined(at.error)


@pytest.mark.parametrize(("user", "may"), [("olga", False), ("maria", False), ("adam", True)])
def test_only_an_admin_may_propose_a_policy(
    user: str, may: bool, read_models: ReadModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(dashboard_app(production(read_models), monkeypatch), "rules")
    log_in(at, user, PASSWORD)
    assert not at.exception
    at.selectbox(key="backtest_rule").set_value("latency_p95").run()
    _backtest(at, 0.8, 1.2, 0.7)
    button = at.button(key="propose_policy")
    assert button.disabled is not may
    if not may:
        assert "needs role admin" in button.help
        assert "Proposing is disabled: needs role admin" in joined(at.caption)
