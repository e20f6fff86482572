"""The evidence behind a breach: the figures that moved the state, and the events behind them.

:func:`evidence_for` returns an :class:`~metrics.evidence_model.Evidence` (the typed document
whose JSON ``alert_log.evidence`` stores):

* ``values``: the rule's recent steps up to the transition (period, value, state, reason) —
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
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from ingest.kinds import KINDS
from ingest.kinds.kind import EvidenceSource
from metrics.effective_rule import EffectiveRule
from metrics.evidence_model import (
    EvaluationPeriod,
    EventSample,
    Evidence,
    JudgedPeriod,
    SampledEvent,
    Scalar,
    Thresholds,
)
from metrics.hysteresis import Step
from metrics.policy_catalogue import SCORE_METRICS

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
) -> Evidence:
    """Evidence for the transition at ``row``'s period (see the module docstring)."""
    window = max(rule.for_periods, rule.clear_periods) + 2
    upto = [s for s in steps if s.period <= row["day"]][-window:]
    start, end = _bounds(row)
    events = _events(con, metric, row)
    components: dict[str, Scalar] | None = None
    if metric in SCORE_METRICS:
        scored = _rows(
            con.execute(
                "SELECT * FROM vendor_scores WHERE vendor_id = ? AND day = ?",
                [row["vendor_id"], row["day"]],
            )
        )
        components = _scalars(scored[0]) if scored else None
    return Evidence(
        metric=metric,
        period=EvaluationPeriod(start=start, end=end),
        thresholds=Thresholds.model_validate(rule, from_attributes=True),  # the rule's own
        values=tuple(
            JudgedPeriod(period=s.period, value=s.value, state=s.state.value, reason=s.reason)
            for s in upto
        ),
        events=None if events is None else _sample(events),
        components=components,
    )


_PROVENANCE_FIELDS = ("event_id", "occurred_at", "topic", "partition", "offset")


def _sample(events: Mapping[str, Any]) -> EventSample:
    """The counted sample of :func:`_events` as the model: provenance typed, the kind's
    columns as JSON scalars."""
    sample = []
    for event in events["sample"]:
        provenance = {k: event[k] for k in _PROVENANCE_FIELDS}
        facts = _scalars({k: v for k, v in event.items() if k not in _PROVENANCE_FIELDS})
        sample.append(SampledEvent(**provenance, **facts))
    return EventSample(table=events["table"], count=events["count"], sample=tuple(sample))


def _scalars(row: Mapping[str, Any]) -> dict[str, Scalar]:
    """A stored row's values as JSON states them: money (Decimal) as its exact decimal text,
    dates and instants as ISO 8601 text, numbers and text as they are."""
    out: dict[str, Scalar] = {}
    for key, value in row.items():
        if isinstance(value, Decimal):
            out[key] = str(value)
        elif isinstance(value, date):  # datetime is a date too
            out[key] = value.isoformat()
        elif value is None or isinstance(value, str | int | float | bool):
            out[key] = value
        else:
            out[key] = str(value)
    return out
