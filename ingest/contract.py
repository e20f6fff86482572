"""The input event contract, version 1 (``docs/events.md``), as pydantic models.

These models are the single authority on what vendorwatch accepts. :func:`parse_event` turns
the raw bytes of one Kafka record into a validated event or raises :class:`ContractViolation`
whose ``reason`` names the field and the rule, so a person can act on a dead letter.

Money is ``Decimal`` end to end: records that carry money (``cost_invoice``,
``vendor_profile``) are parsed with decimal floats, so a JSON number such as ``48250.10`` is
never rounded through a binary float. Timestamps must be RFC 3339 with an offset.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

SUPPORTED_SCHEMA_VERSIONS = frozenset({1})
MONEY_TYPES = frozenset({"cost_invoice", "vendor_profile"})

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _rfc3339_string(value: object) -> object:
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 timestamp with offset, e.g. 2026-10-03T14:05:00Z")
    return value


def _iso_date_string(value: object) -> object:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date YYYY-MM-DD")
    return value


def _json_number(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("must be a JSON number")
    return float(value)


def _decimal_not_float(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError("must be a decimal number or a decimal string")
    return value


Text128 = Annotated[str, StringConstraints(min_length=1, max_length=128)]
VendorId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339_string)]
IsoDate = Annotated[date, BeforeValidator(_iso_date_string)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Money = Annotated[
    Decimal,
    BeforeValidator(_decimal_not_float),
    Field(max_digits=18, decimal_places=4, allow_inf_nan=False),
]
Number = Annotated[float, BeforeValidator(_json_number), Field(allow_inf_nan=False)]
NonNegativeNumber = Annotated[Number, Field(ge=0)]
Lifecycle = Literal["opened", "resolved"]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class EventBase(_Part):
    """Fields every event has."""

    type: str
    event_id: Text128
    vendor_id: VendorId
    occurred_at: Timestamp
    schema_version: StrictInt = 1
    source: Annotated[str, StringConstraints(max_length=128)] | None = None


class ResponseTime(EventBase):
    """One handled request or ticket response by the vendor's service."""

    type: Literal["response_time"]
    service: Text128
    latency_ms: NonNegativeNumber
    success: StrictBool = True
    request_id: str | None = None


class Defect(EventBase):
    """Lifecycle of a quality defect; ``defect_id`` is the lifecycle key."""

    type: Literal["defect"]
    defect_id: Text128
    status: Lifecycle
    severity: Literal["minor", "major", "critical"]
    category: str | None = None
    units_affected: Annotated[StrictInt, Field(ge=1)] = 1


class SecurityIncident(EventBase):
    """Lifecycle of a security incident; ``incident_id`` is the lifecycle key."""

    type: Literal["security_incident"]
    incident_id: Text128
    status: Lifecycle
    severity: Literal["low", "medium", "high", "critical"]
    category: str | None = None
    records_exposed: Annotated[StrictInt, Field(ge=0)] = 0


class CostInvoice(EventBase):
    """An invoice (or, with a negative amount, a credit note); later ones correct earlier."""

    type: Literal["cost_invoice"]
    invoice_id: Text128
    period_start: IsoDate
    period_end: IsoDate
    amount: Money
    currency: Currency
    units: NonNegativeNumber | None = None

    @model_validator(mode="after")
    def _period_in_order(self) -> CostInvoice:
        if self.period_start > self.period_end:
            raise ValueError("period_start must be on or before period_end")
        return self


class Contract(_Part):
    """What was agreed with the vendor."""

    start_date: IsoDate
    end_date: IsoDate
    notice_period_days: Annotated[StrictInt, Field(ge=0)]
    monthly_fee: Money
    currency: Currency
    termination_fee: Money | None = None
    auto_renew: StrictBool | None = None


class Sla(_Part):
    """Service-level targets; an absent field means no target for that metric."""

    latency_p95_ms: Annotated[Number, Field(gt=0)] | None = None
    success_rate_min: Annotated[Number, Field(ge=0, le=1)] | None = None
    defects_per_1k_max: NonNegativeNumber | None = None
    service_credit_pct: Annotated[Number, Field(ge=0, le=100)] | None = None


class Insourcing(_Part):
    """The in-house alternative to the vendor."""

    monthly_cost: Money
    one_time_cost: Money
    lead_time_days: Annotated[StrictInt, Field(ge=0)]
    currency: Currency


class VendorProfile(EventBase):
    """Who the vendor is and what was agreed; in force from ``occurred_at`` on."""

    type: Literal["vendor_profile"]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    service: Text128
    tier: Literal["critical", "high", "medium", "low"]
    contract: Contract
    sla: Sla | None = None
    insourcing: Insourcing | None = None


Event = Annotated[
    ResponseTime | Defect | SecurityIncident | CostInvoice | VendorProfile,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
MODEL_BY_TYPE: dict[str, type[EventBase]] = {
    "response_time": ResponseTime,
    "defect": Defect,
    "security_incident": SecurityIncident,
    "cost_invoice": CostInvoice,
    "vendor_profile": VendorProfile,
}


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
