"""Service figures per vendor and period, as SQL over the event store, for one period grain.

:func:`service_figures_sql` returns a ``WITH`` query (no trailing ``SELECT``) whose CTE
``service`` has one row per vendor and period of the grid, for the vendors in the temporary
table ``_dirty(vendor_id, touched_at)`` and periods from the one containing ``touched_at`` to
the one containing ``$as_of``. Only events with ``occurred_at < $as_of`` count. Parameters:
``$as_of`` (TIMESTAMPTZ), ``$tz`` (reporting time zone), ``$min_responses``, and those of
:func:`response_period_params`; the temporary table ``_sla_targets`` (``tables.SLA_TARGETS``)
must be current.

The figures are the registered kinds' contributions (:mod:`ingest.kinds`: each kind's CTEs,
joins and columns, composed here in registry order). Definitions (see docs/metrics.md):

* latency percentiles: linear interpolation between closest ranks (numpy's default) over all
  responses of the period, failed ones included;
* ``sla_attainment``: responses that succeeded within the ``sla.latency_p95_ms`` of the profile
  in force when each response occurred, over responses that had such a target;
* a defect or incident is one lifecycle (``defect_id`` / ``incident_id``): opened at its first
  ``opened`` event, resolved at its last ``resolved`` event, as severe as the worst severity
  reported when opened (or at all, if no ``opened`` event arrived); time to resolve is known
  only when both ends are, and counted in the period of the resolution;
* ``open_critical_incidents``: critical incidents open at the period's end (or at ``$as_of``
  for the running period); ``records_exposed``: each incident's largest reported figure, in
  the period of its first event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from ingest.kinds import KINDS
from metrics.tables import SERVICE_FIGURES


@dataclass(frozen=True)
class Grain:
    """How one kind of period is cut: SQL templates over a timestamp ``{x}`` / period ``{p}``."""

    name: str
    table: str
    period_of: str
    start_of: str
    step: str
    response_key: str = ""
    """What the responses are grouped by, from ``{x}``: the period, or a key of it that is
    cheaper per response (default: ``period_of``); it may use the parameters that
    :func:`response_period_params` returns."""
    period_of_key: str = "{k}"
    """The period of a ``response_key`` ``{k}`` (once per group, not per response)."""

    def of(self, timestamp_sql: str) -> str:
        return self.period_of.format(x=timestamp_sql)

    def key_of_response(self, timestamp_sql: str) -> str:
        return (self.response_key or self.period_of).format(x=timestamp_sql)

    def period_of_response_key(self, key_sql: str) -> str:
        return self.period_of_key.format(k=key_sql)

    def of_response(self, timestamp_sql: str) -> str:
        """The period of a response by way of its key: equals ``of``."""
        return self.period_of_response_key(self.key_of_response(timestamp_sql))

    def start(self, period_sql: str) -> str:
        return self.start_of.format(p=period_sql)

    def end(self, period_sql: str) -> str:
        return self.start_of.format(p=f"({period_sql} + {self.step})")


DAY_US = 86_400_000_000
_DAYS_FROM_YEAR_1 = 719_162  # 0001-01-01 to 1970-01-01


def utc_day_number(timestamp_sql: str) -> str:
    """Days from 1970-01-01 to the UTC date of an instant from 0001-01-01 on (the first year of
    RFC 3339 and of Python): counted from year 1, the microseconds are never negative, so
    DuckDB's ``//``, which truncates towards zero, rounds down."""
    shift = _DAYS_FROM_YEAR_1 * DAY_US
    return f"((epoch_us({timestamp_sql}) + {shift}) // {DAY_US} - {_DAYS_FROM_YEAR_1})"


DAILY = Grain(
    name="day",
    table="vendor_daily",
    period_of="CAST(timezone('UTC', {x}) AS DATE)",
    start_of="timezone('UTC', CAST({p} AS TIMESTAMP))",
    step="INTERVAL 1 DAY",
    # a UTC day is a whole number of microseconds since the epoch: responses are grouped by
    # its number (integer arithmetic, no time zone conversion or date per response)
    response_key=utc_day_number("{x}"),
    period_of_key="CAST(DATE '1970-01-01' + CAST({k} AS INTEGER) AS DATE)",
)
_MONTH_OF = "CAST(date_trunc('month', timezone($tz, {x})) AS DATE)"
# The first instant of a local month: where local midnight happens twice (America/Havana's
# 01:00 -> 00:00 on 2026-11-01), timezone() answers the later one, and an hour of the new
# month would fall in the old; an hour after local 23:00 of the day before is the earlier.
_MONTH_START = (
    "least(timezone($tz, CAST({p} AS TIMESTAMP)), "
    "timezone($tz, CAST({p} AS TIMESTAMP) - INTERVAL 1 HOUR) + INTERVAL 1 HOUR)"
)


def _by_utc_day(list_parameter: str, timestamp_sql: str) -> str:
    index = f"{utc_day_number(timestamp_sql)} - $utc_day_first + 1"
    return f"(${list_parameter})[CAST({index} AS INTEGER)]"


# Per UTC day from the first one a response of the pass can fall on (``$utc_day_first``): the
# month of its first microsecond, of its last one, and the start of the latter (epoch
# microseconds). A month starts at most once a day, so an instant of the day is in the later
# month from that start on and in the earlier one before it.
_FIRST_READ = _MONTH_START.format(p=_MONTH_OF.format(x="touched_at"))
_DAY_START, _DAY_END = (
    f"timezone('UTC', make_timestamp(utc_day * {DAY_US} + {offset}))" for offset in (0, DAY_US - 1)
)
_UTC_DAY_MONTHS = f"""
WITH days AS (
    SELECT unnest(range(first_day, last_day + 1)) AS utc_day FROM (
        SELECT {utc_day_number(f"min({_FIRST_READ})")} AS first_day,
            {utc_day_number("$as_of - INTERVAL 1 MICROSECOND")} AS last_day
        FROM _dirty)
),
months AS (
    SELECT utc_day, {_MONTH_OF.format(x=_DAY_START)} AS first,
        {_MONTH_OF.format(x=_DAY_END)} AS last
    FROM days
)
SELECT min(utc_day), list(first ORDER BY utc_day), list(last ORDER BY utc_day),
    list(epoch_us({_MONTH_START.format(p="last")}) ORDER BY utc_day)
FROM months
"""

MONTHLY = Grain(
    name="month",
    table="vendor_monthly",
    period_of=_MONTH_OF,
    start_of=_MONTH_START,
    step="INTERVAL 1 MONTH",
    # a time zone conversion per response was half the monthly pass: one per UTC day instead
    response_key=(
        f"CASE WHEN epoch_us({{x}}) >= {_by_utc_day('utc_day_month_start_us', '{x}')}"
        f" THEN {_by_utc_day('utc_day_last_month', '{x}')}"
        f" ELSE {_by_utc_day('utc_day_first_month', '{x}')} END"
    ),
)


def response_period_params(
    con: duckdb.DuckDBPyConnection, grain: Grain, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The parameters ``grain.response_key`` needs for the vendors and periods of
    ``_dirty`` up to ``params["as_of"]`` (in ``params["tz"]``): none for days; for months, the
    months of each UTC day (a few hundred values, computed once per pass)."""
    if grain is not MONTHLY:
        return {}
    row = con.execute(_UTC_DAY_MONTHS, {"tz": params["tz"], "as_of": params["as_of"]}).fetchone()
    first, firsts, lasts, starts = (
        row if row is not None and row[0] is not None else (0, [], [], [])
    )
    return {
        "utc_day_first": first,
        # never empty (DuckDB types an empty list's elements NULL); no response reads it then
        "utc_day_first_month": firsts or [date(1970, 1, 1)],
        "utc_day_last_month": lasts or [date(1970, 1, 1)],
        "utc_day_month_start_us": starts or [0],
    }


_CONTRIBUTIONS = tuple(kind.metrics for kind in KINDS if kind.metrics is not None)


def service_figures_sql(grain: Grain) -> str:
    """The ``WITH`` clause computing CTE ``service`` for ``grain`` (see module docstring):
    the shared ``read_from``, ``grid`` and ``bounds``, then each registered kind's CTEs, then
    ``service`` joining them to the grid."""
    g = grain
    responses_from = g.start(g.of("d.touched_at"))
    kind_ctes = ",\n".join(text for c in _CONTRIBUTIONS if (text := c.ctes(g)))
    figures = ",\n        ".join(f"{f.expression} AS {f.name}" for f in SERVICE_FIGURES)
    joins = "\n    ".join(join for c in _CONTRIBUTIONS for join in c.joins)
    return f"""
WITH
read_from AS (  -- per vendor, once: a condition per response would convert per response
    SELECT vendor_id, {responses_from} AS responses_from FROM _dirty d
),
grid AS (
    SELECT vendor_id, CAST(unnest(generate_series(
            greatest({g.of("s.first_at")}, {g.of("d.touched_at")}),
            {g.of("$as_of - INTERVAL 1 MICROSECOND")},
            {g.step})) AS DATE) AS period
    FROM _dirty d JOIN _vendor_span s USING (vendor_id)
),
bounds AS (
    SELECT vendor_id, period, {g.start("period")} AS period_start_at,
        least({g.end("period")}, $as_of) AS period_cut_at,
        {g.end("period")} <= $as_of AS complete
    FROM grid
),
{kind_ctes},
service AS (
    SELECT b.vendor_id, b.period, b.period_start_at, b.period_cut_at,
        {figures}
    FROM bounds b
    {joins}
)"""
