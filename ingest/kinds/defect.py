"""``defect``: the lifecycle of a quality defect found in the vendor's work (QA tool).

Figures: defects opened (by severity, and the units they affect) in the period of their
opening, resolved ones and the mean time to resolve in the period of their resolution, and
``defects_per_1k`` = defects opened per 1,000 responses (the response_time kind's count).
"""

from __future__ import annotations

import math
import random
from typing import Annotated, Literal, get_args

from pydantic import Field, StrictInt

from ingest.envelope import EventBase, Lifecycle, Text128
from ingest.kinds.kind import (
    ChartSpec,
    EventKind,
    EvidenceSource,
    Figure,
    MetricContribution,
    PeriodGrain,
    ReportFigure,
    count,
    per_level,
)
from ingest.kinds.lifecycle import LifecycleProcess, lifecycle_ctes
from ingest.kinds.simulation import DAY_MS, HOUR_MS, Payload, Row, business_offset, poisson

DefectSeverity = Literal["minor", "major", "critical"]
DEFECT_SEVERITIES: tuple[str, ...] = get_args(DefectSeverity)
"""The severity levels, least severe first (the order of ranks and charts)."""


class Defect(EventBase):
    """Lifecycle of a quality defect; ``defect_id`` is the lifecycle key."""

    type: Literal["defect"]
    defect_id: Text128
    status: Lifecycle
    severity: DefectSeverity
    category: str | None = None
    units_affected: Annotated[StrictInt, Field(ge=1)] = 1


def _ctes(g: PeriodGrain) -> str:
    return lifecycle_ctes(
        g.of,
        "defect",
        "defects",
        DEFECT_SEVERITIES,
        ", max(units_affected) AS units",
        opened_extra=",\n        sum(units) AS defect_units",
    )


DEFECT_TTR_HOURS = {"minor": 72.0, "major": 30.0, "critical": 8.0}
"""Median hours to resolve, by severity."""


class Defects(LifecycleProcess):
    """Defects found at the rate of ``defects_per_1k`` of the day's responses, in business
    hours, more (and more severe) after a defect-surge onset."""

    tag = "df"

    def open_day(self, rng: random.Random, day: int, tag: str) -> None:
        vendor, peak = self.context.vendor, self.context.vendor.preset.defect_jump
        mean = self.context.volume(day) * vendor.preset.defects_per_1k / 1000 * peak
        for n in range(poisson(rng, mean)):
            ts_ms = day * DAY_MS + business_offset(rng)
            if rng.random() * peak < vendor.defect_factor(ts_ms):  # thinning below the peak
                self._open_defect(rng, ts_ms, f"{tag}-{n}")

    def _open_defect(self, rng: random.Random, ts_ms: int, ident: str) -> None:
        vendor = self.context.vendor
        surge = vendor.defect_factor(ts_ms) > 1.0
        weights = (0.5, 0.4, 0.1) if surge else (0.72, 0.24, 0.04)
        severity = rng.choices(DEFECT_SEVERITIES, weights=weights)[0]
        category = rng.choice(vendor.defect_categories)
        units = 1 if rng.random() < 0.7 else rng.randint(2, 25)
        ttr_ms = rng.lognormvariate(math.log(DEFECT_TTR_HOURS[severity]), 0.8) * HOUR_MS
        fields: Payload = {
            "defect_id": f"{vendor.code}-D-{ident}",
            "severity": severity,
            "category": category,
            "units_affected": units,
        }
        self.open(ident, ts_ms, ttr_ms, fields)

    def live_rate(self, now_ms: int) -> float | None:
        vendor = self.context.vendor
        return vendor.preset.defects_per_1k * vendor.defect_factor(now_ms) / 1000

    def live(self, rng: random.Random, now_ms: int, ident: str) -> Row | None:
        self._open_defect(rng, now_ms, ident)
        return None


KIND = EventKind(
    model=Defect,
    description="lifecycle of a quality defect (QA / ticketing tool)",
    metrics=MetricContribution(
        ctes=_ctes,
        joins=(
            "LEFT JOIN defects_opened dop USING (vendor_id, period)",
            "LEFT JOIN defects_resolved dres USING (vendor_id, period)",
        ),
        figures=(
            count("defects_opened", "dop", rule=True),
            *per_level("defects_opened", "dop", DEFECT_SEVERITIES, rule_on=("critical",)),
            count("defect_units", "dop"),
            count("defects_resolved", "dres"),
            Figure(
                "defects_per_1k",
                "DOUBLE",
                "1000.0 * coalesce(dop.defects_opened, 0) / r.responses",
                rule=True,
                sla_target="sla_defects_per_1k_max",
            ),
            Figure(
                "defect_resolve_hours_mean", "DOUBLE", "dres.defect_resolve_hours_mean", rule=True
            ),
        ),
    ),
    evidence=(
        EvidenceSource(
            ("defect",),
            "defects",
            "defect_id, status, severity",
            "status = 'opened'",
            "occurred_at",
        ),
    ),
    charts=(
        ChartSpec(
            title="Defects per 1,000 responses",
            style="lines",
            series={"defects_per_1k": "defects per 1k"},
            y_title="per 1,000",
            sla=(("SLA max", "sla_defects_per_1k_max"),),
            rule_metrics=frozenset({"defects_per_1k"}),
            shaded_metrics=frozenset({"defects_per_1k"}),
        ),
    ),
    report=(
        ReportFigure("defects_per_1k", "Defects per 1k responses", "per_1k", "lower", "service"),
    ),
    simulator=Defects,
    simulator_source="qa-tool",
)
