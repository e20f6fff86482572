"""Satisfaction surveys through a real broker: produced to their own topic, ingested exactly
once, bad ones dead-lettered with field and rule (never quoting the comment), projected per
day and month, and judged by the default policy's CSAT rule."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson
import pytest
from kafka import KafkaProducer

from ingest.consumer import Ingestor
from ingest.deadletter import DeadLetterPublisher
from ingest.store import EventStore
from metrics.job import MetricsJob
from tests.conftest import SettingsFactory
from tests.ingest.dead_letters import published_dead_letters
from vendorwatch.settings import MetricsSettings

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
SECRET = "call me on 0170 555 1234"


def _survey(vendor: str, n: int, score: int, **fields: object) -> bytes:
    doc: dict[str, object] = {
        "type": "satisfaction_survey",
        "event_id": f"cs-{vendor}-{n}",
        "vendor_id": vendor,
        "occurred_at": f"2026-10-{1 + n % 28:02d}T11:00:00Z",
        "service": "helpdesk",
        "score": score,
        "ticket_id": f"T-{n}",
        "comment": SECRET,
    }
    return orjson.dumps(doc | fields)


BAD = [
    (_survey("bad", 900, 6), "score: must be an integer from 1 to 5 on scale '1-5'"),
    (_survey("bad", 901, 11, scale="0-10"), "score: must be an integer from 0 to 10"),
    (_survey("bad", 902, 3, scale="stars"), "scale: Input should be '1-5' or '0-10'"),
    (_survey("bad", 903, 3, service=""), "service: String should have at least 1 character"),
    (_survey("bad", 0, 5), "conflicting duplicate"),  # cs-bad-0 was a 1 first
]


def test_surveys_are_stored_once_dead_lettered_when_bad_and_judged(
    settings_factory: SettingsFactory,
    producer: KafkaProducer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_factory()
    topic = settings.topics.satisfaction_surveys
    assert topic.endswith(".satisfaction_surveys")
    for n in range(60):
        producer.send(topic, key=b"good", value=_survey("good", n, 5 if n % 10 else 2))
        producer.send(topic, key=b"bad", value=_survey("bad", n, 4 if n % 3 == 0 else 1))
    for n in range(10):  # producer repeats: stored once
        producer.send(topic, key=b"good", value=_survey("good", n, 5 if n % 10 else 2))
    for raw, _ in BAD:
        producer.send(topic, key=b"bad", value=raw)
    producer.flush()

    lines: list[str] = []
    store = EventStore(settings.db)
    try:
        with caplog.at_level(logging.DEBUG):
            Ingestor(
                settings,
                store,
                now_getter=lambda: NOW,
                dead_letters=DeadLetterPublisher(settings),
                report=lines.append,
            ).run(drain=True)
        con = store.connection
        assert con.execute(
            "SELECT count(*), count(DISTINCT event_id), count(comment) FROM satisfaction_surveys"
        ).fetchone() == (120, 120, 120)
        reasons = [r[0] for r in con.execute("SELECT reason FROM dead_letters").fetchall()]
        assert len(reasons) == len(BAD)
        for _, fragment in BAD:
            assert sum(fragment in reason for reason in reasons) == 1, (fragment, reasons)
        # every log record but kafka-python's own wire dumps (DEBUG: the bytes it received)
        ours = [r.getMessage() for r in caplog.records if not r.name.startswith("kafka")]
        logged = "\n".join([*lines, *reasons, *ours])
        assert SECRET not in logged

        MetricsJob(con, MetricsSettings(min_daily_responses=1, min_monthly_responses=1)).run(NOW)
        monthly = dict(
            con.execute(
                "SELECT vendor_id, (survey_responses, satisfied_responses, csat) "
                "FROM vendor_monthly WHERE month = DATE '2026-10-01'"
            ).fetchall()
        )
        assert monthly["good"] == (60, 54, 0.9)
        assert monthly["bad"] == (60, 20, pytest.approx(1 / 3))
        daily = con.execute(
            "SELECT sum(survey_responses) FROM vendor_daily WHERE vendor_id = 'bad'"
        ).fetchone()
        assert daily == (60,)
        fired = con.execute(
            "SELECT vendor_id, severity, evidence FROM alert_log WHERE rule = 'csat_month' "
            "AND state = 'firing'"
        ).fetchall()
        assert [(vendor, severity) for vendor, severity, _ in fired] == [("bad", "critical")]
        assert SECRET not in fired[0][2]  # the evidence lists answers without comments
        assert "satisfaction_surveys" in fired[0][2]
    finally:
        store.close()

    published = published_dead_letters(settings)
    assert len(published) == len(BAD)
    for message in published:
        assert SECRET not in dict(message.headers)["vendorwatch.reason"].decode()
