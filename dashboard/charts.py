"""Altair charts of the Vendor page: time series with threshold lines and breach periods shaded.

Contract: x values are UTC instants (``TIMESTAMPTZ`` from :mod:`dashboard.data`) drawn on a UTC
time scale, so a day is the same day in every browser; a missing figure is a gap in the line,
never a zero; breaches are [start, end) bands coloured by their worst severity; money is drawn
from ``Decimal`` converted only for the geometry, the tooltip shows the exact amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import altair as alt
import pandas as pd

from dashboard.format import money
from ingest.kinds.kind import ChartSpec

ThresholdKind = Literal["SLA", "warn", "critical"]
_THRESHOLD_COLORS: dict[ThresholdKind, str] = {
    "SLA": "#1f77b4",
    "warn": "#ff9f1c",
    "critical": "#d62728",
}
_BREACH_SCALE = alt.Scale(domain=["warn", "critical"], range=["#ffbf69", "#ff6b6b"])
HEIGHT = 240


@dataclass(frozen=True)
class Threshold:
    """A horizontal line: an SLA target or a rule's warn / critical level."""

    label: str
    value: float
    kind: ThresholdKind


def _layered(layers: list[alt.Chart]) -> alt.LayerChart:
    chart: alt.LayerChart = alt.layer(*layers).resolve_scale(color="independent")
    return chart.properties(height=HEIGHT)


def _time_axis(field: str) -> alt.X:
    return alt.X(
        f"{field}:T", title=None, scale=alt.Scale(type="utc"), axis=alt.Axis(format="%b %d")
    )


def _threshold_layers(thresholds: list[Threshold]) -> list[alt.Chart]:
    layers: list[alt.Chart] = []
    for threshold in thresholds:
        color = _THRESHOLD_COLORS[threshold.kind]
        label = f"{threshold.label} {threshold.value:g}"
        base = alt.Chart(pd.DataFrame({"value": [threshold.value], "label": [label]}))
        layers.append(
            base.mark_rule(color=color, strokeDash=[6, 3]).encode(
                y=alt.Y("value:Q"), tooltip=alt.Tooltip("label:N")
            )
        )
        layers.append(
            base.mark_text(color=color, align="left", x=4, dy=-6, fontSize=11).encode(
                y=alt.Y("value:Q"), text=alt.Text("label:N")
            )
        )
    return layers


def _breach_layer(breaches: pd.DataFrame | None) -> list[alt.Chart]:
    if breaches is None or breaches.empty:
        return []
    return [
        alt.Chart(breaches)
        .mark_rect(opacity=0.25, clip=True)
        .encode(
            x=_time_axis("start"),
            x2=alt.X2("end:T"),
            color=alt.Color("severity:N", scale=_BREACH_SCALE, title="breach"),
            tooltip=[
                alt.Tooltip("rule:N"),
                alt.Tooltip("severity:N"),
                alt.Tooltip("start:T", format="%Y-%m-%d", title="from"),
                alt.Tooltip("end:T", format="%Y-%m-%d", title="until"),
            ],
        )
    ]


def time_series(
    frame: pd.DataFrame,
    *,
    x: str,
    series: dict[str, str],
    y_title: str,
    thresholds: list[Threshold] | None = None,
    breaches: pd.DataFrame | None = None,
    y_format: str = ",.4~g",
) -> alt.LayerChart:
    """Lines of ``series`` (column -> legend label) over ``x``, with threshold lines and breach
    bands behind them."""
    long = frame.melt(id_vars=[x], value_vars=list(series), var_name="series", value_name="value")
    long["series"] = long["series"].map(series)
    lines = (
        alt.Chart(long)
        .mark_line(point=alt.OverlayMarkDef(size=12))
        .encode(
            x=_time_axis(x),
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=y_format)),
            color=alt.Color("series:N", title=None, sort=list(series.values())),
            tooltip=[
                alt.Tooltip(f"{x}:T", format="%Y-%m-%d", title="UTC"),
                alt.Tooltip("series:N"),
                alt.Tooltip("value:Q", format=y_format),
            ],
        )
    )
    layers = [*_breach_layer(breaches), lines, *_threshold_layers(thresholds or [])]
    return _layered(layers)


def stacked_bars(
    frame: pd.DataFrame,
    *,
    x: str,
    series: dict[str, str],
    y_title: str,
    breaches: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """Daily counts of ``series`` stacked (e.g. incidents by severity), breach bands behind."""
    long = frame.melt(id_vars=[x], value_vars=list(series), var_name="series", value_name="count")
    long["series"] = long["series"].map(series)
    long = long[long["count"] > 0]
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=_time_axis(x),
            y=alt.Y("sum(count):Q", title=y_title),
            color=alt.Color("series:N", title=None, sort=list(series.values())),
            tooltip=[
                alt.Tooltip(f"{x}:T", format="%Y-%m-%d"),
                alt.Tooltip("series:N"),
                alt.Tooltip("count:Q"),
            ],
        )
    )
    layers = [*_breach_layer(breaches), bars]
    return _layered(layers)


def from_spec(
    spec: ChartSpec,
    daily: pd.DataFrame,
    *,
    thresholds: list[Threshold],
    breaches: pd.DataFrame | None,
) -> alt.LayerChart:
    """The chart a kind declares (:class:`ingest.kinds.kind.ChartSpec`) over ``daily`` (its
    ``day`` column): lines with ``thresholds``, or stacked bars; ``breaches`` shaded."""
    series = dict(spec.series)
    if spec.style == "stacked_bars":
        return stacked_bars(daily, x="day", series=series, y_title=spec.y_title, breaches=breaches)
    return time_series(
        daily,
        x="day",
        series=series,
        y_title=spec.y_title,
        thresholds=thresholds,
        breaches=breaches,
        **({"y_format": spec.y_format} if spec.y_format else {}),
    )


def monthly_costs(
    costs: pd.DataFrame, series: dict[str, str], breaches: pd.DataFrame | None = None
) -> alt.LayerChart:
    """Monthly money lines (vendor cost, contract fee, in-house estimate); the tooltip shows
    the exact ``Decimal`` amount in the contract currency."""
    long = costs.melt(
        id_vars=["month", "currency"],
        value_vars=list(series),
        var_name="series",
        value_name="amount",
    )
    long["series"] = long["series"].map(series)
    long["exact"] = [money(a, c) for a, c in zip(long["amount"], long["currency"], strict=True)]
    long["value"] = [None if a is None or pd.isna(a) else float(a) for a in long["amount"]]
    long = long.drop(columns=["amount"])
    lines = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "month:T",
                title=None,
                scale=alt.Scale(type="utc"),
                axis=alt.Axis(format="%b %Y", tickCount="month"),
            ),
            y=alt.Y("value:Q", title="per month", axis=alt.Axis(format=",.0f")),
            color=alt.Color("series:N", title=None, sort=list(series.values())),
            tooltip=[
                alt.Tooltip("month:T", format="%Y-%m", title="month"),
                alt.Tooltip("series:N"),
                alt.Tooltip("exact:N", title="amount"),
            ],
        )
    )
    layers = [*_breach_layer(breaches), lines]
    return _layered(layers)


def cumulative_costs(
    frame: pd.DataFrame, *, currency: str | None, break_even: int | None
) -> alt.LayerChart:
    """Cumulative cost per month from the in-house start, vendor vs in-house (``frame`` as
    :class:`dashboard.data_reviews.CostPaths` has it), the break-even month marked by a
    vertical rule when it falls inside the chart; the tooltip shows the exact amounts."""
    long = frame.melt(
        id_vars=["month", "starts"], value_vars=["vendor", "in_house"], var_name="path"
    )
    long["path"] = long["path"].map({"vendor": "stay with the vendor", "in_house": "in-house"})
    long["exact"] = [money(v, currency) for v in long["value"]]
    long["value"] = [float(v) for v in long["value"]]
    long["starts"] = [m.strftime("%Y-%m") for m in long["starts"]]
    lines = (
        alt.Chart(long)
        .mark_line(point=alt.OverlayMarkDef(size=14))
        .encode(
            x=alt.X("month:Q", title="months from the in-house start", scale=alt.Scale(nice=False)),
            y=alt.Y(
                "value:Q",
                title=f"cumulative cost ({currency or '?'})",
                axis=alt.Axis(format=",.0f"),
            ),
            color=alt.Color("path:N", title=None),
            tooltip=[
                alt.Tooltip("month:Q", title="month"),
                alt.Tooltip("starts:N", title="calendar month"),
                alt.Tooltip("path:N"),
                alt.Tooltip("exact:N", title="cumulative"),
            ],
        )
    )
    layers: list[alt.Chart] = [lines]
    if break_even is not None and break_even <= int(frame["month"].max()):
        mark = pd.DataFrame({"month": [break_even], "label": [f"break-even: month {break_even}"]})
        base = alt.Chart(mark)
        layers.append(
            base.mark_rule(color="#2ca02c", strokeDash=[6, 3], size=2).encode(
                x="month:Q", tooltip=alt.Tooltip("label:N")
            )
        )
        layers.append(
            base.mark_text(color="#2ca02c", align="left", dx=4, y=8, fontSize=11).encode(
                x="month:Q", text="label:N"
            )
        )
    return _layered(layers)
