"""Cost trends per vendor and month: the Theil-Sen trend of the net effective cost before it.

``vendor_cost_trends`` has one row per vendor and month of ``vendor_monthly``: the trend
(:func:`metrics.trends.trend`, alpha 0.1) of the net effective cost over the 6 months before
that month, months without a clean invoice (``cost_status`` not ``ok``) left out; fewer than 4
months give ``insufficient``. The cost score (:mod:`metrics.scores`) reads the trend of the
day's month. Computed in Python (the trend test is not SQL) and written as one Arrow batch.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import duckdb

from ingest.columns import col, create_table, double, integer, text
from ingest.columns import date as date_type
from metrics.tables import insert_batch
from metrics.trends import trend

COST_TREND_MONTHS = 6
MIN_TREND_MONTHS = 4

COST_TREND_COLUMNS = (
    col("vendor_id", text),
    col("month", date_type),
    col("months_used", integer),
    col("direction", text),
    col("slope", double, null=True),
    col("relative_slope_pct", double, null=True),
    col("p_value", double, null=True),
)
COST_TRENDS_DDL = create_table("vendor_cost_trends", COST_TREND_COLUMNS)


_TREND_FROM = """CREATE OR REPLACE TEMP TABLE _trend_from AS
SELECT vendor_id,
    -- the run recomputed vendor_monthly from the month M (reporting time zone) containing
    -- touched_at, maybe creating M, and changing the inputs of the trends after M. M is at
    -- most one month before touched_at's UTC month: the trends from that one on cover them
    CAST(date_trunc('month', timezone('UTC', touched_at)) - INTERVAL 1 MONTH AS DATE) AS month
FROM _dirty"""


def refresh_cost_trends(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute ``vendor_cost_trends`` for the vendors in ``_dirty`` after ``vendor_monthly``
    was recomputed from the month containing ``touched_at``: each month's trend is the trend
    of the net effective cost over the 6 months of ``vendor_monthly`` before it (months
    without a clean invoice left out), so only the trends of that month and later ones can
    change; those from the UTC month before touched_at's on are recomputed. Returns the
    number of rows written."""
    con.execute(_TREND_FROM)
    rows = con.execute(
        """SELECT m.vendor_id, m.month, CASE WHEN m.cost_status = 'ok'
               THEN CAST(m.net_effective_cost AS DOUBLE) END, m.month >= f.month
           FROM vendor_monthly m JOIN _trend_from f ON f.vendor_id = m.vendor_id
               AND m.month >= f.month - to_months(CAST(? AS INTEGER))
           ORDER BY m.vendor_id, m.month""",
        [COST_TREND_MONTHS],
    ).fetchall()
    series: dict[str, list[tuple[date, float | None, bool]]] = defaultdict(list)
    for vendor_id, month, cost, recompute in rows:
        series[vendor_id].append((month, cost, recompute))
    out: dict[str, list[Any]] = defaultdict(list)
    for vendor_id, months in series.items():
        for index, (month, _, recompute) in enumerate(months):
            if not recompute:
                continue
            window = [cost for _, cost, _ in months[max(0, index - COST_TREND_MONTHS) : index]]
            result = trend(window, min_periods=MIN_TREND_MONTHS, alpha=0.1)
            relative = result.relative_slope
            out["vendor_id"].append(vendor_id)
            out["month"].append(month)
            out["months_used"].append(result.periods)
            out["direction"].append(result.direction)
            out["slope"].append(result.slope)
            out["relative_slope_pct"].append(None if relative is None else 100 * relative)
            out["p_value"].append(result.p_value)
    con.execute(
        """DELETE FROM vendor_cost_trends t USING _trend_from f
        WHERE t.vendor_id = f.vendor_id AND t.month >= f.month"""
    )
    if not out:
        return 0
    return insert_batch(con, "vendor_cost_trends", COST_TREND_COLUMNS, out)
