"""``response_time``: one handled request or ticket response by the vendor's service (APM).

The bulk of all events: ingest takes most of them through the DuckDB fast path
(:mod:`ingest.fastpath`), which is tested differentially against :class:`ResponseTime`.
Its figures are the hot path of the metrics run: one ``quantile_cont`` per vendor-period,
responses grouped by a cheap integer key of the period (``Grain.response_key``).
"""

from __future__ import annotations

import math
import random
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
from ingest.kinds.simulation import (
    CUM_VOLUME,
    DAY_MS,
    HOUR_MS,
    HOURLY_VOLUME,
    HOURS,
    KindProcess,
    Payload,
    Row,
    SimulationContext,
    day_tag,
    is_weekend,
    iso_ms,
    poisson,
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


HOURLY_LATENCY = tuple(0.88 + 0.32 * w / max(HOURLY_VOLUME) for w in HOURLY_VOLUME)
"""Latency multiplier per UTC hour: slower when busy."""
WEEKEND_LATENCY = 0.93
SPIKE_PROBABILITY = 0.004
TIMEOUT_MS = 60_000.0


class Responses(KindProcess):
    """The vendor's responses: ``volume(day)`` on average (a Poisson count spread over the
    hours as the request volume), latency lognormal around the vendor's median times a day
    level, slower in business hours and as the scenario says, with rare heavy-tailed spikes
    (capped at a 60 s timeout, which fails) and the preset's failure rate. Live, the
    responses take the draws the other kinds leave."""

    def __init__(self, context: SimulationContext) -> None:
        self._context = context
        self._live_levels: dict[int, float] = {}

    def _latency(self, rng: random.Random, base: float, ts_ms: int) -> tuple[float, bool]:
        """One response: ``base`` already holds the median, day level and weekday factor."""
        vendor = self._context.vendor
        latency = (
            base
            * HOURLY_LATENCY[ts_ms % DAY_MS // HOUR_MS]
            * rng.lognormvariate(0.0, vendor.preset.latency_sigma)
            * vendor.latency_factor(ts_ms)
        )
        if rng.random() < SPIKE_PROBABILITY:
            latency *= 3.0 + 2.0 * rng.paretovariate(1.3)
        success = rng.random() >= vendor.preset.failure_rate and latency < TIMEOUT_MS
        return round(min(latency, TIMEOUT_MS), 1), success

    def day(self, day: int, lo_ms: int, hi_ms: int) -> list[Row]:
        context = self._context
        rng, vendor = context.rng("rt", day), context.vendor
        count = poisson(rng, context.volume(day))
        base = vendor.median_latency_ms * math.exp(rng.gauss(0.0, vendor.preset.day_sigma))
        base *= WEEKEND_LATENCY if is_weekend(day) else 1.0
        hours = rng.choices(HOURS, cum_weights=CUM_VOLUME, k=count)
        offsets = sorted([h * HOUR_MS + int(rng.random() * HOUR_MS) for h in hours])
        midnight, prefix = day * DAY_MS, f"rt-{vendor.vendor_id}-{day_tag(day)}-"
        rows: list[Row] = []
        append, latency_of = rows.append, self._latency
        vendor_id, service, source = vendor.vendor_id, vendor.service, KIND.simulator_source
        for n, offset in enumerate(offsets):
            ts_ms = midnight + offset
            latency, success = latency_of(rng, base, ts_ms)  # drawn even if clipped: stable ids
            if not lo_ms <= ts_ms < hi_ms:
                continue
            payload: Payload = {  # the envelope inline: this is the simulator's hot loop
                "type": "response_time",
                "event_id": f"{prefix}{n}",
                "vendor_id": vendor_id,
                "occurred_at": iso_ms(ts_ms),
                "source": source,
                "service": service,
                "latency_ms": latency,
                "success": success,
            }
            append((ts_ms, "response_time", payload))
        return rows

    def live_rate(self, now_ms: int) -> float | None:
        return None

    def live(self, rng: random.Random, now_ms: int, ident: str) -> Row | None:
        context, day = self._context, now_ms // DAY_MS
        vendor = context.vendor
        if day not in self._live_levels:
            level = math.exp(context.rng("live-level", day).gauss(0.0, vendor.preset.day_sigma))
            self._live_levels[day] = level * (WEEKEND_LATENCY if is_weekend(day) else 1.0)
        latency, success = self._latency(
            rng, vendor.median_latency_ms * self._live_levels[day], now_ms
        )
        payload = context.envelope(f"rt-{vendor.vendor_id}-{ident}", now_ms)
        payload |= {"service": vendor.service, "latency_ms": latency, "success": success}
        return now_ms, "response_time", payload


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
        ReportFigure(
            "responses", "Responses", "count", None, "service", additive=True, headline=False
        ),
        ReportFigure("success_rate", "Success rate", "fraction", "higher", "service"),
        ReportFigure("latency_p95_ms", "Latency p95", "ms", "lower", "service"),
        ReportFigure("sla_attainment", "SLA attainment", "fraction", "higher", "service"),
    ),
    simulator=Responses,
    simulator_source="apm",
)
