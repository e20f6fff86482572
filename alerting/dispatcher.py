"""Draining the outbox: the deliver and record stages, at least once, channels in parallel.

Contract of :meth:`Dispatcher.deliver_due`:

* every ``pending`` message whose ``next_attempt_at`` has come is sent through its channel
  (:func:`alerting.deliver.deliver`); messages of one channel go in creation order (a
  resolution never overtakes its firing), channels in parallel so one slow receiver does not
  hold up the others;
* each outcome is written after the send (:func:`alerting.record.record`): ``delivered``,
  another attempt later with backoff and jitter, or ``dead`` (the dead letter stays in the
  outbox and shows in the ``notifications`` view);
* a crash after the send and before the write sends the message again on restart, with the
  same ``notification_id`` (the receivers' idempotency key) and byte-identical body;
* the injected clock (``now_getter``) gives every instant: which messages are due, each
  attempt's start (passed to the channel), and the outcome's time.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import duckdb

from alerting.channels.base import Channel
from alerting.config import AlertingSettings
from alerting.deliver import Attempt, Due, deliver
from alerting.plan import ensure_tables
from alerting.record import record

__all__ = ["BATCH", "Attempt", "Dispatcher"]

BATCH = 200


class Dispatcher:
    """Sends due outbox messages; owns its DuckDB cursor (use it from one thread)."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        settings: AlertingSettings,
        channels: Mapping[str, Channel],
        *,
        now_getter: Callable[[], datetime],
        rng: random.Random | None = None,
    ) -> None:
        self._con = connection
        self._settings = settings
        self._channels = dict(channels)
        self._now = now_getter
        self._rng = rng or random.Random()
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, min(8, len(self._channels))), thread_name_prefix="deliver"
        )
        ensure_tables(connection)

    def deliver_due(self) -> list[Attempt]:
        """One pass over the due messages (see the module docstring)."""
        now = self._now()
        due = self._con.execute(
            """SELECT notification_id, channel, body, attempts FROM notification_outbox
            WHERE status = 'pending' AND next_attempt_at <= ?
            ORDER BY created_at, notification_id LIMIT ?""",
            [now, BATCH],
        ).fetchall()
        by_channel: dict[str, list[Due]] = defaultdict(list)
        for identity, channel, body, tried in due:
            by_channel[channel].append(Due(identity, channel, body, tried + 1))
        attempts: list[Attempt] = []
        for outcome in self._pool.map(self._send_all, by_channel.values()):
            attempts.extend(outcome)
        for attempt in attempts:
            record(self._con, attempt, self._settings, self._now(), self._rng)
        return attempts

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for channel in self._channels.values():
            channel.close()

    def _send_all(self, messages: list[Due]) -> list[Attempt]:
        """One channel's due messages, in order."""
        return [deliver(self._channels.get(m.channel), m, self._now()) for m in messages]
