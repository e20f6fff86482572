"""``response_time``: one handled request or ticket response by the vendor's service (APM).

The bulk of all events: ingest takes most of them through the DuckDB fast path
(:mod:`ingest.fastpath`), which is tested differentially against :class:`ResponseTime`.
Its figures are the hot path of the metrics run: one ``quantile_cont`` per vendor-period,
responses grouped by a cheap integer key of the period (``Grain.response_key``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import StrictBool

from ingest.envelope import EventBase, NonNegativeNumber, Text128
from ingest.kinds.kind import (
    ChartSpec,
    EventKind,
    EvidenceSource,
    Figure,
    MetricContribution,
    PeriodGrain,
    ReportFigure,
    count,
)


class ResponseTime(EventBase):
    """One handled request or ticket response by the vendor's service."""

    type: Literal["response_time"]
    service: Text128
    latency_ms: NonNegativeNumber
    success: StrictBool = True
    request_id: str | None = None


def _ctes(g: PeriodGrain) -> str:
    return f"""responses AS (
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
)"""


_LATENCY = frozenset({"latency_p50_ms", "latency_p95_ms", "latency_p99_ms"})
_RELIABILITY = frozenset({"sla_attainment", "success_rate"})

KIND = EventKind(
    model=ResponseTime,
    description="one handled request or ticket response (APM)",
    metrics=MetricContribution(
        ctes=_ctes,
        joins=("LEFT JOIN responses r USING (vendor_id, period)",),
        figures=(
            Figure(
                "status",
                "VARCHAR NOT NULL",
                "CASE WHEN r.responses IS NULL THEN 'no_data' "
                "WHEN r.responses < $min_responses THEN 'insufficient' ELSE 'ok' END",
            ),
            Figure("complete", "BOOLEAN NOT NULL", "b.complete"),
            count("responses", "r", rule=True),
            count("failures", "r", rule=True),
            Figure(
                "success_rate",
                "DOUBLE",
                "1 - r.failures / r.responses",
                rule=True,
                fraction=True,
                sla_target="sla_success_rate_min",
            ),
            Figure("latency_p50_ms", "DOUBLE", "r.q[1]", rule=True),
            Figure(
                "latency_p95_ms", "DOUBLE", "r.q[2]", rule=True, sla_target="sla_latency_p95_ms"
            ),
            Figure("latency_p99_ms", "DOUBLE", "r.q[3]", rule=True),
            count("sla_responses", "r"),
            count("within_sla", "r"),
            Figure(
                "sla_attainment",
                "DOUBLE",
                "r.within_sla / nullif(r.sla_responses, 0)",
                rule=True,
                fraction=True,
            ),
        ),
    ),
    evidence=(
        EvidenceSource(
            ("latency", "sla_attainment", "responses"),
            "response_times",
            "latency_ms, success",
            "true",
            "latency_ms DESC",
        ),
        EvidenceSource(
            ("success_rate", "failures"),
            "response_times",
            "latency_ms, success",
            "NOT success",
            "occurred_at",
        ),
    ),
    charts=(
        ChartSpec(
            title="Latency",
            style="lines",
            series={"latency_p50_ms": "p50", "latency_p95_ms": "p95", "latency_p99_ms": "p99"},
            y_title="ms",
            sla=(("SLA p95", "sla_latency_p95_ms"),),
            rule_metrics=_LATENCY,
            shaded_metrics=_LATENCY,
        ),
        ChartSpec(
            title="SLA attainment",
            style="lines",
            series={"sla_attainment": "within SLA", "success_rate": "success rate"},
            y_title="share of responses",
            sla=(("SLA success", "sla_success_rate_min"),),
            rule_metrics=_RELIABILITY,
            shaded_metrics=_RELIABILITY,
            y_format=".2%",
        ),
    ),
    report=(
        ReportFigure("responses", "Responses", "count", None, "service", additive=True),
        ReportFigure("success_rate", "Success rate", "fraction", "higher", "service"),
        ReportFigure("latency_p95_ms", "Latency p95", "ms", "lower", "service"),
        ReportFigure("sla_attainment", "SLA attainment", "fraction", "higher", "service"),
    ),
    simulator_source="apm",
)
