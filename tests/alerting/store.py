"""A real store with the metrics and alerting tables, and the helpers the alerting tests share:
write alert transitions the way the rules write them, plan, and apply control commands."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson

from alerting.config import AlertingSettings
from alerting.planner import ensure_tables, plan_notifications
from control import apply as control
from control.apply import apply_commands
from control.kinds import command_types
from ingest.batch import RecordChecks
from ingest.records import Record
from ingest.store import EventStore
from metrics.evidence_model import EvaluationPeriod, Evidence, JudgedPeriod, Thresholds
from metrics.job import MetricsJob
from metrics.policy import default_policy
from metrics.rules import alert_id
from vendorwatch.settings import MetricsSettings, Topics

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
HOUR = timedelta(hours=1)
ALERT_COMMANDS = ("ack", "silence", "unsilence")


def settings(**overrides: Any) -> AlertingSettings:
    values: dict[str, Any] = {
        "channels": {
            "ops": {"type": "webhook", "url": "http://127.0.0.1:9/ops"},
            "managers": {"type": "webhook", "url": "http://127.0.0.1:9/managers"},
        },
        "routes": [{"channels": ["ops"]}],
        "publish_topic": False,
        "repeat_interval": timedelta(hours=4),
    }
    values.update(overrides)
    return AlertingSettings.model_validate(values)


@dataclass
class Alerts:
    """A store with the metrics tables, and helpers to add transitions and plan."""

    store: EventStore
    config: AlertingSettings

    @property
    def con(self) -> Any:
        return self.store.connection

    def profile(self, vendor_id: str, tier: str) -> None:
        event = {
            "type": "vendor_profile",
            "event_id": f"p-{vendor_id}-{tier}",
            "vendor_id": vendor_id,
            "occurred_at": "2026-01-01T00:00:00Z",
            "name": f"Vendor {vendor_id}",
            "service": "helpdesk",
            "tier": tier,
            "contract": {
                "start_date": "2025-01-01",
                "end_date": "2027-12-31",
                "notice_period_days": 90,
                "monthly_fee": "1000.00",
                "currency": "EUR",
            },
        }
        record = Record(Topics().registry, 0, self._offset(), None, orjson.dumps(event))
        checks = RecordChecks(
            Topics().event_topics(),
            max_future_skew=timedelta(hours=24),
            max_record_bytes=1_000_000,
        )
        outcome = self.store.write_batch([record], checks, received_at=T0)
        assert not outcome.dead_letters

    def _offset(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM vendor_profiles").fetchall()[0][0])

    def transition(
        self,
        vendor_id: str,
        rule: str,
        period: date,
        state: str,
        severity: str | None,
        at: datetime,
        value: float = 2000.0,
    ) -> str:
        identity = alert_id(vendor_id, rule, period, state, severity)
        start = datetime.combine(period, time(), UTC)
        evidence = Evidence(
            metric="latency_p95_ms",
            period=EvaluationPeriod(start=start, end=start + timedelta(days=1)),
            thresholds=Thresholds(
                direction="above",
                warn=1000.0,
                critical=1500.0,
                clear=900,
                for_periods=1,
                clear_periods=1,
                min_sample=0,
            ),
            values=(JudgedPeriod(period=period, value=value, state=state),),
        )
        self.con.execute(
            "INSERT INTO alert_log VALUES (?, ?, ?, 'latency_p95_ms', 'day', ?, ?, ?, ?, 1000, "
            "1500, 900, 'test', 'default@1', ?, ?)",
            [
                identity,
                vendor_id,
                rule,
                period,
                state,
                severity,
                value,
                at,
                evidence.to_json(),
            ],
        )
        return identity

    def plan(self, now: datetime) -> list[dict[str, Any]]:
        """Plan at ``now``; return the messages it queued (channel + parsed body)."""
        before = self._outbox_count()
        plan_notifications(self.con, now, self.config)
        rows = self.con.execute(
            "SELECT channel, body FROM notification_outbox ORDER BY rowid OFFSET ?", [before]
        ).fetchall()
        return [{"channel": c, **orjson.loads(b)} for c, b in rows]

    def _outbox_count(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM notification_outbox").fetchall()[0][0])

    def command(self, now: datetime, **fields: Any) -> str:
        """Apply one control command at ``now``; return its status and detail."""
        fields.setdefault("command_id", f"c{self._command_count()}")
        fields.setdefault("issued_at", now.isoformat())
        fields.setdefault("issued_by", "sam")
        record = Record("ctl", 0, self._command_count(), None, orjson.dumps(fields))
        (outcome,) = apply_commands(
            self.con,
            [record],
            now,
            baseline=default_policy(),
            types=command_types(self.config, only=ALERT_COMMANDS),
        )
        return f"{outcome.status}: {outcome.detail}"

    def silence(self, now: datetime, matchers: dict[str, str], **fields: Any) -> str:
        """Apply a ``silence`` of the alerts ``matchers`` match at ``now`` (see :meth:`command`)."""
        return self.command(now, type="silence", matchers=matchers, **fields)

    def _command_count(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM command_log").fetchall()[0][0])


def alert_store() -> Iterator[Alerts]:
    """A fresh in-memory store with a webhook route for everything."""
    store = EventStore(":memory:")
    store.connection.execute("SET TimeZone = 'UTC'")
    MetricsJob(store.connection, MetricsSettings())
    ensure_tables(store.connection)
    control.ensure_tables(store.connection)
    yield Alerts(store, settings())
    store.close()
