"""Rules over the projections: rule changes never rewrite history, alerts carry evidence,
backtests touch nothing live, and the default policy tells degrading vendors from noisy ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.batch import RecordChecks
from ingest.records import Record
from ingest.simulator import PRESET_NAMES, build_vendors, generate_events
from ingest.store import EventStore
from metrics.job import MetricsJob
from metrics.policy import Policy, default_policy, parse_policy
from tests.conftest import run_vendorwatch, settings_env
from tests.metrics.conftest import END, History
from tests.metrics.events import vendor_profile
from vendorwatch.settings import MetricsSettings, Settings, Topics

SETTINGS = MetricsSettings()
POLICY_FILE = Path(__file__).resolve().parents[2] / "metrics" / "policies" / "default.toml"


def sensitive_policy() -> Policy:
    """The default policy with a latency rule that warns at half the SLA target."""
    text = POLICY_FILE.read_text().replace('label = "default 2026-11"', 'label = "sensitive"')
    text = text.replace(
        "warn = 1.0\ncritical = 1.5\nclear = 0.9", "warn = 0.5\ncritical = 1.5\nclear = 0.45", 1
    )
    text = text.replace("quality = 0.45", "quality = 0.9", 1)  # and other score weights
    policy = parse_policy(text)
    assert policy.rules["latency_p95"].warn == 0.5
    return policy


def steps(store: EventStore, before: datetime | None = None) -> list[tuple[Any, ...]]:
    sql = "SELECT * EXCLUDE (reason) FROM rule_steps"
    if before is not None:
        period_end = (
            "CASE grain WHEN 'day' THEN period + 1 ELSE CAST(period + INTERVAL 1 MONTH AS DATE) END"
        )
        return store.connection.execute(
            f"{sql} WHERE {period_end} <= CAST(? AS DATE) ORDER BY ALL", [before]
        ).fetchall()
    return store.connection.execute(sql + " ORDER BY ALL").fetchall()


@pytest.fixture
def store(history: History, tmp_path: Path) -> Iterator[EventStore]:
    store = EventStore(tmp_path / "store.duckdb")
    history.write(store)
    yield store
    store.close()


def test_a_rule_change_applies_from_then_on_and_as_of_replays_the_old_flags(
    store: EventStore,
) -> None:
    t1, t2 = END - timedelta(days=30), END - timedelta(days=12)
    MetricsJob(store.connection, SETTINGS).run(t1)
    flags_at_t1 = steps(store)
    scores_sql = "SELECT * FROM vendor_scores WHERE day < CAST(? AS DATE) ORDER BY ALL"
    scores_at_t1 = store.connection.execute(scores_sql, [t1]).fetchall()
    assert {row[-1] for row in flags_at_t1} == {str(default_policy().version)}

    sensitive = sensitive_policy()
    MetricsJob(store.connection, SETTINGS, policy=sensitive).run(t2)
    MetricsJob(store.connection, SETTINGS, policy=sensitive).run(END)
    versions = dict(
        store.connection.execute(
            "SELECT period, any_value(policy_version) FROM rule_steps WHERE grain = 'day' "
            "GROUP BY period"
        ).fetchall()
    )
    assert versions[(t2 - timedelta(days=1)).date()] == str(default_policy().version)
    assert versions[(END - timedelta(days=1)).date()] == str(sensitive.version)
    assert steps(store, before=t1) == flags_at_t1  # history kept its judgement
    assert store.connection.execute(scores_sql, [t1]).fetchall() == scores_at_t1
    weights_after = store.connection.execute(
        "SELECT DISTINCT policy_version FROM vendor_scores WHERE day >= CAST(? AS DATE)", [t2]
    ).fetchall()
    assert weights_after == [(str(sensitive.version),)]

    MetricsJob(store.connection, SETTINGS, policy=sensitive).run(t1)  # replay as of t1
    assert steps(store) == flags_at_t1


def test_alerts_are_recorded_once_with_their_evidence(store: EventStore) -> None:
    job = MetricsJob(store.connection, SETTINGS, policy=sensitive_policy())
    job.rebuild(END)
    count = store.connection.execute("SELECT count(*) FROM alert_log").fetchall()[0][0]
    assert count > 0
    job.rebuild(END)
    job.run(END + timedelta(hours=1))
    again = store.connection.execute(
        "SELECT count(*), count(DISTINCT alert_id) FROM alert_log"
    ).fetchall()[0]
    assert again == (count, count)

    rows = store.connection.execute(
        "SELECT metric, state, evidence FROM alert_log WHERE metric = 'latency_p95_ms'"
    ).fetchall()
    assert rows
    for _, _, text in rows:
        evidence = orjson.loads(text)
        assert evidence["thresholds"]["warn"] is not None
        assert evidence["values"][-1]["state"] in ("firing", "resolved")
        events = evidence["events"]
        assert events["table"] == "response_times"
        assert 0 < len(events["sample"]) <= 10 <= events["count"]
        latencies = [e["latency_ms"] for e in events["sample"]]
        assert latencies == sorted(latencies, reverse=True)  # the slowest, as the evidence
        first = events["sample"][0]
        stored = store.connection.execute(
            'SELECT topic, "partition", "offset" FROM response_times WHERE event_id = ?',
            [first["event_id"]],
        ).fetchall()
        assert stored == [(first["topic"], first["partition"], first["offset"])]


def test_backtest_reports_would_be_alerts_and_touches_nothing(
    store: EventStore, tmp_path: Path
) -> None:
    MetricsJob(store.connection, SETTINGS).rebuild(END)
    live_before = (steps(store), store.connection.execute("SELECT * FROM alert_log").fetchall())
    store.close()
    candidate = tmp_path / "candidate.toml"
    candidate.write_text(
        POLICY_FILE.read_text().replace(
            "warn = 1.0\ncritical = 1.5\nclear = 0.9", "warn = 0.5\ncritical = 1.5\nclear = 0.45", 1
        )
    )
    env = settings_env(Settings(db=store.path))

    result = run_vendorwatch(
        "backtest",
        "--policy",
        str(candidate),
        "--from",
        "2026-03-01",
        "--to",
        "2026-04-19",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "backtest of default 2026-11@" in result.stdout
    assert "latency_p95 warn" in result.stdout
    assert "alert(s) would fire (live policy:" in result.stdout
    reopened = EventStore(store.path)
    try:
        live_after = (
            steps(reopened),
            reopened.connection.execute("SELECT * FROM alert_log").fetchall(),
        )
    finally:
        reopened.close()
    assert live_after == live_before

    broken = tmp_path / "broken.toml"
    broken.write_text(POLICY_FILE.read_text().replace("for_periods = 3", "for_periods = 0", 1))
    refused = run_vendorwatch("backtest", "--policy", str(broken), env=env)
    assert refused.returncode == 2
    assert "broken.toml" in refused.stderr
    assert "rules.latency_p95.for_periods" in refused.stderr


# ------------------------------------------------------------------------ scenario detection

YEAR_END = datetime(2026, 11, 1, tzinfo=UTC)
DETECTION_DAYS = {  # the first alert's period must end within this many days of the onset
    "latency_degradation": 21,
    "defect_surge": 32,
    "security_incident_burst": 5,
    "cost_creep": 70,
}


@pytest.mark.slow
def test_degrading_vendors_are_flagged_soon_and_healthy_ones_never(tmp_path: Path) -> None:
    start = YEAR_END - timedelta(days=365)
    vendors = build_vendors(PRESET_NAMES, start=start, end=YEAR_END, seed=2026)
    topics = Topics()
    topic_of = {t: name for name, t in topics.event_topics().items()}
    checks = RecordChecks(topics.event_topics(), timedelta(days=1), 1_000_000)
    store = EventStore(tmp_path / "year.duckdb")
    offsets: dict[str, int] = {}
    batch: list[Record] = []
    for event in generate_events(vendors, start, YEAR_END, seed=2026, events_per_day=800):
        topic = topic_of[event.topic_type]
        offsets[topic] = offsets.get(topic, -1) + 1
        batch.append(Record(topic, 0, offsets[topic], event.key, event.value))
        if len(batch) == 50_000:
            store.write_batch(batch, checks, received_at=YEAR_END)
            batch = []
    store.write_batch(batch, checks, received_at=YEAR_END)
    MetricsJob(store.connection, SETTINGS).rebuild(YEAR_END)

    first_alert = dict(
        store.connection.execute(
            """SELECT vendor_id, min(CASE grain WHEN 'day' THEN period + 1
                ELSE CAST(period + INTERVAL 1 MONTH AS DATE) END)
            FROM rule_steps WHERE state = 'firing' GROUP BY vendor_id"""
        ).fetchall()
    )
    for vendor in vendors:
        if vendor.onset is None:
            assert vendor.vendor_id not in first_alert, (vendor.scenario, first_alert)
            continue
        assert vendor.vendor_id in first_alert, f"{vendor.scenario} was never flagged"
        delay = (first_alert[vendor.vendor_id] - vendor.onset.date()).days
        assert 0 <= delay <= DETECTION_DAYS[vendor.scenario], (vendor.scenario, delay)
    store.close()


def test_a_replay_as_of_a_past_date_backdates_neither_policy_nor_alerts(
    store: EventStore,
) -> None:
    MetricsJob(store.connection, SETTINGS).run(END)
    replay_at, wall_clock = END - timedelta(days=30), END + timedelta(hours=1)
    # forget the transitions before the replay date, so the replay records them again
    store.connection.execute("DELETE FROM alert_log WHERE period < ?", [replay_at.date()])
    edited = sensitive_policy()  # the file was edited before the operator replays
    MetricsJob(store.connection, SETTINGS, policy=edited).run(replay_at, now=wall_clock)

    history = store.connection.execute(
        "SELECT version, effective_from FROM policy_history ORDER BY effective_from"
    ).fetchall()
    assert history[-1] == (str(edited.version), wall_clock)
    judged_by = store.connection.execute(
        "SELECT DISTINCT policy_version FROM rule_steps"
    ).fetchall()
    assert judged_by == [(str(default_policy().version),)]  # the past keeps its policy
    recorded = store.connection.execute("SELECT max(recorded_at) FROM alert_log").fetchall()[0][0]
    assert recorded <= wall_clock
    again = store.connection.execute(
        "SELECT recorded_at, count(*) FROM alert_log WHERE period < ? GROUP BY ALL",
        [replay_at.date()],
    ).fetchall()
    assert len(again) == 1
    assert again[0][0] == wall_clock  # recorded when the replay saw them, not back-dated
    assert again[0][1] > 0


def _events_store(events: list[dict[str, Any]]) -> EventStore:
    store = EventStore(":memory:")
    store.connection.execute("SET TimeZone = 'UTC'")
    add_events(store, events)
    return store


def add_events(store: EventStore, events: list[dict[str, Any]]) -> None:
    topics = Topics()
    by_type = {t: topic for topic, t in topics.event_topics().items()}
    offsets = dict(
        store.connection.execute(
            'SELECT topic, max("offset") + 1 FROM (SELECT topic, "offset" FROM response_times '
            'UNION ALL SELECT topic, "offset" FROM vendor_profiles) GROUP BY topic'
        ).fetchall()
    )
    batch = []
    for event in events:
        topic = by_type[str(event["type"])]
        offset = offsets.get(topic, 0)
        offsets[topic] = offset + 1
        batch.append(Record(topic, 0, offset, None, orjson.dumps(event)))
    checks = RecordChecks(
        topics.event_topics(), max_future_skew=timedelta(days=3650), max_record_bytes=1_000_000
    )
    outcome = store.write_batch(batch, checks, received_at=datetime(2026, 6, 1, tzinfo=UTC))
    assert not outcome.dead_letters, outcome.dead_letters


def slow_day(vendor_id: str, day: datetime, count: int = 60) -> list[dict[str, Any]]:
    return [
        {
            "type": "response_time",
            "event_id": f"{vendor_id}-{day:%m%d}-{i}",
            "vendor_id": vendor_id,
            "occurred_at": (day + timedelta(minutes=10 * i)).isoformat(),
            "service": "helpdesk",
            "latency_ms": 2000.0,
        }
        for i in range(count)
    ]


def test_evidence_shows_the_run_up_judged_by_earlier_runs() -> None:
    """An incremental run judges only the new day; the firing alert's evidence still shows
    the pending days before it, which earlier runs judged."""
    day1 = datetime(2026, 5, 1, tzinfo=UTC)
    profile = vendor_profile(
        "slow-1",
        event_id="p1",
        occurred_at="2026-04-01T00:00:00Z",
        name="Slow One",
        tier="medium",
        contract=("2026-01-01", "2028-12-31", "1000"),
        sla={"latency_p95_ms": 400},
    )
    store = _events_store(
        [profile, *slow_day("slow-1", day1), *slow_day("slow-1", day1 + timedelta(days=1))]
    )
    try:
        job = MetricsJob(store.connection, SETTINGS)
        job.run(day1 + timedelta(days=2))
        assert store.connection.execute("SELECT count(*) FROM alert_log").fetchall() == [(0,)]
        add_events(store, slow_day("slow-1", day1 + timedelta(days=2)))
        outcome = job.run(day1 + timedelta(days=3))
        assert outcome.mode == "incremental"
        (evidence,) = store.connection.execute(
            "SELECT evidence FROM alert_log WHERE rule = 'latency_p95' AND state = 'firing'"
        ).fetchall()[0]
    finally:
        store.close()
    values = orjson.loads(evidence)["values"]
    assert [(v["period"], v["state"]) for v in values] == [
        ("2026-05-01", "pending"),
        ("2026-05-02", "pending"),
        ("2026-05-03", "firing"),
    ]
