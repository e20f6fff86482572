"""Draining the outbox: at-least-once delivery, retries with backoff and jitter, dead letters.

Contract of :meth:`Dispatcher.deliver_due`:

* every ``pending`` message whose ``next_attempt_at`` has come is sent through its channel;
  messages of one channel go in creation order (a resolution never overtakes its firing),
  channels in parallel so one slow receiver does not hold up the others;
* the outcome is written after the send: ``delivered``, or another attempt at
  ``now + min(retry_max, retry_initial * 2**(attempt-1))`` scaled by a random factor in
  [0.5, 1] (jitter, so receivers recovering from an outage are not hit in lockstep), or
  ``dead`` after ``max_attempts`` or at once for a failure retrying cannot fix. A dead message
  stays in the outbox, is logged as an error and shows in the ``notifications`` view;
* a crash after the send and before the write sends the message again on restart, with the
  same ``notification_id`` (the receivers' idempotency key) and byte-identical body;
* every attempt is recorded in ``delivery_attempts``.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import orjson

from alerting.channels.base import Channel, Delivery, DeliveryError
from alerting.config import AlertingSettings
from alerting.planner import ensure_tables

log = logging.getLogger(__name__)

BATCH = 200


@dataclass(frozen=True)
class Attempt:
    """The outcome of sending one message once."""

    notification_id: str
    channel: str
    attempt: int
    started_at: datetime
    seconds: float
    delivered: bool
    retryable: bool
    detail: str


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
        by_channel: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        for identity, channel, body, tried in due:
            by_channel[channel].append((identity, body, tried + 1))
        attempts: list[Attempt] = []
        for outcome in self._pool.map(lambda item: self._send_all(*item), by_channel.items()):
            attempts.extend(outcome)
        for attempt in attempts:
            self._record(attempt)
        return attempts

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for channel in self._channels.values():
            channel.close()

    def _send_all(self, channel_name: str, messages: list[tuple[str, str, int]]) -> list[Attempt]:
        channel = self._channels.get(channel_name)
        out = []
        for identity, body, attempt in messages:
            started, clock = self._now(), time.perf_counter()
            if channel is None:
                detail = f"channel {channel_name!r} is not configured (any more)"
                out.append(
                    Attempt(identity, channel_name, attempt, started, 0.0, False, False, detail)
                )
                continue
            delivery = Delivery(identity, channel_name, orjson.loads(body), body.encode())
            try:
                detail, delivered, retryable = channel.send(delivery), True, True
            except DeliveryError as error:
                detail, delivered, retryable = str(error), False, error.retryable
            except Exception as error:  # a channel bug must not stop the others
                detail, delivered, retryable = f"{type(error).__name__}: {error}", False, True
            seconds = time.perf_counter() - clock
            out.append(
                Attempt(
                    identity, channel_name, attempt, started, seconds, delivered, retryable, detail
                )
            )
        return out

    def _backoff(self, attempt: int) -> timedelta:
        s = self._settings
        delay: timedelta = min(s.retry_max, s.retry_initial * 2 ** (attempt - 1))
        return delay * self._rng.uniform(0.5, 1.0)

    def _record(self, a: Attempt) -> None:
        now = self._now()
        dead = not a.delivered and (not a.retryable or a.attempt >= self._settings.max_attempts)
        status = "delivered" if a.delivered else "dead" if dead else "pending"
        outcome = "delivered" if a.delivered else "dead" if dead else "failed"
        next_at = now + self._backoff(a.attempt) if status == "pending" else now
        self._con.begin()
        try:
            self._con.execute(
                """UPDATE notification_outbox SET status = ?, attempts = ?, next_attempt_at = ?,
                    last_error = ?, delivered_at = ?
                WHERE notification_id = ? AND channel = ?""",
                [
                    status,
                    a.attempt,
                    next_at,
                    None if a.delivered else a.detail,
                    now if a.delivered else None,
                    a.notification_id,
                    a.channel,
                ],
            )
            self._con.execute(
                "INSERT INTO delivery_attempts VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    a.notification_id,
                    a.channel,
                    a.attempt,
                    a.started_at,
                    a.seconds,
                    outcome,
                    a.detail,
                ],
            )
            self._con.commit()
        except BaseException:
            self._con.rollback()
            raise
        if dead:
            log.error(
                "notification %s to %s dead-lettered after %d attempt(s): %s",
                a.notification_id,
                a.channel,
                a.attempt,
                a.detail,
            )
        elif not a.delivered:
            log.warning(
                "notification %s to %s failed (attempt %d), retrying at %s: %s",
                a.notification_id,
                a.channel,
                a.attempt,
                next_at.isoformat(),
                a.detail,
            )
