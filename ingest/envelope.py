"""The envelope every event shares (``docs/events.md``) and the field types kinds build on.

Every kind's contract model (``ingest/kinds/<kind>.py``) subclasses :class:`EventBase`. Money is
``Decimal``; timestamps must be RFC 3339 with an offset; JSON numbers stay numbers (a string is
refused where the contract says number).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
)

SUPPORTED_SCHEMA_VERSIONS = frozenset({1})

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


class Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class EventBase(Part):
    """Fields every event has."""

    type: str
    event_id: Text128
    vendor_id: VendorId
    occurred_at: Timestamp
    schema_version: StrictInt = 1
    source: Annotated[str, StringConstraints(max_length=128)] | None = None
