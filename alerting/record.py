"""The record stage: what an attempt did to its message, kept for good.

Contract of :func:`record` (one transaction per attempt):

* the attempt goes into ``delivery_attempts`` (when, how long, outcome, detail);
* its outbox row becomes ``delivered`` (with ``delivered_at``), or stays ``pending`` with the
  next attempt at ``now + min(retry_max, retry_initial * 2**(attempt-1))`` scaled by a random
  factor in [0.5, 1] (jitter, so receivers recovering from an outage are not hit in lockstep),
  or becomes ``dead`` after ``max_attempts`` or at once for a failure retrying cannot fix;
* a dead message stays in the outbox (the dead letter: the ``notifications`` view shows it)
  and is logged as an error; a failure to be retried is logged as a warning.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

import duckdb

from alerting.config import AlertingSettings
from alerting.deliver import Attempt

log = logging.getLogger("alerting.dispatcher")  # where dead letters have always been logged


def backoff(settings: AlertingSettings, attempt: int, rng: random.Random) -> timedelta:
    """The delay before the attempt after ``attempt`` (see the module docstring)."""
    delay: timedelta = min(settings.retry_max, settings.retry_initial * 2 ** (attempt - 1))
    return delay * rng.uniform(0.5, 1.0)


def record(
    con: duckdb.DuckDBPyConnection,
    a: Attempt,
    settings: AlertingSettings,
    now: datetime,
    rng: random.Random,
) -> None:
    """Write ``a``'s outcome at ``now`` (see the module docstring)."""
    dead = not a.delivered and (not a.retryable or a.attempt >= settings.max_attempts)
    status = "delivered" if a.delivered else "dead" if dead else "pending"
    outcome = "delivered" if a.delivered else "dead" if dead else "failed"
    next_at = now + backoff(settings, a.attempt, rng) if status == "pending" else now
    con.begin()
    try:
        con.execute(
            """UPDATE notification_outbox SET status = ?, attempts = ?, next_attempt_at = ?,
                last_error = ?, delivered_at = ?
            WHERE notification_id = ? AND channel = ?""",
            [status, a.attempt, next_at, None if a.delivered else a.detail,
             now if a.delivered else None, a.notification_id, a.channel],
        )  # fmt: skip
        con.execute(
            "INSERT INTO delivery_attempts VALUES (?, ?, ?, ?, ?, ?, ?)",
            [a.notification_id, a.channel, a.attempt, a.started_at, a.seconds, outcome, a.detail],
        )
        con.commit()
    except BaseException:
        con.rollback()
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
