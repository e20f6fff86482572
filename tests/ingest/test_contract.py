"""The contract models accept exactly what EVENTS.md allows, and say why they refuse."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.contract import ContractViolation, CostInvoice, VendorProfile, parse_event

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SKEW = timedelta(hours=24)
REPO = Path(__file__).resolve().parents[2]
EVENTS_MD = REPO / "docs" / "events.md"  # the contract, as upstream systems know it
SHARED_EVENTS_MD = REPO.parent / "shared" / "EVENTS.md"  # where the team keeps the original

RESPONSE = {
    "type": "response_time",
    "event_id": "rt-1",
    "vendor_id": "acme-support",
    "occurred_at": "2026-10-03T14:05:00Z",
    "service": "helpdesk",
    "latency_ms": 842.5,
}
INVOICE = {
    "type": "cost_invoice",
    "event_id": "inv-1",
    "vendor_id": "acme-support",
    "occurred_at": "2026-11-01T09:00:00Z",
    "invoice_id": "A-2026-10",
    "period_start": "2026-10-01",
    "period_end": "2026-10-31",
    "amount": "48250.00",
    "currency": "EUR",
}


def parse(doc: dict[str, object] | bytes, allowed: str | None = None) -> object:
    raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return parse_event(raw, allowed_type=allowed, received_at=NOW, max_future_skew=SKEW)


def reason(doc: dict[str, object] | bytes, allowed: str | None = None) -> str:
    with pytest.raises(ContractViolation) as caught:
        parse(doc, allowed)
    return caught.value.reason


def test_every_example_in_the_contract_is_accepted() -> None:
    text = EVENTS_MD.read_text()
    if SHARED_EVENTS_MD.exists():  # the shared contract, then the kinds added since
        shared = SHARED_EVENTS_MD.read_text()
        assert text.startswith(shared), "docs/events.md drifted from the contract"
    examples = [line for line in text.split("```json")[1].split("```")[0].splitlines() if line]
    assert len(examples) == 5
    types = {parse(line.encode()).type for line in examples}  # type: ignore[attr-defined]
    assert types == {
        "response_time",
        "defect",
        "security_incident",
        "cost_invoice",
        "vendor_profile",
    }


def test_every_example_of_a_kind_added_since_is_accepted() -> None:
    added = EVENTS_MD.read_text().split("## Kinds added since version 1")[1]
    examples = [line for line in added.split("```json")[1].split("```")[0].splitlines() if line]
    assert {parse(line.encode()).type for line in examples} == {"satisfaction_survey"}  # type: ignore[attr-defined]


def test_defaults_apply() -> None:
    event = parse(RESPONSE)
    assert event.success is True  # type: ignore[attr-defined]
    assert event.schema_version == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"latency_ms": -1}, "latency_ms: Input should be greater than or equal to 0"),
        ({"latency_ms": "12"}, "latency_ms: must be a JSON number"),
        ({"latency_ms": True}, "latency_ms: must be a JSON number"),
        ({"vendor_id": "-bad"}, "vendor_id: String should match pattern"),
        ({"vendor_id": "x" * 65}, "vendor_id: String should match pattern"),
        ({"event_id": ""}, "event_id: String should have at least 1 character"),
        ({"event_id": "e" * 129}, "event_id: String should have at most 128 characters"),
        ({"occurred_at": "2026-10-03T14:05:00"}, "occurred_at: must be an RFC 3339 timestamp"),
        ({"occurred_at": "2026-10-03"}, "occurred_at: must be an RFC 3339 timestamp"),
        ({"occurred_at": 1_790_000_000}, "occurred_at: must be an RFC 3339 timestamp"),
        ({"occurred_at": "2026-02-30T00:00:00Z"}, "occurred_at:"),
        (
            {"occurred_at": "2026-11-02T00:00:01Z"},
            "occurred_at: 2026-11-02T00:00:01+00:00 is more than",
        ),
        ({"success": "false"}, "success: Input should be a valid boolean"),
        ({"service": None}, "service: Input should be a valid string"),
        ({"source": "s" * 129}, "source: String should have at most 128 characters"),
        ({"schema_version": 2}, "schema_version: version 2 is not supported"),
        ({"schema_version": "1"}, "schema_version: must be an integer"),
        ({"type": "latency"}, "type: unknown event type 'latency'"),
    ],
)
def test_a_broken_rule_names_the_field_and_the_rule(
    change: dict[str, object], expected: str
) -> None:
    assert reason({**RESPONSE, **change}).startswith(expected)


def test_missing_field_is_named() -> None:
    doc = dict(RESPONSE)
    del doc["latency_ms"]
    assert reason(doc) == "latency_ms: required field is missing"


def test_missing_type_is_named() -> None:
    doc = dict(RESPONSE)
    del doc["type"]
    assert reason(doc) == "type: required field is missing"


def test_type_must_be_allowed_on_its_topic() -> None:
    assert reason(RESPONSE, allowed="defect") == (
        "type: 'response_time' is not accepted on this topic (only 'defect')"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\xff\xfe{}", "record value is not UTF-8"),
        (b'{"type": ', "record value is not valid JSON"),
        (b'{"latency_ms": NaN}', "record value is not valid JSON"),
        (b"[1, 2]", "record value must be a JSON object, not list"),
        (b'"text"', "record value must be a JSON object, not str"),
    ],
)
def test_bytes_that_are_not_a_json_object(raw: bytes, expected: str) -> None:
    assert reason(raw).startswith(expected)


def test_oversized_record() -> None:
    raw = orjson.dumps({**RESPONSE, "padding": "x" * 2000})
    with pytest.raises(ContractViolation, match="over the limit of 1000 bytes"):
        parse_event(
            raw, allowed_type=None, received_at=NOW, max_future_skew=SKEW, max_record_bytes=1000
        )


def test_unknown_fields_are_accepted() -> None:
    assert parse({**RESPONSE, "region": "eu-west"}).event_id == "rt-1"  # type: ignore[attr-defined]


def test_money_is_exact_from_json_numbers_and_strings() -> None:
    as_number = (
        b'{"type":"cost_invoice","event_id":"i","vendor_id":"v","occurred_at":"2026-10-01T00:00:00Z",'
        b'"invoice_id":"I","period_start":"2026-10-01","period_end":"2026-10-31",'
        b'"amount":12345678901234.1234,"currency":"EUR"}'
    )
    invoice = parse(as_number)
    assert isinstance(invoice, CostInvoice)
    assert invoice.amount == Decimal("12345678901234.1234")
    assert parse({**INVOICE, "amount": "-120.50"}).amount == Decimal("-120.50")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"amount": "12.34567"}, "amount: Decimal input should have no more than 4 decimal places"),
        ({"amount": "NaN"}, "amount:"),
        ({"amount": True}, "amount: must be a decimal number"),
        ({"currency": "eur"}, "currency: String should match pattern"),
        ({"period_start": "2026-11-01"}, "period_start must be on or before period_end"),
        ({"period_end": "31.10.2026"}, "period_end: must be a date YYYY-MM-DD"),
        ({"units": -1}, "units: Input should be greater than or equal to 0"),
    ],
)
def test_invoice_rules(change: dict[str, object], expected: str) -> None:
    assert expected in reason({**INVOICE, **change})


def test_timestamps_keep_their_instant() -> None:
    event = parse({**RESPONSE, "occurred_at": "2026-10-03T15:00:00+02:00"})
    assert event.occurred_at == datetime(2026, 10, 3, 13, tzinfo=UTC)  # type: ignore[attr-defined]


def test_profile_nested_rules() -> None:
    profile = {
        "type": "vendor_profile",
        "event_id": "vp-1",
        "vendor_id": "acme",
        "occurred_at": "2026-01-01T00:00:00Z",
        "name": "Acme",
        "service": "helpdesk",
        "tier": "high",
        "contract": {
            "start_date": "2025-01-01",
            "end_date": "2027-12-31",
            "notice_period_days": 90,
            "monthly_fee": 45000.10,
            "currency": "EUR",
        },
        "sla": {"latency_p95_ms": 1500, "success_rate_min": 0.995},
    }
    parsed = parse(profile)
    assert isinstance(parsed, VendorProfile)
    assert parsed.contract.monthly_fee == Decimal("45000.10")
    assert parsed.sla is not None
    assert parsed.sla.success_rate_min == pytest.approx(0.995)
    bad = {**profile, "sla": {"success_rate_min": 1.5}, "tier": "gold"}
    message = reason(bad)
    assert "tier: Input should be 'critical', 'high', 'medium' or 'low'" in message
    assert "sla.success_rate_min: Input should be less than or equal to 1" in message


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_as_another_error(raw: bytes) -> None:
    try:
        parse(raw)
    except ContractViolation as violation:
        reason_given = violation.reason
    else:
        reason_given = "accepted"
    assert reason_given


@given(
    st.dictionaries(
        st.sampled_from([*RESPONSE, "success", "request_id", "schema_version", "source"]),
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    )
)
def test_arbitrary_documents_are_accepted_or_refused_with_a_reason(doc: dict[str, object]) -> None:
    try:
        parse({**RESPONSE, **doc})
    except ContractViolation as violation:
        reason_given = violation.reason
    else:
        reason_given = "accepted: fine"
    assert ":" in reason_given
