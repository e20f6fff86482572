"""The registry drives everything: every kind has a topic, a table in the event_ids view, a
model the contract looks up, and every figure it offers rules is a metric the policy knows.
And the satisfaction_survey contract: what it accepts and why it refuses."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.contract import MODEL_BY_TYPE, MONEY_TYPES, ContractViolation, parse_event
from ingest.kinds import KINDS
from ingest.schema import DDL, STORED_IDS_VIEW, TABLE_BY_TYPE, table_columns
from ingest.simulator import EVENT_TYPES, build_vendors, generate_events
from ingest.topics import Topics
from metrics import policy, policy_catalogue
from metrics.evidence import _SOURCES
from metrics.tables import DDL as PROJECTION_DDL
from metrics.tables import SERVICE_FIGURES

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SURVEY = {
    "type": "satisfaction_survey",
    "event_id": "cs-1",
    "vendor_id": "acme-support",
    "occurred_at": "2026-10-03T16:20:00Z",
    "service": "helpdesk",
    "score": 4,
    "comment": "my private words",
}


def test_every_kind_has_a_topic_a_table_a_model_and_a_place_in_event_ids() -> None:
    topics = Topics()
    view = next(s for s in DDL if f"VIEW {STORED_IDS_VIEW}" in s)
    assert "CREATE OR REPLACE VIEW" in view
    for kind in KINDS:
        assert topics.of(kind.type) == kind.default_topic
        assert topics.event_topics()[kind.default_topic] == kind.type
        assert Topics.prefixed("t").of(kind.type) == f"t.{kind.topic_setting}"
        assert TABLE_BY_TYPE[kind.type] == kind.table
        assert f"FROM {kind.table}" in view
        assert any(f"CREATE TABLE IF NOT EXISTS {kind.table} (" in s for s in DDL)
        assert MODEL_BY_TYPE[kind.type] is kind.model
        assert (kind.type in MONEY_TYPES) == kind.money
        assert kind.type in EVENT_TYPES
        names = [c.name for c in table_columns(kind.type)]
        assert len(names) == len(set(names))


def test_every_figure_a_kind_offers_rules_is_known_to_the_policy() -> None:
    monthly = next(s for s in PROJECTION_DDL if "TABLE IF NOT EXISTS vendor_monthly" in s)
    daily = next(s for s in PROJECTION_DDL if "TABLE IF NOT EXISTS vendor_daily" in s)
    for kind in KINDS:
        if kind.metrics is None:
            continue
        for figure in kind.metrics.figures:
            assert figure in SERVICE_FIGURES
            assert f"\n    {figure.name} " in daily
            assert f"\n    {figure.name} " in monthly
            assert (figure.name in policy_catalogue.KNOWN_METRICS) == figure.rule
            if figure.rule:
                assert policy_catalogue.SAMPLE_COLUMNS[figure.name] == figure.sample
            if figure.fraction and figure.rule:
                assert figure.name in policy_catalogue.FRACTION_METRICS
            if figure.sla_target and figure.rule:
                assert policy_catalogue.SLA_TARGETS[figure.name] == figure.sla_target
        assert set(kind.metrics.month_only_rule_metrics) <= policy_catalogue.MONTH_ONLY_METRICS
    for source in (s for kind in KINDS for s in kind.evidence):
        assert source in _SOURCES


def test_the_default_policy_watches_csat_with_survey_answers_as_its_sample() -> None:
    rule = policy.default_policy().rules["csat_month"]
    assert (rule.metric, rule.grain, rule.direction) == ("csat", "month", "below")
    assert rule.min_sample > 0
    assert policy_catalogue.SAMPLE_COLUMNS["csat"] == "survey_responses"


def _parse(doc: dict[str, object]) -> object:
    return parse_event(
        json.dumps(doc).encode(),
        allowed_type="satisfaction_survey",
        received_at=NOW,
        max_future_skew=timedelta(hours=24),
    )


def test_a_survey_defaults_to_the_five_point_scale() -> None:
    event = _parse(SURVEY)
    assert event.scale == "1-5"  # type: ignore[attr-defined]
    assert event.comment == "my private words"  # type: ignore[attr-defined]
    assert _parse(SURVEY | {"scale": "0-10", "score": 0}).score == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"score": 6}, "score: must be an integer from 1 to 5 on scale '1-5'"),
        ({"score": 0}, "score: must be an integer from 1 to 5 on scale '1-5'"),
        ({"scale": "0-10", "score": 11}, "score: must be an integer from 0 to 10 on scale '0-10'"),
        ({"scale": "1-10"}, "scale: Input should be '1-5' or '0-10'"),
        ({"score": 4.5}, "score: Input should be a valid integer"),
        ({"score": "4"}, "score: Input should be a valid integer"),
        ({"service": ""}, "service: String should have at least 1 character"),
        ({"ticket_id": ""}, "ticket_id: String should have at least 1 character"),
        ({"comment": "x" * 4001}, "comment: String should have at most 4000 characters"),
        ({"comment": 7}, "comment: Input should be a valid string"),
    ],
)
def test_a_bad_survey_is_refused_naming_field_and_rule_never_the_comment(
    change: dict[str, object], expected: str
) -> None:
    with pytest.raises(ContractViolation) as caught:
        _parse(SURVEY | change)
    assert caught.value.reason == expected
    assert "private" not in caught.value.reason


def test_a_missing_score_is_named() -> None:
    doc = {k: v for k, v in SURVEY.items() if k != "score"}
    with pytest.raises(ContractViolation, match=r"^score: required field is missing$"):
        _parse(doc)


def test_the_survey_kind_lives_in_its_module_and_one_registry_line() -> None:
    """Outside its module, the registry names the survey kind once; no other module of the
    product mentions it (the simulator's driver neither: the kind declares its process)."""
    root = Path(__file__).resolve().parents[2]
    mentions = {
        str(path.relative_to(root))
        for package in ("ingest", "metrics", "dashboard", "vendorwatch", "alerting")
        for path in (root / package).rglob("*.py")
        if re.search(r"satisfaction_survey|\bcsat\b|SatisfactionSurvey", path.read_text())
    }
    assert mentions == {
        "ingest/kinds/__init__.py",
        "ingest/kinds/satisfaction_survey.py",
    }
    registry = (root / "ingest/kinds/__init__.py").read_text()
    assert registry.count('"satisfaction_survey"') == 1


def test_the_simulator_asks_for_surveys_and_degraded_vendors_satisfy_less() -> None:
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    scenarios = ("healthy", "latency_degradation")
    vendors = build_vendors(scenarios, per_scenario=2, start=start, end=end)
    onset = {v.vendor_id: v.onset for v in vendors}
    answers: dict[str, list[bool]] = {"healthy": [], "degraded": []}
    volume = {v.vendor_id: 0 for v in vendors}
    for sim in generate_events(
        vendors, start, end, events_per_day=400, include_types=["satisfaction_survey"]
    ):
        doc = json.loads(sim.value)
        event = _parse(doc)
        satisfied = event.score >= (9 if event.scale == "0-10" else 4)  # type: ignore[attr-defined]
        vendor_onset = onset[doc["vendor_id"]]
        volume[doc["vendor_id"]] += 1
        if vendor_onset is None:
            answers["healthy"].append(satisfied)
        elif event.occurred_at >= vendor_onset:  # type: ignore[attr-defined]
            answers["degraded"].append(satisfied)
    days = (end - start).days
    assert all(0.005 * 400 * days < n < 0.03 * 400 * days for n in volume.values()), volume
    healthy = sum(answers["healthy"]) / len(answers["healthy"])
    degraded = sum(answers["degraded"]) / len(answers["degraded"])
    assert healthy > 0.8
    assert degraded < 0.7
