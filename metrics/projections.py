"""Recompute ``vendor_daily`` and ``vendor_monthly`` for the vendors and periods in ``_dirty``.

Both statements append the rows of the periods the temporary table ``_dirty`` names (see
:mod:`metrics.service`); the caller deletes those periods first, in the same transaction.

The money side of a month (``vendor_monthly`` only), in the currency of the contract in force
at the month's end (or at ``$as_of`` for the running month):

* an invoice counts in the month of its ``period_start``; of several events with the same
  ``invoice_id`` the latest by ``occurred_at`` (ties: ingest order) is the invoice, the others
  are corrected versions; credit notes are invoices with a negative amount;
* invoices in another currency than the contract's are counted in ``unconverted_invoices``
  and left out of the sums (no exchange rates are guessed), and ``cost_status`` says so;
* a month with enough data (status ``ok``) breaches the SLA when its ``latency_p95_ms``
  exceeds ``sla.latency_p95_ms``, its ``success_rate`` is under ``sla.success_rate_min`` or
  its ``defects_per_1k`` exceeds ``sla.defects_per_1k_max``; ``service_credit_due`` is then
  ``service_credit_pct`` % of the monthly fee; ``net_effective_cost`` is the invoiced amount
  minus the service credit due.
"""

from __future__ import annotations

from metrics.policy_catalogue import SLA_TARGETS
from metrics.service import DAILY, MONTHLY, service_figures_sql
from metrics.tables import PROJECTION_TABLES, SERVICE_FIGURES

_SERVICE_OUTPUT = ", ".join(figure.name for figure in SERVICE_FIGURES)

SLA_BREACHED_WHEN = {"latency_p95_ms": ">", "success_rate": "<", "defects_per_1k": ">"}
"""How a month's figure breaches its SLA target, in ``sla_breaches`` order. The targets
themselves are the registry's (``Figure.sla_target``, :data:`SLA_TARGETS`): this table and
those must name the same figures, so a kind adding an SLA target must say here how it is
breached (the comparison is a contract term, not a property of the figure's column)."""
if set(SLA_BREACHED_WHEN) != set(SLA_TARGETS):  # pragma: no cover - a registry change
    raise ImportError(f"SLA_BREACHED_WHEN must cover exactly the SLA targets {set(SLA_TARGETS)}")
_ANY_TARGET = " OR ".join(f"t.{SLA_TARGETS[f]} IS NOT NULL" for f in SLA_BREACHED_WHEN)
_BREACHES = ",\n                ".join(
    f"CASE WHEN s.{figure} {op} t.{SLA_TARGETS[figure]} THEN '{figure}' END"
    for figure, op in SLA_BREACHED_WHEN.items()
)
_TARGET_TERMS = ", ".join(f"p.{SLA_TARGETS[f]}" for f in SLA_BREACHED_WHEN)

INSERT_DAILY = f"""
INSERT INTO vendor_daily BY NAME
{service_figures_sql(DAILY)}
SELECT vendor_id, period AS day, {_SERVICE_OUTPUT}
FROM service
"""

INSERT_MONTHLY = f"""
INSERT INTO vendor_monthly BY NAME
{service_figures_sql(MONTHLY)},
terms AS (
    SELECT s.vendor_id, s.period, p.event_id AS profile_event_id, p.contract_currency,
        p.monthly_fee, {_TARGET_TERMS}, p.sla_service_credit_pct
    FROM service s LEFT JOIN profile_terms p ON p.vendor_id = s.vendor_id
        AND p.valid_from < s.period_cut_at AND p.valid_to >= s.period_cut_at
),
invoice_versions AS (
    SELECT vendor_id, period_start, amount, currency, units,
        row_number() OVER w AS newest_first,
        count(*) OVER (PARTITION BY vendor_id, invoice_id) AS versions
    FROM cost_invoices
    WHERE occurred_at < $as_of AND vendor_id IN (SELECT vendor_id FROM _dirty)
    WINDOW w AS (
        PARTITION BY vendor_id, invoice_id
        ORDER BY occurred_at DESC, "partition" DESC, "offset" DESC
    )
),
costs AS (
    SELECT t.vendor_id, t.period,
        count(*) FILTER (WHERE i.currency = t.contract_currency) AS invoices,
        count(*) FILTER (WHERE i.currency = t.contract_currency AND i.versions > 1)
            AS corrected_invoices,
        count(*) FILTER (WHERE i.currency IS DISTINCT FROM t.contract_currency)
            AS unconverted_invoices,
        sum(i.amount) FILTER (WHERE i.currency = t.contract_currency) AS invoiced_amount,
        sum(i.amount) FILTER (WHERE i.currency = t.contract_currency AND i.amount < 0)
            AS credit_note_amount,
        sum(i.units) FILTER (WHERE i.currency = t.contract_currency) AS units
    FROM terms t JOIN invoice_versions i ON i.vendor_id = t.vendor_id
        AND i.newest_first = 1
        AND CAST(date_trunc('month', i.period_start) AS DATE) = t.period
    GROUP BY ALL
),
judged AS (
    SELECT s.*, t.profile_event_id, t.contract_currency, t.monthly_fee,
        t.sla_service_credit_pct,
        coalesce(c.invoices, 0) AS invoices,
        coalesce(c.corrected_invoices, 0) AS corrected_invoices,
        coalesce(c.unconverted_invoices, 0) AS unconverted_invoices,
        c.invoiced_amount, coalesce(c.credit_note_amount, 0) AS credit_note_amount, c.units,
        CASE WHEN s.status = 'ok' AND ({_ANY_TARGET})
            THEN list_filter([
                {_BREACHES}
            ], lambda b: b IS NOT NULL) END AS sla_breaches
    FROM service s
    JOIN terms t USING (vendor_id, period)
    LEFT JOIN costs c USING (vendor_id, period)
),
credited AS (
    SELECT *,
        len(sla_breaches) > 0 AS sla_breached,
        CASE WHEN len(sla_breaches) > 0
            THEN CAST(monthly_fee * CAST(coalesce(sla_service_credit_pct, 0) AS DECIMAL(9,4))
                      * 0.01 AS DECIMAL(18,4))
            WHEN sla_breaches IS NOT NULL THEN CAST(0 AS DECIMAL(18,4))
        END AS service_credit_due
    FROM judged
)
SELECT vendor_id, period AS month, {_SERVICE_OUTPUT},
    profile_event_id,
    contract_currency AS currency,
    invoices, corrected_invoices, unconverted_invoices,
    invoiced_amount,
    CAST(credit_note_amount AS DECIMAL(18,4)) AS credit_note_amount,
    units,
    CAST(invoiced_amount / nullif(units, 0) AS DECIMAL(18,4)) AS cost_per_unit,
    monthly_fee AS contracted_fee,
    100 * (invoiced_amount - monthly_fee) / nullif(monthly_fee, 0) AS variance_pct,
    sla_breached,
    sla_breaches,
    service_credit_due,
    invoiced_amount - coalesce(service_credit_due, 0) AS net_effective_cost,
    CASE WHEN profile_event_id IS NULL THEN 'no_contract'
         WHEN unconverted_invoices > 0 THEN 'currency_mismatch'
         WHEN invoices = 0 THEN 'no_invoice'
         ELSE 'ok' END AS cost_status
FROM credited
"""

INSERT_BY_TABLE = {"vendor_daily": INSERT_DAILY, "vendor_monthly": INSERT_MONTHLY}

DELETE_DIRTY = {
    "vendor_daily": f"""
DELETE FROM vendor_daily v USING _dirty d
WHERE v.vendor_id = d.vendor_id AND v.day >= {DAILY.of("d.touched_at")}""",
    "vendor_monthly": f"""
DELETE FROM vendor_monthly v USING _dirty d
WHERE v.vendor_id = d.vendor_id AND v.month >= {MONTHLY.of("d.touched_at")}""",
}
assert set(INSERT_BY_TABLE) == set(DELETE_DIRTY) == set(PROJECTION_TABLES)
