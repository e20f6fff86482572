"""SLO burn-rate alerts: a failure burst burns the budget in both windows and fires; a steady
failure rate inside the budget never does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from ingest.records import Record
from ingest.store import EventStore
from metrics import slo
from metrics.job import MetricsJob
from metrics.policy import parse_policy
from tests.metrics.conftest import END as AS_OF_HISTORY
from tests.metrics.conftest import History
from tests.metrics.events import vendor_profile
from tests.metrics.policy_texts import WEIGHTS, slo_text
from vendorwatch.settings import MetricsSettings

START = datetime(2026, 4, 1, tzinfo=UTC)
AS_OF = datetime(2026, 4, 10, tzinfo=UTC)
BURST = (datetime(2026, 4, 7, 6, tzinfo=UTC), datetime(2026, 4, 8, 0, tzinfo=UTC))


def _profile() -> bytes:
    return orjson.dumps(
        vendor_profile(
            "acme",
            event_id="vp-1",
            occurred_at="2026-01-01T00:00:00Z",
            name="Acme",
            tier="high",
            contract=("2025-01-01", "2029-12-31", "1000.00"),
            sla={"latency_p95_ms": 1000, "success_rate_min": 0.995},
        )
    )


def _responses() -> list[bytes]:
    values, moment, n = [], START, 0
    while moment < AS_OF:
        n += 1
        in_burst = BURST[0] <= moment < BURST[1]
        failed = n % 10 == 0 if in_burst else n % 1000 == 0  # 10 % vs 0.1 % failures
        values.append(
            orjson.dumps(
                {
                    "type": "response_time",
                    "event_id": f"rt-{n}",
                    "vendor_id": "acme",
                    "occurred_at": moment.isoformat(),
                    "service": "helpdesk",
                    "latency_ms": 200.0,
                    "success": not failed,
                }
            )
        )
        moment += timedelta(minutes=2)
    return values


def test_a_failure_burst_fires_the_burn_rate_alert_and_then_it_resolves() -> None:
    records = [Record("vendor.registry", 0, 0, None, _profile())]
    records += [Record("vendor.response_times", 0, i, None, v) for i, v in enumerate(_responses())]
    store = EventStore(":memory:")
    History([records]).write(store)
    MetricsJob(store.connection, MetricsSettings()).run(AS_OF)

    steps = store.connection.execute(
        """SELECT rule, period, state, severity, value FROM rule_steps
        WHERE rule LIKE 'success_budget.%' ORDER BY rule, period"""
    ).fetchall()
    by_rule: dict[str, list[tuple[object, ...]]] = {}
    for rule, *rest in steps:
        by_rule.setdefault(rule, []).append(tuple(rest))
    fast = by_rule["success_budget.24h/2h"]
    assert fast[0][:3] == (BURST[0].date(), "firing", "warn")
    assert fast[0][3] > 3.0  # burning more than three times the allowed pace
    assert fast[1][:2] == (BURST[0].date() + timedelta(days=1), "resolved")
    assert all(period >= BURST[0].date() for period, *_ in fast)  # nothing before the burst

    alerts = store.connection.execute(
        "SELECT rule, state, evidence FROM alert_log WHERE rule = 'success_budget.24h/2h'"
    ).fetchall()
    assert [a[1] for a in alerts] == ["firing", "resolved"]
    evidence = orjson.loads(alerts[0][2])
    assert evidence["events"]["table"] == "response_times"
    assert all(not e["success"] for e in evidence["events"]["sample"])
    store.close()


# Window figures by a plain scan: for each judged day's end E and window H, count the
# responses in [E - H hours, E) (what the windows meant before they were summed from the
# daily projection plus a tail of hours).
_SCAN = """
SELECT v.vendor_id, v.day, w.hours, count(r.vendor_id),
    count(r.vendor_id) FILTER (WHERE NOT r.success),
    count(r.vendor_id) FILTER (WHERE p.sla_latency_p95_ms IS NOT NULL
        AND NOT (r.success AND r.latency_ms <= p.sla_latency_p95_ms)),
    count(p.sla_latency_p95_ms)
FROM vendor_daily v
JOIN _rule_dirty d ON d.vendor_id = v.vendor_id AND v.day >= d.from_day
CROSS JOIN (SELECT unnest(?) AS hours) w
LEFT JOIN response_times r ON r.vendor_id = v.vendor_id AND r.occurred_at < ?
    AND r.occurred_at >= timezone('UTC', CAST(v.day + 1 AS TIMESTAMP)) - to_hours(w.hours)
    AND r.occurred_at < timezone('UTC', CAST(v.day + 1 AS TIMESTAMP))
LEFT JOIN profile_terms p ON p.vendor_id = r.vendor_id
    AND r.occurred_at >= p.valid_from AND r.occurred_at < p.valid_to
WHERE v.complete
GROUP BY ALL ORDER BY ALL
"""
WINDOWS = (
    'label = "windows"\n'
    + WEIGHTS
    + slo_text("errors", "success_rate", 0.99, [(51, 5, 2.0, "warn")])
    + slo_text("latency", "sla_attainment", 0.9, [(24, 1, 2.0, "warn")])
)


def test_window_figures_equal_a_scan_of_the_responses(
    history: History, memory_store: EventStore
) -> None:
    """Whole days from vendor_daily plus a tail of hours count what a window covers, for
    windows of whole days, of part of a day and of both, and for latency targets."""
    policy = parse_policy(WINDOWS)
    history.write(memory_store)
    con = memory_store.connection
    MetricsJob(con, MetricsSettings(), policy=policy).rebuild(AS_OF_HISTORY)
    figures = slo.window_figures(con, [policy], AS_OF_HISTORY)
    hours = sorted(figures.counts)
    assert hours == [1, 5, 24, 51]
    summed = sorted(
        (vendor, day, h, *(column[index] for column in figures.counts[h]))
        for index, (vendor, day) in enumerate(zip(figures.vendor_ids, figures.days, strict=True))
        for h in hours
    )
    scanned = con.execute(_SCAN, [hours, AS_OF_HISTORY]).fetchall()
    assert len(summed) == len(scanned) > 100
    assert summed == [tuple(row) for row in scanned]
    assert any(row[4] > 0 for row in scanned)  # failures
    assert any(row[5] > 0 for row in scanned)  # responses outside the latency target
