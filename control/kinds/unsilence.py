"""``unsilence``: end a silence or maintenance window now.

    {"type": "unsilence", "command_id": "c4", "issued_at": "...", "issued_by": "sam",
     "silence_id": "c2"}

Rules: the silence must exist and not be removed already. Applied: ``silences.removed_at`` is
the engine's ``now``, ``removed_by`` the sender.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import duckdb

from alerting.planner import ensure_tables
from control.model import Command, CommandContext, CommandKind, Status, Text


class Unsilence(Command):
    """End a silence or maintenance window now."""

    type: Literal["unsilence"]
    silence_id: Text


def apply(
    con: duckdb.DuckDBPyConnection, command: Unsilence, now: datetime, _: CommandContext
) -> tuple[Status, str]:
    ensure_tables(con)
    found = con.execute(
        "SELECT removed_at FROM silences WHERE silence_id = ?", [command.silence_id]
    ).fetchall()
    if not found:
        return "rejected", f"silence_id: no silence {command.silence_id!r}"
    if found[0][0] is not None:
        return "rejected", f"silence_id: {command.silence_id!r} was removed already"
    con.execute(
        "UPDATE silences SET removed_at = ?, removed_by = ? WHERE silence_id = ?",
        [now, command.issued_by, command.silence_id],
    )
    return "applied", f"silence {command.silence_id} removed"


KIND = CommandKind(Unsilence, apply)
