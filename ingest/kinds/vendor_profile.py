"""``vendor_profile``: who the vendor is and what was agreed (procurement tool).

The latest profile (by ``occurred_at``) is in force from its ``occurred_at`` on; the metrics
read profiles through the ``profile_terms`` view (``metrics.tables``). Money is exact decimal.
"""

from __future__ import annotations

from typing import Annotated, Literal

import pyarrow as pa
from pydantic import Field, StrictBool, StrictInt, StringConstraints

from ingest.columns import MONEY_ARROW, MONEY_SQL, col
from ingest.envelope import (
    Currency,
    EventBase,
    IsoDate,
    Money,
    NonNegativeNumber,
    Number,
    Part,
    Text128,
)
from ingest.kinds.kind import EventKind


class Contract(Part):
    """What was agreed with the vendor."""

    start_date: IsoDate
    end_date: IsoDate
    notice_period_days: Annotated[StrictInt, Field(ge=0)]
    monthly_fee: Money
    currency: Currency
    termination_fee: Money | None = None
    auto_renew: StrictBool | None = None


class Sla(Part):
    """Service-level targets; an absent field means no target for that metric."""

    latency_p95_ms: Annotated[Number, Field(gt=0)] | None = None
    success_rate_min: Annotated[Number, Field(ge=0, le=1)] | None = None
    defects_per_1k_max: NonNegativeNumber | None = None
    service_credit_pct: Annotated[Number, Field(ge=0, le=100)] | None = None


class Insourcing(Part):
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


KIND = EventKind(
    type="vendor_profile",
    model=VendorProfile,
    table="vendor_profiles",
    columns=(
        col("name", "VARCHAR", pa.string()),
        col("service", "VARCHAR", pa.string()),
        col("tier", "VARCHAR", pa.string()),
        col("contract_start_date", "DATE", pa.date32(), "contract.start_date"),
        col("contract_end_date", "DATE", pa.date32(), "contract.end_date"),
        col("notice_period_days", "INTEGER", pa.int32(), "contract.notice_period_days"),
        col("monthly_fee", MONEY_SQL, MONEY_ARROW, "contract.monthly_fee"),
        col("contract_currency", "VARCHAR", pa.string(), "contract.currency"),
        col("termination_fee", MONEY_SQL, MONEY_ARROW, "contract.termination_fee", null=True),
        col("auto_renew", "BOOLEAN", pa.bool_(), "contract.auto_renew", null=True),
        col("sla_latency_p95_ms", "DOUBLE", pa.float64(), "sla.latency_p95_ms", null=True),
        col("sla_success_rate_min", "DOUBLE", pa.float64(), "sla.success_rate_min", null=True),
        col("sla_defects_per_1k_max", "DOUBLE", pa.float64(), "sla.defects_per_1k_max", null=True),
        col("sla_service_credit_pct", "DOUBLE", pa.float64(), "sla.service_credit_pct", null=True),
        col(
            "insourcing_monthly_cost", MONEY_SQL, MONEY_ARROW, "insourcing.monthly_cost", null=True
        ),
        col(
            "insourcing_one_time_cost",
            MONEY_SQL,
            MONEY_ARROW,
            "insourcing.one_time_cost",
            null=True,
        ),
        col(
            "insourcing_lead_time_days",
            "INTEGER",
            pa.int32(),
            "insourcing.lead_time_days",
            null=True,
        ),
        col("insourcing_currency", "VARCHAR", pa.string(), "insourcing.currency", null=True),
    ),
    topic_setting="registry",
    default_topic="vendor.registry",
    description="who the vendor is and what was agreed (procurement tool)",
    money=True,
    simulator_source="procurement",
)
