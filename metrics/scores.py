"""Daily scores 0-100 per vendor: quality, security, cost, and the composite backsourcing score.

One row of ``vendor_scores`` per vendor and day of ``vendor_daily``, as of the end of that day
(or ``$as_of``), from trailing windows, so the score history can be replayed and backtested.
Formulas (docs/metrics.md has a worked example):

* ``ratio_score(r)`` maps "how far from the target" to points: r <= 0.5 → 100, r = 1 (exactly
  on target) → 70, r >= 2 → 0, linear in between. So 70 or more means the SLA is met.
* quality = mean of the available components, each ``ratio_score`` of the trailing 30 days
  against the profile's SLA in force at the day's end: latency (median of the daily p95 / the
  ``sla.latency_p95_ms``), reliability (error rate / the error budget ``1 - success_rate_min``),
  defects (``defects_per_1k`` / ``defects_per_1k_max``). It needs ``$min_responses`` responses
  in the window; fewer → NULL with status ``insufficient``; none → ``no_data``.
* security = 100 - (40 per critical, 10 per high, 4 per medium, 1 per low incident opened in
  the trailing 90 days, 25 per critical incident still open, 10 * log10(1 + records exposed in
  90 days)), floored at 0 — only for a vendor that is reporting (responses in the last 30
  days): silence is not safety.
* cost = mean of the available components over the last 3 invoiced months before the day's
  month: contract variance v % (v <= 0 → 100, 5 → 70, >= 20 → 0), run-rate vs the in-house
  ``monthly_cost`` in the same currency (r <= 0.8 → 100, 1 → 70, >= 1.5 → 0), and the cost
  trend over the 6 months before (significant Theil-Sen growth s %/month: s <= 0 → 100,
  2 → 70, >= 6 → 0; no significant trend → 100; fewer than 4 months → left out).
* backsourcing = sum(w_k * (100 - score_k)) / sum(w_k) over the available scores, weights from the
  policy in force at the day's end: high means a strong case to look at bringing the work
  back in-house.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from ingest.kinds import KINDS
from ingest.kinds.kind import QualityComponent
from metrics.cost_trends import COST_TRENDS_DDL, refresh_cost_trends
from metrics.policy import Policy
from metrics.quality import BUILT_IN, ratio_score


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of the composite backsourcing score and the policy version they come from."""

    quality: float
    security: float
    cost: float
    policy_version: str

    @classmethod
    def of(cls, policy: Policy) -> ScoreWeights:
        """The policy's normalised weights (they live in the policy file, nowhere else)."""
        return cls(**policy.normalised_weights(), policy_version=str(policy.version))


QUALITY_COMPONENTS: tuple[QualityComponent, ...] = tuple(c for k in KINDS for c in k.quality)
"""Quality components the registered kinds add to the built-in latency, reliability and
defect ones (each of those weighs 1)."""
_COMPONENT_COLUMNS = "".join(
    f"\n    {name} {sql_type}," for c in QUALITY_COMPONENTS for name, sql_type, _ in c.window
) + "".join(f"\n    {c.name}_score DOUBLE," for c in QUALITY_COMPONENTS)
_COMPONENT_WINDOWS = "".join(
    f"\n        {sql} AS {name}," for c in QUALITY_COMPONENTS for name, _, sql in c.window
)
_COMPONENT_SCORES = "".join(
    f"\n        CASE WHEN quality_status = 'ok' THEN {c.score} END AS {c.name}_score,"
    for c in QUALITY_COMPONENTS
)

_BUILT_IN_COLUMNS = "\n    ".join(
    [f"{c.ratio} DOUBLE," for c in BUILT_IN] + [f"{c.score} DOUBLE," for c in BUILT_IN]
)
_BUILT_IN_RATIOS = "\n        ".join(
    f"CASE WHEN quality_status = 'ok' THEN {c.ratio_sql} END AS {c.ratio}," for c in BUILT_IN
)
_BUILT_IN_SCORES = "\n        ".join(f"{ratio_score(c.ratio)} AS {c.score}," for c in BUILT_IN)

DDL: tuple[str, ...] = (
    COST_TRENDS_DDL,
    f"""CREATE TABLE IF NOT EXISTS vendor_scores (
    vendor_id VARCHAR NOT NULL,
    day DATE NOT NULL,
    policy_version VARCHAR NOT NULL,
    quality_status VARCHAR NOT NULL,
    responses_30d BIGINT NOT NULL,
    latency_p95_30d_ms DOUBLE,
    {_BUILT_IN_COLUMNS}{_COMPONENT_COLUMNS}
    quality_score DOUBLE,
    incidents_critical_90d BIGINT NOT NULL,
    incidents_high_90d BIGINT NOT NULL,
    incidents_medium_90d BIGINT NOT NULL,
    incidents_low_90d BIGINT NOT NULL,
    open_critical_incidents BIGINT NOT NULL,
    records_exposed_90d BIGINT NOT NULL,
    security_score DOUBLE,
    cost_months INTEGER NOT NULL,
    currency VARCHAR,
    run_rate DECIMAL(18,4),
    contracted_fee DECIMAL(18,4),
    variance_pct DOUBLE,
    inhouse_monthly_cost DECIMAL(18,4),
    inhouse_ratio DOUBLE,
    cost_trend_pct DOUBLE,
    cost_trend_p_value DOUBLE,
    variance_score DOUBLE,
    inhouse_score DOUBLE,
    cost_trend_score DOUBLE,
    cost_score DOUBLE,
    backsourcing_score DOUBLE
)""",
)

SCORE_TABLES = ("vendor_cost_trends", "vendor_scores")
_SCORE_COLUMNS = tuple(
    line.split()[0] for line in DDL[1].splitlines()[1:-1] if line.strip() and line[0] == " "
)


def _piecewise(x: str, points: tuple[tuple[float, float], ...]) -> str:
    """Linear interpolation through ``points`` ((x, score) ascending in x), flat outside."""
    (x0, y0), (_xn, yn) = points[0], points[-1]
    arms = [f"WHEN {x} <= {x0} THEN {y0}"]
    for (a, ya), (b, yb) in itertools.pairwise(points):
        arms.append(f"WHEN {x} <= {b} THEN {ya} + ({yb} - {ya}) * ({x} - {a}) / ({b} - {a})")
    return f"(CASE WHEN {x} IS NULL THEN NULL {' '.join(arms)} ELSE {yn} END)"


def _mean_of(*columns: str) -> str:
    present = " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in columns)
    total = " + ".join(f"coalesce({c}, 0)" for c in columns)
    return f"(({total}) / nullif({present}, 0))"


def _weighted_mean_of(weighted: Sequence[tuple[str, float]]) -> str:
    """The mean of the non-NULL ``columns``, each counted with its weight; ``_mean_of`` when
    every weight is 1."""
    if all(weight == 1 for _, weight in weighted):
        return _mean_of(*(column for column, _ in weighted))
    present = " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE {w!r} END)" for c, w in weighted)
    total = " + ".join(f"{w!r} * coalesce({c}, 0)" for c, w in weighted)
    return f"(({total}) / nullif({present}, 0))"


_QUALITY_MEAN = _weighted_mean_of(
    [(c.score, 1.0) for c in BUILT_IN] + [(f"{c.name}_score", c.weight) for c in QUALITY_COMPONENTS]
)


INSERT_SCORES = f"""
INSERT INTO vendor_scores BY NAME
WITH
windows AS (
    SELECT vendor_id, day,
        sum(responses) OVER w30 AS responses_30d,
        sum(failures) OVER w30 AS failures_30d,
        sum(defects_opened) OVER w30 AS defects_30d,
        median(latency_p95_ms) OVER w30 AS latency_p95_30d_ms,
        sum(incidents_opened_critical) OVER w90 AS incidents_critical_90d,
        sum(incidents_opened_high) OVER w90 AS incidents_high_90d,
        sum(incidents_opened_medium) OVER w90 AS incidents_medium_90d,
        sum(incidents_opened_low) OVER w90 AS incidents_low_90d,
        sum(records_exposed) OVER w90 AS records_exposed_90d,{_COMPONENT_WINDOWS}
        open_critical_incidents,
        least(timezone('UTC', CAST(day + 1 AS TIMESTAMP)), $as_of) AS cut_at
    FROM vendor_daily v
    WHERE EXISTS (  -- the days to score, and the 89 before them that their windows need
        SELECT 1 FROM _dirty d WHERE d.vendor_id = v.vendor_id
            AND v.day >= CAST(timezone('UTC', d.touched_at) AS DATE) - 89)
    -- vendor_daily has a row for every day (no gaps), so the 30 and 90 days up to a day are
    -- that many rows: ROWS frames, about twice as fast in DuckDB as the RANGE ones they equal
    WINDOW
        w30 AS (PARTITION BY vendor_id ORDER BY day ROWS BETWEEN 29 PRECEDING AND CURRENT ROW),
        w90 AS (PARTITION BY vendor_id ORDER BY day ROWS BETWEEN 89 PRECEDING AND CURRENT ROW)
),
scored_days AS (
    SELECT w.* FROM windows w JOIN _dirty d ON d.vendor_id = w.vendor_id
    WHERE w.day >= CAST(timezone('UTC', d.touched_at) AS DATE)
),
terms AS (
    SELECT s.vendor_id, s.day, p.contract_currency, p.sla_latency_p95_ms, p.sla_success_rate_min,
        p.sla_defects_per_1k_max, p.insourcing_monthly_cost, p.insourcing_currency
    FROM scored_days s LEFT JOIN profile_terms p ON p.vendor_id = s.vendor_id
        AND p.valid_from < s.cut_at AND p.valid_to >= s.cut_at
),
scored_months AS (  -- a day's cost figures depend only on its month: computed per month
    SELECT DISTINCT vendor_id, CAST(date_trunc('month', day) AS DATE) AS month FROM scored_days
),
invoiced_months AS (
    SELECT s.vendor_id, s.month AS scored_month, m.month, m.invoiced_amount, m.contracted_fee,
        m.currency
    FROM scored_months s JOIN vendor_monthly m ON m.vendor_id = s.vendor_id
        AND m.month < s.month
        AND m.month >= CAST(s.month - INTERVAL 6 MONTH AS DATE)
        AND m.cost_status = 'ok'
    QUALIFY row_number() OVER (PARTITION BY s.vendor_id, s.month ORDER BY m.month DESC) <= 3
),
costs AS (
    SELECT vendor_id, scored_month, count(*) AS cost_months, any_value(currency) AS currency,
        CAST(sum(invoiced_amount) / count(*) AS DECIMAL(18,4)) AS run_rate,
        CAST(sum(contracted_fee) / count(*) AS DECIMAL(18,4)) AS contracted_fee,
        100 * (sum(invoiced_amount) - sum(contracted_fee)) / nullif(sum(contracted_fee), 0)
            AS variance_pct
    FROM invoiced_months GROUP BY vendor_id, scored_month
    HAVING count(DISTINCT currency) = 1
),
inputs AS (
    SELECT s.*, t.sla_latency_p95_ms, t.sla_success_rate_min, t.sla_defects_per_1k_max,
        coalesce(c.cost_months, 0) AS cost_months, c.currency, c.run_rate, c.contracted_fee,
        c.variance_pct,
        CASE WHEN t.insourcing_currency = c.currency
            THEN t.insourcing_monthly_cost END AS inhouse_monthly_cost,
        ct.relative_slope_pct, ct.p_value AS cost_trend_p_value, ct.direction AS cost_trend,
        CASE WHEN s.responses_30d = 0 THEN 'no_data'
             WHEN s.responses_30d < $min_responses THEN 'insufficient'
             ELSE 'ok' END AS quality_status
    FROM scored_days s
    JOIN terms t USING (vendor_id, day)
    LEFT JOIN costs c ON c.vendor_id = s.vendor_id
        AND c.scored_month = CAST(date_trunc('month', s.day) AS DATE)
    LEFT JOIN vendor_cost_trends ct ON ct.vendor_id = s.vendor_id
        AND ct.month = CAST(date_trunc('month', s.day) AS DATE)
),
ratios AS (
    SELECT *,
        {_BUILT_IN_RATIOS}
        CAST(run_rate AS DOUBLE) / nullif(CAST(inhouse_monthly_cost AS DOUBLE), 0)
            AS inhouse_ratio,
        CASE WHEN cost_trend = 'insufficient' OR cost_trend IS NULL THEN NULL
             WHEN cost_trend = 'rising' THEN relative_slope_pct ELSE 0.0 END
            AS cost_trend_pct
    FROM inputs
),
components AS (
    SELECT *,
        {_BUILT_IN_SCORES}{_COMPONENT_SCORES}
        CASE WHEN responses_30d > 0 THEN greatest(0.0, 100
            - 40 * incidents_critical_90d - 10 * incidents_high_90d
            - 4 * incidents_medium_90d - incidents_low_90d
            - 25 * open_critical_incidents - 10 * log10(1 + records_exposed_90d)) END
            AS security_score,
        {_piecewise("variance_pct", ((0, 100), (5, 70), (20, 0)))} AS variance_score,
        {_piecewise("inhouse_ratio", ((0.8, 100), (1.0, 70), (1.5, 0)))} AS inhouse_score,
        {_piecewise("cost_trend_pct", ((0, 100), (2, 70), (6, 0)))} AS cost_trend_score
    FROM ratios
),
scores AS (
    SELECT *,
        {_QUALITY_MEAN} AS quality_score,
        {_mean_of("variance_score", "inhouse_score", "cost_trend_score")} AS cost_score
    FROM components
),
weighted AS (  -- the weights of the policy in force at the day's end
    SELECT s.*, w.w_quality, w.w_security, w.w_cost, w.policy_version
    FROM scores s ASOF JOIN _score_weights w ON s.cut_at > w.valid_from
),
composite AS (
    SELECT *,
        (coalesce(w_quality * (100 - quality_score), 0)
            + coalesce(w_security * (100 - security_score), 0)
            + coalesce(w_cost * (100 - cost_score), 0))
        / nullif(CASE WHEN quality_score IS NULL THEN 0 ELSE w_quality END
            + CASE WHEN security_score IS NULL THEN 0 ELSE w_security END
            + CASE WHEN cost_score IS NULL THEN 0 ELSE w_cost END, 0) AS backsourcing_raw
    FROM weighted
)
SELECT {", ".join(c for c in _SCORE_COLUMNS if c != "backsourcing_score")},
    -- a weighted mean of values in [0, 100]; the clamp only absorbs float rounding
    CASE WHEN backsourcing_raw IS NOT NULL THEN least(100.0, greatest(0.0, backsourcing_raw)) END
AS backsourcing_score
FROM composite
"""

DELETE_DIRTY_SCORES = """
DELETE FROM vendor_scores s USING _dirty d
WHERE s.vendor_id = d.vendor_id AND s.day >= CAST(timezone('UTC', d.touched_at) AS DATE)
"""


def compute_scores(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: datetime,
    weights: ScoreWeights | Sequence[tuple[datetime, ScoreWeights]],
    min_responses: int,
) -> None:
    """Recompute ``vendor_cost_trends`` and ``vendor_scores`` for the vendors in the temporary
    table ``_dirty(vendor_id, touched_at)``, days from ``touched_at`` on; the projections must
    be current. ``weights`` is one set for all time, or ``(in force from, weights)`` pairs in
    time order: each day is scored with the weights in force at its end, so a weight change
    never rewrites the scores of earlier days. Runs inside the caller's transaction."""
    timeline = (
        [(datetime(1970, 1, 1, tzinfo=UTC), weights)]
        if isinstance(weights, ScoreWeights)
        else weights
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _score_weights (valid_from TIMESTAMPTZ,
        w_quality DOUBLE, w_security DOUBLE, w_cost DOUBLE, policy_version VARCHAR)"""
    )
    con.executemany(
        "INSERT INTO _score_weights VALUES (?, ?, ?, ?, ?)",
        [[start, w.quality, w.security, w.cost, w.policy_version] for start, w in timeline],
    )
    refresh_cost_trends(con)
    con.execute(DELETE_DIRTY_SCORES)
    con.execute(INSERT_SCORES, {"as_of": as_of, "min_responses": min_responses})
