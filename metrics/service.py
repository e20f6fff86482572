"""Service figures per vendor and period, as SQL over the event store, for one period grain.

:func:`service_figures_sql` returns a ``WITH`` query (no trailing ``SELECT``) whose CTE
``service`` has one row per vendor and period of the grid, for the vendors in the temporary
table ``_dirty(vendor_id, touched_at)`` and periods from the one containing ``touched_at`` to
the one containing ``$as_of``. Only events with ``occurred_at < $as_of`` count. Parameters:
``$as_of`` (TIMESTAMPTZ), ``$tz`` (reporting time zone), ``$min_responses``, and those of
:func:`response_period_params`; the temporary table ``_sla_targets`` (``tables.SLA_TARGETS``)
must be current.

Definitions (see docs/metrics.md):

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

from metrics.tables import DEFECT_SEVERITIES, INCIDENT_SEVERITIES


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


def _rank(column: str, levels: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{level}'" for level in levels)
    return f"list_position([{quoted}], {column})"


def _by_severity(prefix: str, levels: tuple[str, ...]) -> str:
    return ",\n        ".join(
        f"count(*) FILTER (WHERE severity = '{level}') AS {prefix}_{level}" for level in levels
    )


def _lifecycle_cte(name: str, table: str, key: str, levels: tuple[str, ...], extra: str) -> str:
    rank = _rank("severity", levels)
    quoted = ", ".join(f"'{level}'" for level in levels)
    return f"""{name} AS (
    SELECT vendor_id, {key},
        min(occurred_at) AS first_at,
        min(occurred_at) FILTER (WHERE status = 'opened') AS opened_at,
        max(occurred_at) FILTER (WHERE status = 'resolved') AS resolved_at,
        [{quoted}][coalesce(max({rank}) FILTER (WHERE status = 'opened'), max({rank}))]
            AS severity{extra}
    FROM {table}
    WHERE occurred_at < $as_of AND vendor_id IN (SELECT vendor_id FROM _dirty)
    GROUP BY vendor_id, {key}
)"""


def service_figures_sql(grain: Grain) -> str:
    """The ``WITH`` clause computing CTE ``service`` for ``grain`` (see module docstring)."""
    g = grain
    responses_from = g.start(g.of("d.touched_at"))
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
responses AS (
    SELECT * EXCLUDE (response_key), {g.period_of_response_key("response_key")} AS period
    FROM (
        SELECT r.vendor_id, {g.key_of_response("r.occurred_at")} AS response_key,
            count(*) AS responses,
            count(*) FILTER (WHERE NOT r.success) AS failures,
            count(p.sla_latency_p95_ms) AS sla_responses,
            count(*) FILTER (WHERE r.success AND r.latency_ms <= p.sla_latency_p95_ms)
                AS within_sla,
            quantile_cont(r.latency_ms, [0.5, 0.95, 0.99]) AS q
        FROM response_times r
        JOIN read_from d ON d.vendor_id = r.vendor_id AND r.occurred_at >= d.responses_from
        LEFT JOIN _sla_targets p ON p.vendor_id = r.vendor_id
            AND r.occurred_at >= p.valid_from AND r.occurred_at < p.valid_to
        WHERE r.occurred_at < $as_of
        GROUP BY ALL
    )
),
{
        _lifecycle_cte(
            "defect_life",
            "defects",
            "defect_id",
            DEFECT_SEVERITIES,
            ", max(units_affected) AS units",
        )
    },
{
        _lifecycle_cte(
            "incident_life",
            "security_incidents",
            "incident_id",
            INCIDENT_SEVERITIES,
            ", max(records_exposed) AS records_exposed",
        )
    },
defects_opened AS (
    SELECT vendor_id, {g.of("opened_at")} AS period,
        count(*) AS defects_opened,
        {_by_severity("defects_opened", DEFECT_SEVERITIES)},
        sum(units) AS defect_units
    FROM defect_life WHERE opened_at IS NOT NULL GROUP BY ALL
),
defects_resolved AS (
    SELECT vendor_id, {g.of("resolved_at")} AS period,
        count(*) AS defects_resolved,
        avg(CASE WHEN opened_at <= resolved_at
            THEN epoch(resolved_at) - epoch(opened_at) END) / 3600 AS defect_resolve_hours_mean
    FROM defect_life WHERE resolved_at IS NOT NULL GROUP BY ALL
),
incidents_opened AS (
    SELECT vendor_id, {g.of("opened_at")} AS period,
        count(*) AS incidents_opened,
        {_by_severity("incidents_opened", INCIDENT_SEVERITIES)}
    FROM incident_life WHERE opened_at IS NOT NULL GROUP BY ALL
),
incidents_resolved AS (
    SELECT vendor_id, {g.of("resolved_at")} AS period,
        count(*) AS incidents_resolved,
        avg(CASE WHEN opened_at <= resolved_at
            THEN epoch(resolved_at) - epoch(opened_at) END) / 3600
            AS incident_resolve_hours_mean
    FROM incident_life WHERE resolved_at IS NOT NULL GROUP BY ALL
),
exposure AS (
    SELECT vendor_id, {g.of("first_at")} AS period, sum(records_exposed) AS records_exposed
    FROM incident_life GROUP BY ALL
),
open_critical AS (
    SELECT b.vendor_id, b.period, count(*) AS open_critical_incidents
    FROM bounds b JOIN incident_life i ON i.vendor_id = b.vendor_id
        AND i.severity = 'critical' AND i.opened_at < b.period_cut_at
        AND (i.resolved_at IS NULL OR i.resolved_at >= b.period_cut_at)
    GROUP BY ALL
),
service AS (
    SELECT b.vendor_id, b.period, b.period_start_at, b.period_cut_at,
        CASE WHEN r.responses IS NULL THEN 'no_data'
             WHEN r.responses < $min_responses THEN 'insufficient'
             ELSE 'ok' END AS status,
        b.complete,
        coalesce(r.responses, 0) AS responses,
        coalesce(r.failures, 0) AS failures,
        1 - r.failures / r.responses AS success_rate,
        r.q[1] AS latency_p50_ms,
        r.q[2] AS latency_p95_ms,
        r.q[3] AS latency_p99_ms,
        coalesce(r.sla_responses, 0) AS sla_responses,
        coalesce(r.within_sla, 0) AS within_sla,
        r.within_sla / nullif(r.sla_responses, 0) AS sla_attainment,
        coalesce(dop.defects_opened, 0) AS defects_opened,
        coalesce(dop.defects_opened_minor, 0) AS defects_opened_minor,
        coalesce(dop.defects_opened_major, 0) AS defects_opened_major,
        coalesce(dop.defects_opened_critical, 0) AS defects_opened_critical,
        coalesce(dop.defect_units, 0) AS defect_units,
        coalesce(dres.defects_resolved, 0) AS defects_resolved,
        1000.0 * coalesce(dop.defects_opened, 0) / r.responses AS defects_per_1k,
        dres.defect_resolve_hours_mean,
        coalesce(iop.incidents_opened, 0) AS incidents_opened,
        coalesce(iop.incidents_opened_low, 0) AS incidents_opened_low,
        coalesce(iop.incidents_opened_medium, 0) AS incidents_opened_medium,
        coalesce(iop.incidents_opened_high, 0) AS incidents_opened_high,
        coalesce(iop.incidents_opened_critical, 0) AS incidents_opened_critical,
        coalesce(ires.incidents_resolved, 0) AS incidents_resolved,
        coalesce(oc.open_critical_incidents, 0) AS open_critical_incidents,
        ires.incident_resolve_hours_mean,
        coalesce(x.records_exposed, 0) AS records_exposed
    FROM bounds b
    LEFT JOIN responses r USING (vendor_id, period)
    LEFT JOIN defects_opened dop USING (vendor_id, period)
    LEFT JOIN defects_resolved dres USING (vendor_id, period)
    LEFT JOIN incidents_opened iop USING (vendor_id, period)
    LEFT JOIN incidents_resolved ires USING (vendor_id, period)
    LEFT JOIN exposure x USING (vendor_id, period)
    LEFT JOIN open_critical oc USING (vendor_id, period)
)"""
