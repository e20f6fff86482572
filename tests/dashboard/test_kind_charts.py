"""The vendor page's charts come from the kinds' chart specs: each renders, the survey's too."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from dashboard import charts
from dashboard.charts import Threshold
from ingest.kinds import KINDS

SPECS = [spec for kind in KINDS for spec in kind.charts]


@pytest.mark.parametrize("spec", SPECS, ids=[s.title for s in SPECS])
def test_every_declared_chart_renders_its_series_with_thresholds(spec: object) -> None:
    assert hasattr(spec, "series")
    days = pd.date_range("2026-10-01", periods=3, tz="UTC")
    daily = pd.DataFrame({"day": days} | {column: [0.5, None, 0.9] for column in spec.series})  # type: ignore[attr-defined]
    line = [Threshold("warn", 0.75, "warn")]
    chart = charts.from_spec(spec, daily, thresholds=line, breaches=None)  # type: ignore[arg-type]
    text = json.dumps(chart.to_dict())
    for label in spec.series.values():  # type: ignore[attr-defined]
        assert label in text
    if spec.style == "lines":  # type: ignore[attr-defined]
        assert "warn 0.75" in text


def test_the_survey_chart_is_declared_as_a_share() -> None:
    (survey,) = [k for k in KINDS if k.type == "satisfaction_survey"]
    (spec,) = survey.charts
    assert dict(spec.series) == {"csat": "CSAT"}
    assert spec.y_format == ".0%"
    assert "csat" in spec.rule_metrics
