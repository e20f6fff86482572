"""``vendor_profile``: who the vendor is and what was agreed (procurement tool).

The latest profile (by ``occurred_at``) is in force from its ``occurred_at`` on; the metrics
read profiles through the ``profile_terms`` view (``metrics.tables``). Money is exact decimal.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, StringConstraints

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
from ingest.kinds.simulation import KindProcess, SimulationContext, epoch_ms


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


class Profiles(KindProcess):
    """The profile at the simulation's start (version 1) and, for a vendor with a
    ``profile_change_at``, the renegotiated one then (version 2)."""

    def __init__(self, context: SimulationContext) -> None:
        self.context = context

    def begin(self, start_ms: int) -> None:
        self._publish(1, start_ms)
        change_at = self.context.vendor.profile_change_at
        if change_at is not None:
            self._publish(2, epoch_ms(change_at))

    def _publish(self, version: int, ts_ms: int) -> None:
        context = self.context
        event_id = f"vp-{context.vendor.vendor_id}-{version}"
        context.schedule(ts_ms, context.envelope(event_id, ts_ms) | context.profile(version))


KIND = EventKind(
    model=VendorProfile,
    column_names={  # the contract's terms without a prefix, but its currency
        f"contract.{term}": term
        for term in ("notice_period_days", "monthly_fee", "termination_fee", "auto_renew")
    },
    topic_setting="registry",
    description="who the vendor is and what was agreed (procurement tool)",
    money=True,
    simulator=Profiles,
    simulator_source="procurement",
)
