"""``ack``: acknowledge a firing alert — no more reminders until its state changes.

    {"type": "ack", "command_id": "c1", "issued_at": "...", "issued_by": "sam",
     "vendor_id": "hooli-claims-1", "rule": "latency_p95", "comment": "vendor is on it"}

Rules: it needs a firing alert for ``vendor_id`` and ``rule`` (and, with ``alert_id``, that
very state, so an ack never lands on an escalation its sender did not see). Applied: the alert
state records who and when (the engine's clock); with ``alerting.publish_topic`` the
acknowledgement is queued for the alerts topic in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import duckdb

from alerting.config import TOPIC_CHANNEL
from alerting.planner import alert_rows, enqueue, ensure_tables, news_of, vendor_of
from control.model import Command, CommandContext, CommandKind, Comment, Status, Text


class Ack(Command):
    """Acknowledge a firing alert: no more repeats until its state changes."""

    type: Literal["ack"]
    vendor_id: Text
    rule: Text
    alert_id: Text | None = None
    comment: Comment | None = None


def _current(con: duckdb.DuckDBPyConnection, vendor_id: str, rule: str) -> dict[str, Any] | None:
    rows = alert_rows(con, "s.vendor_id = ? AND s.rule = ?", [vendor_id, rule])
    return rows[0] if rows else None


def apply(
    con: duckdb.DuckDBPyConnection, command: Ack, now: datetime, context: CommandContext
) -> tuple[Status, str]:
    ensure_tables(con)
    row = _current(con, command.vendor_id, command.rule)
    if row is None or row["state"] != "firing":
        return "rejected", f"rule: no firing alert {command.rule} for {command.vendor_id}"
    if command.alert_id is not None and command.alert_id != row["alert_id"]:
        return "rejected", (
            f"alert_id: the alert changed since ({command.alert_id} is no longer current; "
            f"now {row['alert_id']}, {row['severity']})"
        )
    con.execute(
        """UPDATE alert_state SET acked_by = ?, acked_at = ?, ack_comment = ?
        WHERE vendor_id = ? AND rule = ?""",
        [command.issued_by, now, command.comment, command.vendor_id, command.rule],
    )
    settings = context.alerting
    if settings.publish_topic:
        row["acked_by"] = command.issued_by
        news = news_of(row, "acknowledged")
        enqueue(con, settings, TOPIC_CHANNEL, vendor_of(row), [news], now)
    return "applied", f"{command.vendor_id} {command.rule} acknowledged by {command.issued_by}"


KIND = CommandKind(Ack, apply)
