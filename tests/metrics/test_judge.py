"""The vectorised judging (metrics.judge) against the plain loop it replaced: every row through
the state machine, skipping from ok only what stays ok. Random series under hypothesis, with
values on a grid so they sit on thresholds, gaps, small samples, tier and SLA changes, a
mid-series policy change, escalation, and states carried in from an earlier run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import slo
from metrics.hysteresis import BreachState, BreachStatus, Observation, Step, advance
from metrics.judge import Series, stays_ok
from metrics.policy import Policy, parse_policy
from metrics.policy_catalogue import SCORE_METRICS
from metrics.policy_history import PolicyTimeline
from metrics.rules import evaluate_rows
from tests.metrics.policy_texts import slo_text

DAY0 = date(2026, 1, 1)
_RULES = """
[weights]
quality = 1.0
security = 1.0
cost = 1.0

[rules.latency]
metric = "latency_p95_ms"
grain = "day"
direction = "above"
thresholds_from_sla = true
warn = 1.0
critical = 1.5
clear = {clear}
for_periods = {dwell}
clear_periods = 2
min_sample = 3
escalate_within_days = 5

[rules.latency.tiers.low]
for_periods = 1

[rules.success]
metric = "success_rate"
grain = "day"
direction = "below"
warn = 0.5
critical = 0.25
clear = 0.75
for_periods = 2
clear_periods = {clear_periods}
min_sample = 2

[rules.quality]
metric = "quality_score"
grain = "day"
direction = "below"
critical = 40.0
clear = 50.0
min_sample = 2

[rules.monthly_only]
metric = "latency_p95_ms"
grain = "month"
direction = "above"
warn = 1.0

""" + slo_text("budget", "success_rate", "sla", [(30, 6, 2.0, "warn"), (72, 24, 1.0, "critical")])


def _policy(label: str, clear: float, dwell: int, clear_periods: int) -> Policy:
    text = f'label = "{label}"\n' + _RULES.format(
        clear=clear, dwell=dwell, clear_periods=clear_periods
    )
    return parse_policy(text)


TIMELINE = PolicyTimeline(
    [0.0, datetime(2026, 1, 7, tzinfo=UTC).timestamp()],
    [_policy("before", 0.9, 2, 2), _policy("after", 1.0, 3, 1)],
)
GRID = st.one_of(st.none(), st.just(float("nan")), st.integers(0, 8).map(lambda v: v / 4))


@st.composite
def vendor_rows(draw: st.DrawFn, vendor: str) -> list[dict[str, Any]]:
    rows = []
    for offset in range(draw(st.integers(0, 14))):
        day = DAY0 + timedelta(days=offset)
        score = draw(st.one_of(st.none(), st.integers(3, 6).map(lambda v: Decimal(v * 10))))
        rows.append(
            {
                "vendor_id": vendor,
                "day": day,
                "period_end_epoch": datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
                + 86_400,
                "tier": draw(st.sampled_from(["high", "low", None])) if offset % 5 == 0 else None,
                "sla_latency_p95_ms": draw(st.sampled_from([1.0, 2.0, None])),
                "sla_success_rate_min": draw(st.sampled_from([0.5, 0.75, None])),
                "sla_defects_per_1k_max": None,
                "act_by": draw(st.sampled_from([None, day + timedelta(days=3), DAY0])),
                "responses": draw(st.integers(0, 5)),
                "responses_30d": draw(st.one_of(st.none(), st.integers(0, 5))),
                "latency_p95_ms": draw(GRID),
                "success_rate": draw(GRID),
                "quality_score": score,
            }
        )
    for index in range(1, len(rows)):  # terms hold for a while, as profiles do
        if draw(st.booleans()):
            for key in ("tier", "sla_latency_p95_ms", "sla_success_rate_min"):
                rows[index][key] = rows[index - 1][key]
    return rows


@st.composite
def series_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [row for vendor in ("v1", "v2", "v3") for row in draw(vendor_rows(vendor))]


STATES = st.sampled_from(
    [
        BreachStatus(),
        BreachStatus(BreachState.PENDING, None, 1, 0, DAY0 - timedelta(days=1)),
        BreachStatus(BreachState.FIRING, "warn", 2, 1, DAY0 - timedelta(days=1)),
        BreachStatus(BreachState.FIRING, "critical", 0, 0, DAY0 - timedelta(days=1)),
        BreachStatus(BreachState.RESOLVED, None, 0, 2, DAY0 - timedelta(days=1)),
    ]
)
KEYS = [
    (v, r)
    for v in ("v1", "v2", "v3")
    for r in ("latency", "success", "quality", "budget.30h/6h", "budget.72h/24h")
]


def _as_series(rows: list[dict[str, Any]]) -> Series:
    schema = pa.schema(
        [
            ("vendor_id", pa.string()),
            ("day", pa.date32()),
            ("period_end_epoch", pa.float64()),
            ("tier", pa.string()),
            ("sla_latency_p95_ms", pa.float64()),
            ("sla_success_rate_min", pa.float64()),
            ("sla_defects_per_1k_max", pa.float64()),
            ("act_by", pa.date32()),
            ("responses", pa.int64()),
            ("responses_30d", pa.int64()),
            ("latency_p95_ms", pa.float64()),
            ("success_rate", pa.float64()),
            ("quality_score", pa.decimal128(9, 2)),
        ]
    )
    return Series(pa.Table.from_pylist(rows, schema=schema))


def _reference_rules(
    rows: list[dict[str, Any]], starts: dict[tuple[str, str], BreachStatus]
) -> list[tuple[Any, ...]]:
    """The loop metrics.rules.evaluate_rows ran before it was vectorised (grain day)."""
    status, out = dict(starts), []
    for row in rows:
        policy = TIMELINE.at(row["period_end_epoch"])
        sla = {k: row[k] for k in ("sla_latency_p95_ms", "sla_success_rate_min")}
        for name, spec in policy.rules.items():
            rule = policy.effective_rule(
                name, vendor_id=row["vendor_id"], tier=row["tier"], sla=sla
            )
            if spec.grain != "day" or rule is None:
                continue
            key = (row["vendor_id"], name)
            current = status.get(key, BreachStatus())
            value = row.get(rule.metric)
            sample = row["responses_30d"] if rule.metric in SCORE_METRICS else row["responses"]
            observation = Observation(row["day"], None if value is None else float(value), sample)
            if current.state is BreachState.OK and stays_ok(rule, observation):
                continue
            step = advance(rule, current, observation)
            if step.severity is not None and row["act_by"] is not None:
                judged_on = datetime.fromtimestamp(row["period_end_epoch"], UTC).date()
                severity = rule.escalated(
                    step.severity, days_to_act_by=(row["act_by"] - judged_on).days
                )
                if severity != step.severity:
                    previous = status.get(key)
                    changed = (
                        previous is None
                        or previous.severity != severity
                        or previous.state != step.state
                    )
                    reason = f"{step.reason}; escalated to {severity}: the act-by date is near"
                    step = type(step)(
                        step.period, step.state, severity, step.value,
                        step.breaching_periods, step.clearing_periods, changed, reason,
                    )  # fmt: skip
            status[key] = step.status
            out.append((row["vendor_id"], row["day"], name, step, str(policy.version)))
    return out


def _figures(rows: list[dict[str, Any]], draw: Callable[[], int]) -> slo.WindowFigures:
    hours = [6, 24, 30, 72]
    counts: dict[int, Any] = {}
    for h in hours:
        responses = [draw() for _ in rows]
        failures = [min(r, draw()) for r in responses]
        counts[h] = (responses, failures, [0] * len(rows), [0] * len(rows))
    return slo.WindowFigures([r["vendor_id"] for r in rows], [r["day"] for r in rows], counts)


def _reference_slos(
    rows: list[dict[str, Any]],
    figures: slo.WindowFigures,
    starts: dict[tuple[str, str], BreachStatus],
) -> list[tuple[Any, ...]]:
    """The loop metrics.slo.evaluate_slos ran before it was vectorised."""
    status, out = dict(starts), []
    for index, row in enumerate(rows):
        policy = TIMELINE.at(row["period_end_epoch"])
        for name, spec in policy.slo.items():
            objective = spec.objective_for({"sla_success_rate_min": row["sla_success_rate_min"]})
            if objective is None:
                continue
            for window in spec.windows:
                label = window.rule_name(name)
                burns = []
                for h in (window.long_hours, window.short_hours):
                    responses, failures = figures.counts[h][0][index], figures.counts[h][1][index]
                    burns.append(None if responses == 0 else failures / responses / (1 - objective))
                value = None if None in burns else min(b for b in burns if b is not None)
                key = (row["vendor_id"], label)
                current = status.get(key, BreachStatus())
                if current.state == "ok" and (value is None or value <= window.burn_rate):
                    continue
                rule = evaluate_rule_for(policy, name, window)
                step = advance(rule, current, Observation(row["day"], value, None))
                status[key] = step.status
                out.append((row["vendor_id"], row["day"], label, step, str(policy.version)))
    return out


def evaluate_rule_for(policy: Policy, name: str, window: Any) -> Any:
    from metrics.slo import burn_window_rule

    return burn_window_rule(name, policy.slo[name].metric, window)


def _comparable(step: Step) -> tuple[Any, ...]:
    """The step's fields, a NaN value as a string (NaN never equals NaN)."""
    value = "nan" if step.value is not None and step.value != step.value else step.value
    return (*step[:3], value, *step[4:])


def _flat(judged: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (row["vendor_id"], row["day"], rule.name, _comparable(step), v)
        for row, rule, step, v in judged
    ]


def _flat_reference(steps: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [(*head, _comparable(step), v) for *head, step, v in steps]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(series_rows(), st.dictionaries(st.sampled_from(KEYS), STATES, max_size=6), st.data())
def test_vectorised_judging_equals_the_row_by_row_loop(
    rows: list[dict[str, Any]], starts: dict[tuple[str, str], BreachStatus], data: st.DataObject
) -> None:
    series = _as_series(rows)
    assert _flat(evaluate_rows(series, "day", TIMELINE, starts)) == _flat_reference(
        _reference_rules(rows, starts)
    )

    figures = _figures(rows, lambda: data.draw(st.integers(0, 4)))
    judged = slo.evaluate_slos(series, TIMELINE, figures, starts)
    assert _flat(judged) == _flat_reference(_reference_slos(rows, figures, starts))


def test_the_reference_sees_every_kind_of_step() -> None:
    """The generated series reach pending, firing, escalation and resolution (else the
    differential test above would prove little)."""
    rows = [
        {
            "vendor_id": "v1",
            "day": DAY0 + timedelta(days=i),
            "period_end_epoch": datetime(2026, 1, 2 + i, tzinfo=UTC).timestamp(),
            "tier": None,
            "sla_latency_p95_ms": 1.0,
            "sla_success_rate_min": 0.5,
            "sla_defects_per_1k_max": None,
            "act_by": DAY0 + timedelta(days=8),
            "responses": 5,
            "responses_30d": 5,
            "latency_p95_ms": value,
            "success_rate": 1.0,
            "quality_score": None,
        }
        for i, value in enumerate([0.5, 1.25, 1.25, 1.25, 2.0, 0.5, 0.5, 0.5, 1.25])
    ]
    steps = _reference_rules(rows, {})
    reasons = " | ".join(step.reason for *_, step, _ in steps)
    assert {str(step.state) for *_, step, _ in steps} == {"pending", "firing", "resolved", "ok"}
    assert "escalated to critical" in reasons
    assert _flat(evaluate_rows(_as_series(rows), "day", TIMELINE, {})) == _flat_reference(steps)
