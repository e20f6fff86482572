"""Alerting as a chain of stages, after Alertmanager's notify pipeline.

Planning runs inside the metrics run's transaction, one :class:`Batch` handed from stage to
stage, each stage one function with the :class:`Stage` signature:

1. **plan** (:func:`alerting.plan.plan`): alert transitions and due reminders become
   :class:`Candidate` notifications — what changed compared with what people (and the alerts
   topic) were last told; states with nothing to say are remembered silently;
2. **mute** (:func:`alerting.mutes.mute`): acknowledgements stop reminders, silences and
   maintenance windows hold notifications back; each held candidate keeps its :class:`Hold`
   (who or what holds it);
3. **dedup/group** (:func:`alerting.group.group`): routes choose channels; the alerts of one
   vendor go in one :class:`Message` per channel, each alert once;
4. **outbox** (:func:`alerting.outbox.to_outbox`): every message is written to the outbox in
   the same transaction, and what was told is remembered — a state change and the messages it
   causes commit together, or neither does.

Then, outside the transaction, the dispatcher drains the outbox:

5. **deliver** (:mod:`alerting.deliver`): each due message is sent through its channel once,
   an :class:`~alerting.deliver.Attempt` saying how it went;
6. **record** (:mod:`alerting.record`): the attempt is written (``delivery_attempts``) and the
   message becomes ``delivered``, is retried later with backoff, or is dead-lettered.

:func:`run` applies the planning stages in order; each stage sees only the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol

import duckdb

from alerting.config import AlertingSettings
from alerting.payload import AlertNews, Change, VendorInfo
from metrics.policy import Policy

AlertRow = dict[str, Any]
"""An alert's state joined with its latest transition and the vendor's profile
(:func:`alerting.plan.alert_rows`)."""


@dataclass(frozen=True)
class Hold:
    """Why a notification was not sent now: ``acknowledged`` (by whom: no reminders until the
    state changes), or a ``silence`` / maintenance ``window`` (its id: sent when it ends)."""

    kind: Literal["acknowledged", "silence", "window"]
    by: str

    @property
    def reason(self) -> str:
        if self.kind == "acknowledged":
            return f"acknowledged by {self.by}"
        return f"muted by {'maintenance window' if self.kind == 'window' else 'silence'} {self.by}"


@dataclass(frozen=True)
class Candidate:
    """One alert that has something to say: its row and what changed. ``feed`` candidates go
    to the alerts topic, whatever routes, mutes and acknowledgements say."""

    row: AlertRow
    change: Change
    feed: bool = False
    hold: Hold | None = None


@dataclass(frozen=True)
class Message:
    """One notification to one channel: a vendor and the news of its alerts."""

    channel: str
    vendor: VendorInfo
    news: tuple[AlertNews, ...]


@dataclass(frozen=True)
class Batch:
    """What one planning pass carries from stage to stage.

    ``alerts``: every alert row the pass looked at; ``candidates``: those still to be told;
    ``held``: those a mute stage held back (with the hold); ``messages``: what the group stage
    made of the candidates; ``told``: the rows those messages tell.
    """

    now: datetime
    settings: AlertingSettings
    policy: Policy | None
    alerts: tuple[AlertRow, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    held: tuple[Candidate, ...] = ()
    messages: tuple[Message, ...] = ()
    told: tuple[AlertRow, ...] = field(default=())

    def with_(self, **changes: Any) -> Batch:
        """A copy with ``changes`` (stages never mutate the batch they were given)."""
        return replace(self, **changes)


class Stage(Protocol):
    """One step of the chain; may read and write the store inside the caller's transaction."""

    def __call__(self, con: duckdb.DuckDBPyConnection, batch: Batch) -> Batch: ...


def run(con: duckdb.DuckDBPyConnection, batch: Batch, stages: Sequence[Stage]) -> Batch:
    """``batch`` through every stage in order."""
    for stage in stages:
        batch = stage(con, batch)
    return batch
