"""Metrics benchmark: ``rebuild`` vs a bare DuckDB GROUP BY over the same rows, same run.

The event store is filled directly with SQL (the ingest benchmark measures ingest): N response
events over V vendors and D days, in arrival order, each vendor with a profile, a defect and
an incident lifecycle per week and a monthly invoice. Then, in the same process and file:

* baseline: ``GROUP BY vendor_id, day`` with ``quantile_cont`` for p50/p95/p99, materialised;
* ``rebuild``: every projection from scratch (daily and monthly, all figures); after a first
  rebuild that records the alert evidence, baseline and rebuild alternate for ``ROUNDS``
  rounds, and each side's fastest round counts;
* incremental: 10,000 new events arrive (the last hour, every vendor), then one ``run``.

Targets (issue #3): rebuild / baseline <= 3; the incremental cycle <= 1 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from ingest.store import EventStore
from metrics.job import MetricsJob
from vendorwatch.settings import MetricsSettings

RATIO_TARGET = 3.0
ROUNDS = 3
"""Baseline-then-rebuild rounds; each side's figure is its fastest round."""
INCREMENTAL_TARGET_S = 1.0
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)

_PROVENANCE = "$start AS ingested_at, '{}' AS raw, 1 AS schema_version, 'bench' AS source"

_FILL_RESPONSES = f"""
INSERT INTO response_times BY NAME
SELECT 'rt-' || i AS event_id, 'vendor-' || (i % $vendors) AS vendor_id,
    $start + to_microseconds((i - $first) * $step_us) AS occurred_at,
    'helpdesk' AS service,
    round(exp(5.5 + 0.6 * sqrt(-2 * ln(random() + 1e-12)) * cos(6.283185 * random())), 1)
        AS latency_ms,
    random() > 0.004 AS success,
    'bench.response_times' AS topic, CAST(i % 3 AS INTEGER) AS "partition", i // 3 AS "offset",
    {_PROVENANCE}
FROM range($first, $first + $count) t(i)
"""

_FILL_PROFILES = f"""
INSERT INTO vendor_profiles BY NAME
SELECT 'vp-' || v AS event_id, 'vendor-' || v AS vendor_id,
    $start - INTERVAL 30 DAY AS occurred_at, 'Vendor ' || v AS name, 'helpdesk' AS service,
    'high' AS tier, DATE '2025-01-01' AS contract_start_date,
    DATE '2028-12-31' AS contract_end_date, 90 AS notice_period_days, 45000.00 AS monthly_fee,
    'EUR' AS contract_currency, 60000.00 AS termination_fee, true AS auto_renew,
    1500 AS sla_latency_p95_ms, 0.995 AS sla_success_rate_min, 2.0 AS sla_defects_per_1k_max,
    5 AS sla_service_credit_pct, 41000.00 AS insourcing_monthly_cost,
    150000.00 AS insourcing_one_time_cost, 120 AS insourcing_lead_time_days,
    'EUR' AS insourcing_currency, 'bench.registry' AS topic, 0 AS "partition", v AS "offset",
    {_PROVENANCE}
FROM range($vendors) t(v)
"""

_FILL_LIFECYCLES = """
INSERT INTO {table} BY NAME
SELECT '{prefix}-' || v || '-' || w || '-' || s AS event_id, 'vendor-' || v AS vendor_id,
    $start + to_microseconds((w * 7 * 24 + s * 30) * 3600000000) AS occurred_at,
    '{prefix}-' || v || '-' || w AS {key}, CASE s WHEN 0 THEN 'opened' ELSE 'resolved' END
        AS status, {severity},
    'bench.{table}' AS topic, 0 AS "partition", v * 1000 + w * 2 + s AS "offset", {extra}
FROM range($vendors) a(v), range($weeks) b(w), range(2) c(s)
"""

_FILL_INVOICES = f"""
INSERT INTO cost_invoices BY NAME
SELECT 'inv-' || v || '-' || m AS event_id, 'vendor-' || v AS vendor_id,
    CAST(date_trunc('month', $start) + to_months(m + 1) AS TIMESTAMPTZ) AS occurred_at,
    'I-' || v || '-' || m AS invoice_id,
    CAST(date_trunc('month', $start) + to_months(m) AS DATE) AS period_start,
    CAST(date_trunc('month', $start) + to_months(m + 1) - INTERVAL 1 DAY AS DATE) AS period_end,
    45000.00 + v AS amount, 'EUR' AS currency, 10000 AS units,
    'bench.cost_invoices' AS topic, 0 AS "partition", v * 100 + m AS "offset", {_PROVENANCE}
FROM range($vendors) a(v), range($months) b(m)
"""

_BASELINE = """
CREATE OR REPLACE TABLE baseline AS
SELECT vendor_id, CAST(timezone('UTC', occurred_at) AS DATE) AS day, count(*) AS responses,
    quantile_cont(latency_ms, [0.5, 0.95, 0.99]) AS q
FROM response_times GROUP BY vendor_id, day
"""


@dataclass
class MetricsFigures:
    events: int
    vendors: int
    baseline_s: float
    rebuild_s: float
    incremental_s: float
    first_rebuild_s: float
    transitions: int
    rebuild_stages: tuple[tuple[str, float], ...] = ()
    incremental_stages: tuple[tuple[str, float], ...] = ()

    @property
    def ratio(self) -> float:
        return self.rebuild_s / self.baseline_s

    @property
    def verdict(self) -> str:
        meets = self.ratio <= RATIO_TARGET and self.incremental_s <= INCREMENTAL_TARGET_S
        return (
            f"metrics: {self.events:,} responses / {self.vendors} vendors: baseline GROUP BY "
            f"{self.baseline_s:.2f} s, rebuild {self.rebuild_s:.2f} s, ratio {self.ratio:.2f} "
            f"(target <= {RATIO_TARGET}); incremental cycle after 10,000 events "
            f"{self.incremental_s:.2f} s (target <= {INCREMENTAL_TARGET_S}) -> "
            f"{'PASS' if meets else 'MISS'}; the first rebuild, which also writes the evidence "
            f"of {self.transitions:,} alert transitions, took {self.first_rebuild_s:.2f} s"
        )

    def details(self) -> str:
        """Where the time of the best rebuild and of the incremental cycle went, by stage."""
        return "\n".join(
            f"  {label} by stage: "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in stages)
            for label, stages in (
                ("rebuild", self.rebuild_stages),
                ("incremental", self.incremental_stages),
            )
        )


T = TypeVar("T")


def _best_run(runs: int, action: Callable[[], T]) -> tuple[float, T]:
    """The fastest of ``runs`` runs: its wall time and its outcome (with its stages)."""
    best: tuple[float, T] | None = None
    for _ in range(runs):
        started = time.perf_counter()
        outcome = action()
        elapsed = time.perf_counter() - started
        if best is None or elapsed < best[0]:
            best = (elapsed, outcome)
    assert best is not None
    return best


def _best_of(runs: int, action: Callable[[], object]) -> float:
    return _best_run(runs, action)[0]


def run(
    workdir: Path, events: int = 10_000_000, vendors: int = 200, days: int = 180
) -> MetricsFigures:
    start = AS_OF - timedelta(days=days, hours=1)
    step_us = int(days * 86_400_000_000 / events)
    store = EventStore(workdir / "metrics-bench.duckdb")
    con = store.connection
    try:
        common = {"start": start, "vendors": vendors}
        con.execute(_FILL_RESPONSES, common | {"step_us": step_us, "first": 0, "count": events})
        con.execute(_FILL_PROFILES, common)
        for table, prefix, key, severity in (
            ("defects", "df", "defect_id", "'major' AS severity, 1 AS units_affected"),
            (
                "security_incidents",
                "si",
                "incident_id",
                "CASE WHEN w % 5 = 0 THEN 'critical' ELSE 'low' END AS severity, "
                "10 * v AS records_exposed",
            ),
        ):
            sql = _FILL_LIFECYCLES.format(
                table=table, prefix=prefix, key=key, severity=severity, extra=_PROVENANCE
            )
            con.execute(sql, common | {"weeks": days // 7})
        con.execute(_FILL_INVOICES, common | {"months": days // 31})
        con.execute("CHECKPOINT")
        job = MetricsJob(con, MetricsSettings())
        # The first rebuild records every transition in alert_log with its evidence (once:
        # alert ids are stable); later rebuilds recompute the same figures and find them known.
        first_rebuild = _best_of(1, lambda: job.rebuild(AS_OF))
        transitions = int(con.execute("SELECT count(*) FROM alert_log").fetchall()[0][0])
        # Baseline and rebuild alternate, so a slow spell of a shared machine meets both.
        rounds = [
            (_best_of(1, lambda: con.execute(_BASELINE)), _best_run(1, lambda: job.rebuild(AS_OF)))
            for _ in range(ROUNDS)
        ]
        baseline = min(b for b, _ in rounds)
        rebuild, rebuilt = min((r for _, r in rounds), key=lambda r: r[0])
        late_start = AS_OF - timedelta(minutes=59)
        con.execute(
            _FILL_RESPONSES,
            {"start": late_start, "vendors": vendors, "step_us": 300_000}
            | {"first": events, "count": 10_000},
        )
        incremental, cycle = _best_run(1, lambda: job.run(AS_OF + timedelta(minutes=1)))
    finally:
        store.close()
    return MetricsFigures(
        events,
        vendors,
        baseline,
        rebuild,
        incremental,
        first_rebuild,
        transitions,
        rebuilt.stages,
        cycle.stages,
    )
