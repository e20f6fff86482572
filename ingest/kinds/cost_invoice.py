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
from ingest.kinds.simulation import DAY_MS, KindProcess, SimulationContext, calendar_date


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


class Invoices(KindProcess):
    """The monthly invoice for the previous calendar month, issued on the 1st, with the
    scenario's occasional corrections (same ``invoice_id``, new amount, days later) and credit
    notes (own ``invoice_id``, negative amount); vendor 0 has one of each, on the first 1st
    of the simulation."""

    def __init__(self, context: SimulationContext) -> None:
        self.context = context
        self._start_ms = 0
        self._billed_to = 0  # the epoch day up to which invoices are issued
        self._forced = context.vendor.ordinal == 0  # its correction and credit are still due

    def begin(self, start_ms: int) -> None:
        self._start_ms, self._billed_to = start_ms, start_ms // DAY_MS - 1

    def calendar(self, day: int) -> None:
        for due in range(self._billed_to + 1, day + 1):
            if calendar_date(due).day == 1:
                self._bill(due)
        self._billed_to = max(self._billed_to, day)

    def _bill(self, issue_day: int) -> None:
        """Schedule the invoice (and maybe correction, credit note) issued on ``issue_day``."""
        context = self.context
        forced = self._forced and issue_day * DAY_MS >= self._start_ms
        self._forced = self._forced and not forced
        issued = calendar_date(issue_day)
        for ts_ms, event_id, fields in context.billing(issued, context.rng("inv", issued), forced):
            context.schedule(ts_ms, context.envelope(event_id, ts_ms) | fields)


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
    simulator=Invoices,
    simulator_source="erp",
)
