"""``security_incident``: the lifecycle of a security incident at or caused by the vendor (SIEM).

Figures: incidents opened (by severity) in the period of their opening, resolved ones and the
mean time to resolve in the period of their resolution, ``open_critical_incidents`` (open at
the period's end, or at ``$as_of`` for the running period) and ``records_exposed`` (each
incident's largest reported figure, in the period of its first event).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt

from ingest.columns import bigint
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

INCIDENT_SEVERITIES = ("low", "medium", "high", "critical")


class SecurityIncident(EventBase):
    """Lifecycle of a security incident; ``incident_id`` is the lifecycle key."""

    type: Literal["security_incident"]
    incident_id: Text128
    status: Lifecycle
    severity: Literal["low", "medium", "high", "critical"]
    category: str | None = None
    records_exposed: Annotated[StrictInt, Field(ge=0)] = 0


def _ctes(g: PeriodGrain) -> str:
    lifecycles = lifecycle_ctes(
        g.of,
        "incident",
        "security_incidents",
        INCIDENT_SEVERITIES,
        ", max(records_exposed) AS records_exposed",
    )
    return f"""{lifecycles},
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
)"""


_SECURITY = frozenset({"open_critical_incidents", "security_score", "records_exposed"})

KIND = EventKind(
    model=SecurityIncident,
    column_types={"records_exposed": bigint},
    description="lifecycle of a security incident (SIEM)",
    metrics=MetricContribution(
        ctes=_ctes,
        joins=(
            "LEFT JOIN incidents_opened iop USING (vendor_id, period)",
            "LEFT JOIN incidents_resolved ires USING (vendor_id, period)",
            "LEFT JOIN exposure x USING (vendor_id, period)",
            "LEFT JOIN open_critical oc USING (vendor_id, period)",
        ),
        figures=(
            count("incidents_opened", "iop", rule=True),
            *per_level(
                "incidents_opened", "iop", INCIDENT_SEVERITIES, rule_on=("high", "critical")
            ),
            count("incidents_resolved", "ires"),
            count("open_critical_incidents", "oc", rule=True),
            Figure(
                "incident_resolve_hours_mean",
                "DOUBLE",
                "ires.incident_resolve_hours_mean",
                rule=True,
            ),
            count("records_exposed", "x", rule=True),
        ),
    ),
    evidence=(
        EvidenceSource(
            ("incident", "open_critical", "records_exposed"),
            "security_incidents",
            "incident_id, status, severity, records_exposed",
            "true",
            "occurred_at",
        ),
    ),
    charts=(
        ChartSpec(
            title="Security incidents opened",
            style="stacked_bars",
            series={f"incidents_opened_{level}": level for level in INCIDENT_SEVERITIES},
            y_title="incidents",
            shaded_metrics=_SECURITY,
        ),
    ),
    report=(
        ReportFigure(
            "incidents_opened", "Security incidents opened", "count", "lower", "events", True
        ),
        ReportFigure(
            "open_critical_incidents", "Open critical incidents", "count", "lower", "events"
        ),
        ReportFigure("records_exposed", "Records exposed", "count", "lower", "events", True),
    ),
    simulator_source="siem",
)
