"""The evidence behind a breach: the figures that moved the state, and the events behind them.

:func:`evidence_for` returns a JSON-ready dict:

* ``values``: the rule's recent steps up to the transition (period, value, sample, state) —
  as many as the dwell and clear windows need, plus two;
* ``thresholds``: warn, critical, clear, dwell;
* ``events``: for metrics computed from events, the events of the period that the metric counts
  — ``count`` (all of them) and ``sample``, at most :data:`SAMPLE_SIZE` of the most telling
  ones (slowest responses, failed ones, opened defects or incidents, the invoices), each with
  ``event_id``, ``occurred_at`` and where it was read (``topic``, ``partition``, ``offset``);
* ``components``: for scores, the inputs of that day's score row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb

from ingest.kinds import KINDS
from ingest.kinds.kind import EvidenceSource
from metrics.hysteresis import Step
from metrics.policy import SCORE_METRICS, EffectiveRule

SAMPLE_SIZE = 10
_PROVENANCE = 'event_id, occurred_at, topic, "partition", "offset"'

_SOURCES: tuple[EvidenceSource, ...] = tuple(source for kind in KINDS for source in kind.evidence)
"""The events that make up each metric, as the registered kinds declare them (first match)."""


def _bounds(row: Mapping[str, Any]) -> tuple[datetime, datetime]:
    start, end = row["period_start_epoch"], row["period_end_epoch"]
    return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)


def _rows(result: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in result.description]
    return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


def _counted_sample(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: str,
    where: str,
    order: str,
    params: list[Any],
) -> dict[str, Any]:
    """``count`` of the rows of ``table`` matching ``where`` and a ``sample`` of the first
    :data:`SAMPLE_SIZE` by ``order``, in one scan (the window count is taken before LIMIT)."""
    sample = _rows(
        con.execute(
            f"SELECT {_PROVENANCE}, {columns}, count(*) OVER () AS _count FROM {table} "
            f"WHERE {where} ORDER BY {order} LIMIT {SAMPLE_SIZE}",
            params,
        )
    )
    count = sample[0]["_count"] if sample else 0
    for event in sample:
        del event["_count"]
    return {"table": table, "count": count, "sample": sample}


def _events(
    con: duckdb.DuckDBPyConnection, metric: str, row: Mapping[str, Any]
) -> dict[str, Any] | None:
    vendor, start, end = row["vendor_id"], *_bounds(row)
    for source in _SOURCES:
        if not metric.startswith(source.prefixes):
            continue
        if source.period == "invoice_month":
            where = "vendor_id = ? AND CAST(date_trunc('month', period_start) AS DATE) = ?"
            params: list[Any] = [vendor, row["day"]]
        else:
            where = "vendor_id = ? AND occurred_at >= ? AND occurred_at < ?"
            params = [vendor, start, end]
        where += f" AND {source.where}"
        return _counted_sample(con, source.table, source.columns, where, source.order, params)
    return None


def evidence_for(
    con: duckdb.DuckDBPyConnection,
    row: Mapping[str, Any],
    metric: str,
    rule: EffectiveRule,
    steps: Sequence[Step],
) -> dict[str, Any]:
    """Evidence for the transition at ``row``'s period (see the module docstring)."""
    window = max(rule.for_periods, rule.clear_periods) + 2
    upto = [s for s in steps if s.period <= row["day"]][-window:]
    evidence: dict[str, Any] = {
        "metric": metric,
        "period": dict(zip(("start", "end"), _bounds(row), strict=True)),
        "thresholds": {
            "direction": rule.direction,
            "warn": rule.warn,
            "critical": rule.critical,
            "clear": rule.clear,
            "for_periods": rule.for_periods,
            "clear_periods": rule.clear_periods,
            "min_sample": rule.min_sample,
        },
        "values": [
            {"period": s.period, "value": s.value, "state": s.state.value, "reason": s.reason}
            for s in upto
        ],
    }
    events = _events(con, metric, row)
    if events is not None:
        evidence["events"] = events
    if metric in SCORE_METRICS:
        components = _rows(
            con.execute(
                "SELECT * FROM vendor_scores WHERE vendor_id = ? AND day = ?",
                [row["vendor_id"], row["day"]],
            )
        )
        evidence["components"] = components[0] if components else None
    return evidence
