"""``cost_invoice``: an invoice or credit note from the vendor (ERP / accounts payable).

Money is exact decimal. Its figures are ``vendor_monthly``'s money side, computed with the
profile in force in ``metrics.projections`` (the month's invoices, credits, cost per unit,
variance against the contracted fee, service credits, net effective cost).
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from ingest.envelope import Currency, EventBase, IsoDate, Money, NonNegativeNumber, Text128
from ingest.kinds.kind import EventKind, EvidenceSource, MetricContribution


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


def _no_ctes(_grain: object) -> str:
    return ""


KIND = EventKind(
    model=CostInvoice,
    description="an invoice or credit note (ERP / accounts payable)",
    money=True,
    metrics=MetricContribution(
        ctes=_no_ctes,
        joins=(),
        figures=(),
        month_only_rule_metrics=("variance_pct", "cost_per_unit", "net_effective_cost"),
    ),
    evidence=(
        EvidenceSource(
            ("variance_pct", "cost_per_unit", "net_effective_cost"),
            "cost_invoices",
            "invoice_id, amount, currency",
            "true",
            "occurred_at",
            period="invoice_month",
        ),
    ),
    simulator_source="erp",
)
