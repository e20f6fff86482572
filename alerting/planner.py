"""Deciding who is told what: the planning half of the alerting pipeline.

:func:`plan_notifications` runs inside the metrics run's transaction, right after the rules
recorded their transitions, and passes one :class:`~alerting.pipeline.Batch` through the
stages (see :mod:`alerting.pipeline`):

    plan (alerting.plan) → mute (alerting.mutes) → dedup/group (alerting.group)
        → outbox (alerting.outbox)

so a state change and the messages it causes commit together (the outbox): a crash loses
neither, and never one without the other. Each stage's module states its part of the
contract: level-not-edge, dedup, repeats, resolve and retired rules (plan); acknowledgements,
silences and maintenance windows (mute); routes and grouping (group); the outbox itself.
The alerts topic (``publish_topic``) carries every state change, one event per alert,
regardless of routes, mutes and acknowledgements.

``alert_rows``, ``ensure_tables``, ``news_of``, ``vendor_of`` (from :mod:`alerting.plan`) and
``enqueue`` (from :mod:`alerting.outbox`) stay importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from alerting.config import AlertingSettings
from alerting.group import group
from alerting.mutes import mute
from alerting.outbox import enqueue, to_outbox
from alerting.pipeline import Batch, Stage, run
from alerting.plan import alert_rows, change_since, ensure_tables, news_of, plan, vendor_of
from metrics.policy import Policy

__all__ = [
    "PLANNING",
    "PlanOutcome",
    "alert_rows",
    "change_since",
    "enqueue",
    "ensure_tables",
    "news_of",
    "plan_notifications",
    "vendor_of",
]

PLANNING: tuple[Stage, ...] = (plan, mute, group, to_outbox)
"""The planning stages, in order."""


@dataclass(frozen=True)
class PlanOutcome:
    """What one planning pass decided: messages queued for people, events queued for the
    alerts topic, and notifications held by silences or maintenance windows."""

    messages: int
    published: int
    held: int


def plan_notifications(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    settings: AlertingSettings,
    policy: Policy | None = None,
) -> PlanOutcome:
    """One planning pass at ``now``; the caller owns the transaction. ``policy``: the one in
    force at ``now`` (default: read from ``policy_history``; none recorded: every rule counts
    as in force)."""
    batch = run(con, Batch(now=now, settings=settings, policy=policy), PLANNING)
    feed = sum(1 for c in batch.candidates if c.feed)
    held = sum(1 for c in batch.held if c.hold is not None and c.hold.kind != "acknowledged")
    return PlanOutcome(messages=len(batch.messages) - feed, published=feed, held=held)
