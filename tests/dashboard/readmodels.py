"""Fixture read models for the dashboard, built by the real pipeline (event store, metrics job
with alerting's planner, control commands applied by the engine's own code, ``publish``).

* ``normal``: the generated history, plus a vendor with a profile but no responses and no
  in-house estimate (``NO_DATA_VENDOR``), one alert acknowledged (``ACKED``), one vendor
  silenced (``SILENCED_VENDOR``) and two dead letters on partition 1 of the response-time
  topic (``DEAD_LETTERS``: not UTF-8; a negative latency); published now;
* ``stale``: the same store published ``STALE_BY`` ago (the clock injected into ``publish``);
* ``empty``: a fresh store whose metrics ran with no events;
* ``none``: a directory where nothing was published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from alerting.config import AlertingSettings
from ingest.batch import RecordChecks
from ingest.records import Record
from ingest.store import EventStore
from metrics.job import MetricsJob
from readmodel.publish import publish
from tests.metrics.conftest import END, TOPICS, TYPE_BY_TOPIC, History
from vendorwatch.delivery import command_types, planner_hook
from vendorwatch.settings import MetricsSettings

NO_DATA_VENDOR = "vandelay-imports-1"
ACKED = ("initech-hosting-1", "latency_p95")
SILENCED_VENDOR = "soylent-payroll-1"
STALE_BY = timedelta(days=3)
NOT_UTF8 = b'\xff\xfe{"type": "response_time"}'
DEAD_LETTERS = {  # offset on vendor.response_times, partition 1 -> the start of its reason
    0: "record value is not UTF-8",
    1: "latency_ms: Input should be greater than or equal to 0",
}
ALERTING = AlertingSettings.model_validate(
    {
        "channels": {"ops": {"type": "webhook", "url": "http://127.0.0.1:9/hook"}},
        "routes": [{"channels": ["ops"]}],
    }
)


@dataclass(frozen=True)
class ReadModels:
    """Snapshot directories, one per case."""

    normal: Path
    stale: Path
    empty: Path
    none: Path


def _no_data_profile(history: History) -> Record:
    """A vendor profile for a vendor that never sends a response (a copy of a real one)."""
    profile = next(
        doc for doc in (orjson.loads(v) for v in history.values) if doc["type"] == "vendor_profile"
    )
    profile.pop("insourcing", None)
    profile |= {
        "vendor_id": NO_DATA_VENDOR,
        "event_id": f"vp-{NO_DATA_VENDOR}-1",
        "name": "Vandelay Imports (onboarding)",
        "occurred_at": "2026-01-02T09:00:00Z",
    }
    return Record(TOPICS.registry, 0, 1_000_000, NO_DATA_VENDOR.encode(), orjson.dumps(profile))


def _dead_letters(history: History) -> list[Record]:
    """Two records that break the contract (see ``DEAD_LETTERS``)."""
    response = next(
        doc for doc in (orjson.loads(v) for v in history.values) if doc["type"] == "response_time"
    )
    negative = response | {"event_id": "rt-negative-latency", "latency_ms": -5}
    topic = TOPICS.response_times
    return [
        Record(topic, 1, 0, b"acme-support-1", NOT_UTF8),
        Record(topic, 1, 1, str(negative["vendor_id"]).encode(), orjson.dumps(negative)),
    ]


def _command(kind: str, **fields: object) -> dict[str, object]:
    return {
        "type": kind,
        "command_id": f"fixture-{kind}",
        "issued_at": END.isoformat(),
        "issued_by": "fixture",
        **fields,
    }


def _apply(store: EventStore, command: dict[str, object]) -> None:
    kind = command_types(ALERTING)[str(command["type"])]
    status, detail = kind.apply(store.connection, kind.model.model_validate(command), END)
    assert status == "applied", detail


def build_read_models(history: History, root: Path) -> ReadModels:
    """Build every case under ``root`` (see the module docstring)."""
    store = EventStore(root / "engine.duckdb")
    try:
        history.write(store, [*history.batches, [_no_data_profile(history)]])
        checks = RecordChecks(
            TYPE_BY_TOPIC, max_future_skew=timedelta(hours=24), max_record_bytes=1_000_000
        )
        outcome = store.write_batch(_dead_letters(history), checks, received_at=END)
        assert len(outcome.dead_letters) == len(DEAD_LETTERS), outcome
        job = MetricsJob(store.connection, MetricsSettings(), notify=planner_hook(ALERTING))
        job.run(END)
        _apply(store, _command("ack", vendor_id=ACKED[0], rule=ACKED[1], comment="on it"))
        ends_at = (END + timedelta(days=1)).isoformat()
        silence = _command("silence", matchers={"vendor_id": SILENCED_VENDOR}, ends_at=ends_at)
        _apply(store, silence)
        job.run(END + timedelta(minutes=1))  # the planner sees the silence
        now = datetime.now(UTC)
        publish(store.connection, root / "normal", now)
        publish(store.connection, root / "stale", now - STALE_BY)
    finally:
        store.close()
    empty = EventStore(root / "empty.duckdb")
    try:
        MetricsJob(empty.connection, MetricsSettings(), notify=planner_hook(ALERTING)).run(END)
        publish(empty.connection, root / "empty", datetime.now(UTC))
    finally:
        empty.close()
    (root / "none").mkdir()
    return ReadModels(root / "normal", root / "stale", root / "empty", root / "none")
