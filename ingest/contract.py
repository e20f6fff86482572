"""The input event contract, version 1 (``docs/events.md``), as pydantic models.

These models are the single authority on what vendorwatch accepts. :func:`parse_event` turns
the raw bytes of one Kafka record into a validated event or raises :class:`ContractViolation`
whose ``reason`` names the field and the rule, so a person can act on a dead letter.

Each kind's model lives in its module (``ingest/kinds/``); this module looks them up in the
registry. Money is ``Decimal`` end to end: records of kinds that carry money (``cost_invoice``,
``vendor_profile``) are parsed with decimal floats, so a JSON number such as ``48250.10`` is
never rounded through a binary float. Timestamps must be RFC 3339 with an offset.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from pydantic import ValidationError

from ingest.envelope import SUPPORTED_SCHEMA_VERSIONS, EventBase
from ingest.kinds import KINDS

# the models of the first kinds, imported from here before the registry existed
from ingest.kinds.cost_invoice import CostInvoice
from ingest.kinds.defect import Defect
from ingest.kinds.response_time import ResponseTime
from ingest.kinds.security_incident import SecurityIncident
from ingest.kinds.vendor_profile import Contract, Insourcing, Sla, VendorProfile

MODEL_BY_TYPE: dict[str, type[EventBase]] = {kind.type: kind.model for kind in KINDS}
"""Each registered kind's contract model, by ``type``."""
MONEY_TYPES = frozenset(kind.type for kind in KINDS if kind.money)
"""Kinds whose records are parsed with exact decimals."""

__all__ = [
    "MODEL_BY_TYPE",
    "MONEY_TYPES",
    "SUPPORTED_SCHEMA_VERSIONS",
    "Contract",
    "ContractViolation",
    "CostInvoice",
    "Defect",
    "EventBase",
    "Insourcing",
    "ResponseTime",
    "SecurityIncident",
    "Sla",
    "VendorProfile",
    "parse_event",
]


class ContractViolation(ValueError):
    """A record breaks the contract; ``reason`` says which field and which rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _load_json(raw: bytes, *, exact_decimals: bool) -> object:
    try:
        if exact_decimals:
            return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
        return orjson.loads(raw)
    except ValueError as exc:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise ContractViolation(
                f"record value is not UTF-8 ({bad.reason} at byte {bad.start})"
            ) from None
        raise ContractViolation(f"record value is not valid JSON: {exc}") from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:5]:
        field = ".".join(str(p) for p in error["loc"]) or "event"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "required field is missing"
        parts.append(f"{field}: {message}")
    more = len(exc.errors()) - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def parse_event(
    raw: bytes,
    *,
    allowed_type: str | None,
    received_at: datetime,
    max_future_skew: timedelta,
    max_record_bytes: int = 1_048_576,
) -> EventBase:
    """Validate one record value against the contract.

    ``allowed_type`` is the one ``type`` accepted on the record's topic (``None``: any).
    ``received_at`` is the ingest time from the injected clock; ``occurred_at`` may be at most
    ``max_future_skew`` after it. Returns the typed event; raises :class:`ContractViolation`.
    """
    if len(raw) > max_record_bytes:
        raise ContractViolation(
            f"record value is {len(raw)} bytes, over the limit of {max_record_bytes} bytes"
        )
    document = _load_json(raw, exact_decimals=False)
    if not isinstance(document, dict):
        raise ContractViolation(
            f"record value must be a JSON object, not {type(document).__name__}"
        )
    event_type = document.get("type")
    if "schema_version" in document:
        version = document["schema_version"]
        if type(version) is not int:
            raise ContractViolation("schema_version: must be an integer")
        if version not in SUPPORTED_SCHEMA_VERSIONS:
            known = ", ".join(str(v) for v in sorted(SUPPORTED_SCHEMA_VERSIONS))
            raise ContractViolation(
                f"schema_version: version {version} is not supported by this build (known: {known})"
            )
    if not isinstance(event_type, str) or event_type not in MODEL_BY_TYPE:
        if event_type is None:
            raise ContractViolation("type: required field is missing")
        raise ContractViolation(
            f"type: unknown event type {event_type!r} (known: {', '.join(MODEL_BY_TYPE)})"
        )
    if allowed_type is not None and event_type != allowed_type:
        raise ContractViolation(
            f"type: {event_type!r} is not accepted on this topic (only {allowed_type!r})"
        )
    if event_type in MONEY_TYPES:
        document = _load_json(raw, exact_decimals=True)
    try:
        event = MODEL_BY_TYPE[event_type].model_validate(document)
    except ValidationError as exc:
        raise ContractViolation(_describe(exc)) from None
    if event.occurred_at > received_at + max_future_skew:
        raise ContractViolation(
            f"occurred_at: {event.occurred_at.isoformat()} is more than {max_future_skew} "
            f"after ingest time {received_at.isoformat()}"
        )
    return event
