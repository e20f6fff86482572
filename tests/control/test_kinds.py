"""The registry of command types: each declared once, bound to the engine's settings, and a new
type applied, audited and offset-tracked by the same code as the others."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import duckdb
import orjson
import pytest

from alerting.config import AlertingSettings
from control.apply import apply_commands
from control.kinds import KINDS, command_types
from control.model import Command, CommandContext, CommandKind, Status, Text, type_name
from ingest.records import Record
from ingest.store import EventStore
from metrics.job import MetricsJob
from vendorwatch.settings import MetricsSettings

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_every_type_is_registered_once_under_the_name_its_model_accepts() -> None:
    assert [kind.name for kind in KINDS] == ["set_policy", "ack", "silence", "unsilence"]
    types = command_types(AlertingSettings())
    assert list(types) == ["set_policy", "ack", "silence", "unsilence"]
    assert all(types[kind.name].model is kind.model for kind in KINDS)
    assert list(command_types(AlertingSettings(), only=["ack"])) == ["ack"]
    with pytest.raises(KeyError):
        command_types(AlertingSettings(), only=["silence_everything"])


def test_a_model_without_one_literal_type_is_not_a_command_type() -> None:
    with pytest.raises(ValueError, match="must be one Literal string"):
        type_name(Command)


class Note(Command):
    """A command type a later release might add: a note for the audit only."""

    type: Literal["note"]
    text: Text


def _apply_note(
    con: duckdb.DuckDBPyConnection, command: Note, now: datetime, context: CommandContext
) -> tuple[Status, str]:
    told = "told" if context.alerting.publish_topic else "not told"
    return "applied", f"note {command.text!r} at {now.isoformat()} ({told})"


def test_a_new_type_is_its_module_plus_one_registration() -> None:
    note = CommandKind(Note, _apply_note)
    types = {
        **command_types(AlertingSettings()),
        note.name: note.bound(CommandContext(AlertingSettings(publish_topic=False))),
    }
    document = {
        "type": "note",
        "command_id": "n-1",
        "issued_at": "2026-11-23T11:00:00Z",
        "issued_by": "sam",
        "text": "hello",
    }
    records = [Record("ctl", 0, n, None, orjson.dumps(document)) for n in range(2)]
    store = EventStore(":memory:")
    try:
        configured = MetricsJob(store.connection, MetricsSettings()).policy  # the metrics tables
        outcomes = apply_commands(store.connection, records, NOW, baseline=configured, types=types)
        assert [(o.status, o.detail) for o in outcomes] == [
            ("applied", "note 'hello' at 2026-11-23T12:00:00+00:00 (not told)"),
            ("duplicate", "command_id was already applied"),
        ]
        logged = store.connection.execute(
            'SELECT type, status, "offset" FROM command_log ORDER BY "offset"'
        ).fetchall()
        assert logged == [("note", "applied", 0), ("note", "duplicate", 1)]
        offsets = store.connection.execute("SELECT * FROM control_offsets").fetchall()
        assert offsets == [("ctl", 0, 2)]
    finally:
        store.close()
