"""``satisfaction_survey``: one customer-satisfaction response (helpdesk / survey tool).

Contract (docs/events.md): ``service`` (1-128), ``score`` an integer on ``scale`` ``"1-5"``
(the default: 1 to 5) or ``"0-10"`` (NPS style: 0 to 10), optional ``ticket_id`` (1-128) and
``comment`` (at most 4,000 characters). The comment is kept in the store and never logged:
no dead-letter reason, log line or alert evidence quotes it.

Figures per day and month: ``survey_responses``; ``satisfied_responses`` (4-5 on the 1-5
scale, 9-10 — the promoters — on the 0-10 scale); ``csat`` = satisfied / responses;
``survey_score_mean`` on the 1-5 scale (a 0-10 answer counts as 1 + 0.4 * score);
``nps_responses`` and ``nps`` = 100 * (promoters 9-10 - detractors 0-6) / 0-10 answers.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from random import Random
from typing import Annotated, Literal

from pydantic import StrictInt, StringConstraints, ValidationInfo, field_validator

from ingest.envelope import EventBase, Text128
from ingest.kinds.kind import (
    ChartSpec,
    EventKind,
    EvidenceSource,
    Figure,
    MetricContribution,
    PeriodGrain,
    QualityComponent,
    ReportFigure,
    count,
)
from ingest.kinds.simulation import SimulatedVendorView, SimulatorProcess

SCALES = {"1-5": (1, 5), "0-10": (0, 10)}
SATISFIED_FROM = {"1-5": 4, "0-10": 9}
"""The lowest score that counts as satisfied, per scale (``_SATISFIED`` in SQL)."""
MIN_SURVEYS_30D = 20
"""Fewer survey responses in the trailing 30 days: no satisfaction component that day."""


class SatisfactionSurvey(EventBase):
    """One customer's satisfaction answer about the vendor's service."""

    type: Literal["satisfaction_survey"]
    service: Text128
    scale: Literal["1-5", "0-10"] = "1-5"
    score: StrictInt
    ticket_id: Text128 | None = None
    comment: Annotated[str, StringConstraints(max_length=4000)] | None = None

    @field_validator("score")
    @classmethod
    def _on_scale(cls, score: int, info: ValidationInfo) -> int:
        scale = info.data.get("scale")
        if scale in SCALES:
            low, high = SCALES[scale]
            if not low <= score <= high:
                raise ValueError(f"must be an integer from {low} to {high} on scale {scale!r}")
        return score


_SATISFIED = (
    f"score >= CASE WHEN scale = '0-10' THEN {SATISFIED_FROM['0-10']}"
    f" ELSE {SATISFIED_FROM['1-5']} END"
)


def _ctes(g: PeriodGrain) -> str:
    return f"""surveys AS (
    SELECT s.vendor_id, {g.of("s.occurred_at")} AS period,
        count(*) AS survey_responses,
        count(*) FILTER (WHERE {_SATISFIED}) AS satisfied_responses,
        avg(CASE WHEN scale = '0-10' THEN 1 + 0.4 * score ELSE score END) AS survey_score_mean,
        count(*) FILTER (WHERE scale = '0-10') AS nps_responses,
        count(*) FILTER (WHERE scale = '0-10' AND score >= 9)
            - count(*) FILTER (WHERE scale = '0-10' AND score <= 6) AS nps_net
    FROM satisfaction_surveys s
    JOIN read_from d ON d.vendor_id = s.vendor_id AND s.occurred_at >= d.responses_from
    WHERE s.occurred_at < $as_of
    GROUP BY ALL
)"""


_CSAT_30D = "satisfied_30d / nullif(surveys_30d, 0)"
# csat over the trailing 30 days -> points: 0.5 or less -> 0, 0.8 -> 70, 0.9 or more -> 100
_SATISFACTION_SCORE = f"""(CASE WHEN surveys_30d < {MIN_SURVEYS_30D} THEN NULL
        WHEN {_CSAT_30D} >= 0.9 THEN 100.0
        WHEN {_CSAT_30D} >= 0.8 THEN 70 + 30 * ({_CSAT_30D} - 0.8) / 0.1
        WHEN {_CSAT_30D} >= 0.5 THEN 70 * ({_CSAT_30D} - 0.5) / 0.3
        ELSE 0.0 END)"""


def _explain(month: Mapping[str, object]) -> list[str]:
    responses = month.get("survey_responses") or 0
    if not responses:
        return ["customer satisfaction: no survey responses this month"]
    csat, mean, nps = (month.get(name) for name in ("csat", "survey_score_mean", "nps"))
    line = f"customer satisfaction: CSAT {_float(csat):.0%} of {responses} responses"
    if mean is not None:
        line += f", mean {_float(mean):.2f} of 5"
    if nps is not None:
        line += f", NPS {_float(nps):+.0f}"
    return [line]


def _float(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


SURVEY_RATE = 0.015
"""Survey answers per handled response (a helpdesk survey sees 1-2 % of its tickets)."""
_COMMENTS = (
    "quick and friendly",
    "solved on the first call",
    "took too long",
    "had to explain the problem twice",
    "never heard back",
)


def _answer(vendor: SimulatedVendorView, rng: Random, ts_ms: int, ident: str) -> dict[str, object]:
    """One answer: satisfied with p = 0.88, 0.62 while the vendor's scenario is in trouble;
    one vendor in three asks on 0-10; one answer in five has a comment."""
    scale = "0-10" if zlib.crc32(vendor.vendor_id.encode()) % 3 == 0 else "1-5"
    satisfied = rng.random() < (0.62 if vendor.trouble(ts_ms) else 0.88)
    if scale == "1-5":
        score = (5 if rng.random() < 0.6 else 4) if satisfied else rng.choice((1, 2, 3, 3))
    else:
        score = (10 if rng.random() < 0.5 else 9) if satisfied else rng.choice((3, 5, 6, 7, 8))
    payload: dict[str, object] = {
        "event_id": f"cs-{vendor.vendor_id}-{ident}",
        "service": vendor.service,
        "scale": scale,
        "score": score,
        "ticket_id": f"T-{ident}",
    }
    if rng.random() < 0.2:
        payload["comment"] = rng.choice(_COMMENTS)
    return payload


def _count(name: str, *, rule: bool = False) -> Figure:
    return count(name, "cs", rule=rule, sample="survey_responses")


KIND = EventKind(
    model=SatisfactionSurvey,
    description="one customer-satisfaction response (helpdesk / survey tool)",
    metrics=MetricContribution(
        ctes=_ctes,
        joins=("LEFT JOIN surveys cs USING (vendor_id, period)",),
        figures=(
            _count("survey_responses", rule=True),
            _count("satisfied_responses"),
            Figure(
                "csat",
                "DOUBLE",
                "cs.satisfied_responses / cs.survey_responses",
                rule=True,
                fraction=True,
                sample="survey_responses",
            ),
            Figure(
                "survey_score_mean",
                "DOUBLE",
                "cs.survey_score_mean",
                rule=True,
                sample="survey_responses",
            ),
            _count("nps_responses"),
            Figure(
                "nps",
                "DOUBLE",
                "100.0 * cs.nps_net / nullif(cs.nps_responses, 0)",
                rule=True,
                sample="nps_responses",
            ),
        ),
    ),
    evidence=(
        EvidenceSource(
            ("csat", "survey", "nps"),
            "satisfaction_surveys",
            "score, scale, ticket_id",  # never the comment
            f"NOT ({_SATISFIED})",
            "occurred_at",
        ),
    ),
    charts=(
        ChartSpec(
            title="Customer satisfaction (CSAT)",
            style="lines",
            series={"csat": "CSAT"},
            y_title="satisfied share",
            rule_metrics=frozenset({"csat"}),
            shaded_metrics=frozenset({"csat", "survey_score_mean", "nps"}),
            y_format=".0%",
        ),
    ),
    quality=(
        QualityComponent(
            name="satisfaction",
            weight=1.0,
            window=(
                ("surveys_30d", "BIGINT", "sum(survey_responses) OVER w30"),
                ("satisfied_30d", "BIGINT", "sum(satisfied_responses) OVER w30"),
            ),
            score=_SATISFACTION_SCORE,
        ),
    ),
    simulator=SimulatorProcess(SURVEY_RATE, _answer),
    simulator_source="survey-tool",
    report=(
        ReportFigure("survey_responses", "Survey responses", "count", None, "events", True),
        ReportFigure("csat", "Customer satisfaction (CSAT)", "fraction", "higher", "events"),
        ReportFigure("survey_score_mean", "Mean survey score (1-5)", "points", "higher", "events"),
    ),
    explain=_explain,
)
