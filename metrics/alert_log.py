"""Recording rule transitions in ``alert_log``, each with its evidence.

Contract of :func:`record_transitions`: every judged step that changed into ``firing`` (or a
new severity while firing) or ``resolved`` is appended once — its :func:`alert_id` is
deterministic, so a replay or rebuild that judges it again adds nothing — with the
thresholds and policy version that produced it and its evidence
(:class:`~metrics.evidence_model.Evidence`, stored as JSON), whose run-up includes the steps
earlier runs stored in ``rule_steps``. Returns how many transitions it recorded.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime

import duckdb

from metrics.evidence import evidence_for
from metrics.hysteresis import BreachState, Step
from metrics.judge import Judged


def _run_ups(
    con: duckdb.DuckDBPyConnection, grain: str, firsts: dict[tuple[str, str], date], n: int
) -> dict[tuple[str, str], list[Step]]:
    """Per (vendor, rule), the last ``n`` stored steps before ``firsts[key]`` (the first period
    this run judged), in one query: an incremental run judges only the periods from the first
    one touched, but a transition's evidence shows the whole run-up."""
    keys = list(firsts)
    rows = con.execute(
        """WITH wanted AS (
            SELECT unnest(?) AS vendor_id, unnest(?) AS rule, unnest(?) AS before)
        SELECT r.vendor_id, r.rule, r.period, r.state, r.severity, r.value,
            r.breaching_periods, r.clearing_periods, r.changed, r.reason
        FROM rule_steps r JOIN wanted w USING (vendor_id, rule)
        WHERE r.grain = ? AND r.period < w.before
        QUALIFY row_number() OVER (PARTITION BY r.vendor_id, r.rule ORDER BY r.period DESC) <= ?
        ORDER BY r.vendor_id, r.rule, r.period""",
        [[k[0] for k in keys], [k[1] for k in keys], [firsts[k] for k in keys], grain, n],
    ).fetchall()
    found: dict[tuple[str, str], list[Step]] = defaultdict(list)
    for vendor, rule, period, state, severity, value, breaching, clearing, changed, why in rows:
        step = Step(period, BreachState(state), severity, value, breaching, clearing, changed, why)
        found[(vendor, rule)].append(step)
    return found


def alert_id(vendor_id: str, rule: str, period: date, state: str, severity: str | None) -> str:
    """A transition's identity: the same transition is recorded once, however often replayed."""
    key = f"{vendor_id}|{rule}|{period.isoformat()}|{state}|{severity or ''}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def record_transitions(
    con: duckdb.DuckDBPyConnection, results: list[Judged], grain: str, recorded_at: datetime
) -> int:
    candidates = [
        (row, rule, step, version)
        for row, rule, step, version in results
        if step.changed and step.state in (BreachState.FIRING, BreachState.RESOLVED)
    ]
    if not candidates:
        return 0
    ids = [
        alert_id(r["vendor_id"], rule.name, s.period, s.state.value, s.severity)
        for r, rule, s, _ in candidates
    ]
    known = {
        row[0]
        for row in con.execute(
            "SELECT alert_id FROM alert_log WHERE alert_id IN (SELECT unnest(?))", [ids]
        ).fetchall()
    }
    history: dict[tuple[str, str], list[Step]] = defaultdict(list)
    for row, rule, step, _ in results:
        history[(row["vendor_id"], rule.name)].append(step)
    fresh = [(i, c) for i, c in zip(ids, candidates, strict=True) if i not in known]
    if not fresh:
        return 0
    firsts = {
        (r["vendor_id"], rule.name): history[(r["vendor_id"], rule.name)][0].period
        for _, (r, rule, _, _) in fresh
    }
    window = max(max(rule.for_periods, rule.clear_periods) + 2 for _, (_, rule, _, _) in fresh)
    run_ups = _run_ups(con, grain, firsts, window)
    entries = []
    for identity, (row, rule, step, version) in fresh:
        key = (row["vendor_id"], rule.name)
        evidence = evidence_for(con, row, rule.metric, rule, run_ups[key] + history[key])
        entries.append(
            (
                identity,
                row["vendor_id"],
                rule.name,
                rule.metric,
                grain,
                step.period,
                step.state.value,
                step.severity,
                step.value,
                rule.warn,
                rule.critical,
                rule.clear,
                step.reason,
                version,
                recorded_at,
                evidence.to_json(),
            )
        )
    columns = [list(column) for column in zip(*entries, strict=True)]
    con.execute(
        f"INSERT INTO alert_log SELECT {', '.join(f'unnest(${i + 1})' for i in range(16))}",
        columns,
    )
    return len(fresh)
