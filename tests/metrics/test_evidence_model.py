"""The typed evidence reads every ``alert_log.evidence`` the previous release wrote, and what it
writes reads back to the same model.

``fixtures/evidence_previous_release.json`` holds four rows exactly as the previous release stored
them (dicts serialised with ``orjson.dumps(..., default=str)``): a latency breach with response
events, a security incident, an invoice (money as decimal text) and a score with its inputs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError

from metrics.evidence_model import Evidence, parse_evidence

OLD_ROWS: dict[str, str] = orjson.loads(
    (Path(__file__).parent / "fixtures" / "evidence_previous_release.json").read_bytes()
)


@pytest.mark.parametrize("kind", sorted(OLD_ROWS))
def test_rows_of_the_previous_release_parse_and_keep_every_value(kind: str) -> None:
    text = OLD_ROWS[kind]
    evidence = parse_evidence(text)
    old = orjson.loads(text)
    assert evidence.metric == old["metric"]
    assert evidence.period.start == datetime.fromisoformat(old["period"]["start"])
    assert evidence.thresholds.model_dump() == old["thresholds"]
    assert [v.model_dump(mode="json") for v in evidence.values] == old["values"]
    assert evidence.unknown == {}
    if "events" in old:
        assert evidence.events is not None
        assert evidence.events.count == old["events"]["count"]
        assert [e.model_dump(mode="json") for e in evidence.events.sample] == [
            {**e, "occurred_at": e["occurred_at"].replace("+00:00", "Z")}
            for e in old["events"]["sample"]
        ]
    else:
        assert evidence.events is None
    assert evidence.components == old.get("components")
    assert parse_evidence(evidence.to_json()) == evidence  # what this release writes reads back


def test_the_kinds_own_columns_and_money_stay_exact() -> None:
    invoice = parse_evidence(OLD_ROWS["events:cost_invoices"])
    assert invoice.events is not None
    (event,) = invoice.events.sample
    assert event.topic == "vendor.cost_invoices"
    assert event.offset == 25
    assert event.facts == {"invoice_id": "SOY1-2026-03", "amount": "23786.8900", "currency": "EUR"}
    latency = parse_evidence(OLD_ROWS["events:response_times"])
    assert latency.events is not None
    assert latency.events.sample[0].facts == {"latency_ms": 2589.2, "success": True}
    score = parse_evidence(OLD_ROWS["components"])
    assert score.components is not None
    assert score.components["run_rate"] == "22614.6333"
    assert score.values[-1].period == date(2026, 4, 3)
    assert score.period.end == datetime(2026, 4, 4, tzinfo=UTC)


def test_a_field_of_a_newer_release_is_kept_not_refused() -> None:
    document = orjson.loads(OLD_ROWS["events:response_times"])
    document["test"] = {"window": "6h", "p_value": 0.0004}
    document["values"][0]["sample"] = 240  # nested too
    evidence = parse_evidence(orjson.dumps(document))
    assert evidence.unknown == {"test": {"window": "6h", "p_value": 0.0004}}
    written = orjson.loads(evidence.to_json())
    assert written["test"] == {"window": "6h", "p_value": 0.0004}
    assert written["values"][0]["sample"] == 240


@pytest.mark.parametrize(
    "broken",
    [
        b"not json",
        b"[]",
        b'{"metric": "latency_p95_ms"}',  # no period, thresholds, values
    ],
)
def test_what_is_not_evidence_is_refused(broken: bytes) -> None:
    with pytest.raises(ValidationError):
        parse_evidence(broken)


def test_the_model_is_frozen() -> None:
    evidence = parse_evidence(OLD_ROWS["components"])
    with pytest.raises(ValidationError):
        evidence.metric = "other"  # type: ignore[misc]
    assert isinstance(evidence, Evidence)
