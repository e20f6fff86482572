"""``defect``: the lifecycle of a quality defect found in the vendor's work (QA tool).

Figures: defects opened (by severity, and the units they affect) in the period of their
opening, resolved ones and the mean time to resolve in the period of their resolution, and
``defects_per_1k`` = defects opened per 1,000 responses (the response_time kind's count).
"""

from __future__ import annotations

from typing import Annotated, Literal

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
from ingest.kinds.lifecycle import lifecycle_ctes

DEFECT_SEVERITIES = ("minor", "major", "critical")


class Defect(EventBase):
    """Lifecycle of a quality defect; ``defect_id`` is the lifecycle key."""

    type: Literal["defect"]
    defect_id: Text128
    status: Lifecycle
    severity: Literal["minor", "major", "critical"]
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
    simulator_source="qa-tool",
)
