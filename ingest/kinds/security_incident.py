"""``security_incident``: the lifecycle of a security incident at or caused by the vendor (SIEM).

Figures: incidents opened (by severity) in the period of their opening, resolved ones and the
mean time to resolve in the period of their resolution, ``open_critical_incidents`` (open at
the period's end, or at ``$as_of`` for the running period) and ``records_exposed`` (each
incident's largest reported figure, in the period of its first event).
"""

from __future__ import annotations

import math
import random
from typing import Annotated, Literal, get_args

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
from ingest.kinds.lifecycle import LifecycleProcess, lifecycle_ctes
from ingest.kinds.simulation import DAY_MS, HOUR_MS, Payload, Row, day_tag, poisson

IncidentSeverity = Literal["low", "medium", "high", "critical"]
INCIDENT_SEVERITIES: tuple[str, ...] = get_args(IncidentSeverity)
"""The severity levels, least severe first (the order of ranks and charts)."""


class SecurityIncident(EventBase):
    """Lifecycle of a security incident; ``incident_id`` is the lifecycle key."""

    type: Literal["security_incident"]
    incident_id: Text128
    status: Lifecycle
    severity: IncidentSeverity
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

INCIDENT_TTR_HOURS = {"low": 120.0, "medium": 72.0, "high": 24.0, "critical": 10.0}
"""Median hours to resolve, by severity (a data breach: 240)."""
# Background incidents, outside a burst: never critical, so a "healthy" vendor stays healthy;
# critical ones come with a scenario's burst.
INCIDENT_SEVERITY_WEIGHTS = (57, 33, 10, 0)
INCIDENT_CATEGORIES = ("vulnerability", "access_violation", "phishing", "misconfiguration")


class Incidents(LifecycleProcess):
    """Background incidents at the preset's ``incidents_per_day`` at any hour; a scenario
    with a burst has one at its onset and three times the background rate after it."""

    tag = "si"

    def begin(self, start_ms: int) -> None:
        vendor = self.context.vendor
        if vendor.preset.incident_burst and vendor.onset_ms is not None:
            self._burst(vendor.onset_ms)
        super().begin(start_ms)

    def open_day(self, rng: random.Random, day: int, tag: str) -> None:
        vendor = self.context.vendor
        peak = 3.0 if vendor.preset.incident_burst else 1.0
        for n in range(poisson(rng, vendor.preset.incidents_per_day * peak)):
            ts_ms = day * DAY_MS + int(rng.random() * DAY_MS)
            severity = rng.choices(INCIDENT_SEVERITIES, INCIDENT_SEVERITY_WEIGHTS)[0]
            category = rng.choice(INCIDENT_CATEGORIES)
            if rng.random() * peak < vendor.incident_factor(ts_ms):
                self._open_incident(rng, ts_ms, f"{tag}-{n}", severity, category)

    def _burst(self, onset_ms: int) -> None:
        """7-11 incidents within 60 h of the onset: the first (high) at the onset itself, one
        critical data breach with records exposed, the rest medium to critical."""
        rng, tag = self.context.rng("burst", onset_ms), day_tag(onset_ms // DAY_MS)
        count = rng.randint(7, 11)
        offsets = sorted([0] + [int(rng.uniform(0.5, 60) * HOUR_MS) for _ in range(count - 1)])
        breach = rng.randrange(1, count)
        for n, offset in enumerate(offsets):
            severity = rng.choices(("medium", "high", "critical"), (30, 45, 25))[0]
            category = rng.choice(("access_violation", "malware", "vulnerability", "phishing"))
            if n == 0:
                severity = "high"
            if n == breach:
                severity, category = "critical", "data_breach"
            records = rng.randint(2_000, 250_000) if n == breach else 0
            self._open_incident(rng, onset_ms + offset, f"{tag}-B{n}", severity, category, records)

    def _open_incident(
        self,
        rng: random.Random,
        ts_ms: int,
        ident: str,
        severity: str,
        category: str,
        records_exposed: int = 0,
    ) -> None:
        median_h = 240.0 if category == "data_breach" else INCIDENT_TTR_HOURS[severity]
        ttr_ms = rng.lognormvariate(math.log(median_h), 0.9) * HOUR_MS
        fields: Payload = {
            "incident_id": f"{self.context.vendor.code}-INC-{ident}",
            "severity": severity,
            "category": category,
            "records_exposed": records_exposed,
        }
        self.open(ident, ts_ms, ttr_ms, fields)

    def live_rate(self, now_ms: int) -> float | None:
        vendor, context = self.context.vendor, self.context
        rate = vendor.preset.incidents_per_day * vendor.incident_factor(now_ms)
        return rate / max(context.events_per_day, 1.0)

    def live(self, rng: random.Random, now_ms: int, ident: str) -> Row | None:
        severity = rng.choices(INCIDENT_SEVERITIES, INCIDENT_SEVERITY_WEIGHTS)[0]
        self._open_incident(rng, now_ms, ident, severity, rng.choice(INCIDENT_CATEGORIES))
        return None


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
            "open_critical_incidents",
            "Open critical incidents",
            "count",
            "lower",
            "events",
            headline=False,
        ),
        ReportFigure(
            "records_exposed", "Records exposed", "count", "lower", "events", True, headline=False
        ),
    ),
    simulator=Incidents,
    simulator_source="siem",
)
