"""The policies in force over time: ``policy_history`` and its in-memory timeline.

Contract: each policy version is recorded once, with the instant it came into force; the first
policy ever recorded covers all of history (a store's rules start somewhere). A period is judged
by the policy in force at its end, so a later change never rewrites earlier judgements.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from metrics.policy import Policy

DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS policy_history (
    version VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    content VARCHAR NOT NULL,
    effective_from TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    source VARCHAR NOT NULL
)""",
)


@dataclass(frozen=True)
class PolicyTimeline:
    """The policies in force over time: ``policies[i]`` from ``starts[i]`` (epoch seconds) on."""

    starts: Sequence[float]
    policies: Sequence[Policy]

    def at(self, epoch_seconds: float) -> Policy:
        """The policy in force at that instant (the first one before any recorded start)."""
        index = bisect_right(self.starts, epoch_seconds) - 1
        return self.policies[max(index, 0)]


def record_policy(
    con: duckdb.DuckDBPyConnection,
    policy: Policy,
    *,
    effective_from: datetime,
    source: str,
    skip_if_latest: bool = True,
) -> bool:
    """Append ``policy`` to ``policy_history`` (unless ``skip_if_latest`` and it is already
    the policy in force); True if added. The first policy ever recorded is in force for all of
    history. Entries with equal ``effective_from`` take effect in the order recorded."""
    latest = con.execute(
        "SELECT version FROM policy_history ORDER BY effective_from DESC, rowid DESC LIMIT 1"
    ).fetchall()
    version = str(policy.version)
    if skip_if_latest and latest and latest[0][0] == version:
        return False
    start = effective_from if latest else datetime(1970, 1, 1, tzinfo=effective_from.tzinfo)
    con.execute(
        "INSERT INTO policy_history VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            version,
            policy.version.label,
            policy.version.content_hash,
            policy.model_dump_json(),
            start,
            effective_from,
            source,
        ],
    )
    return True


def policy_timeline(con: duckdb.DuckDBPyConnection) -> PolicyTimeline:
    """Every recorded policy with the instant it came into force."""
    rows = con.execute(
        "SELECT epoch(effective_from), content FROM policy_history ORDER BY effective_from, rowid"
    ).fetchall()
    return PolicyTimeline([r[0] for r in rows], [Policy.model_validate_json(r[1]) for r in rows])


def latest_version(con: duckdb.DuckDBPyConnection, *, source: str) -> str | None:
    """The version most recently recorded from ``source`` (e.g. ``file``), if any."""
    rows = con.execute(
        "SELECT version FROM policy_history WHERE source = ? "
        "ORDER BY effective_from DESC, rowid DESC LIMIT 1",
        [source],
    ).fetchall()
    return str(rows[0][0]) if rows else None
