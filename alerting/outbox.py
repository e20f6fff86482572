"""The outbox stage: the planned messages, written in the planning transaction.

Contract:

* :func:`enqueue` puts one message in ``notification_outbox`` as ``pending``, due at once,
  with the exact body every attempt will send (and sign); the same news to the same channel
  at the same instant is one row (``ON CONFLICT DO NOTHING`` on its deterministic id).
* :func:`to_outbox` enqueues every message of the batch, then remembers each told alert as
  told now (``notified_alert_id``, ``last_notified_at``) — in the caller's transaction, so a
  state change and the messages it causes commit together: a crash loses neither, and never
  one without the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb

from alerting.config import AlertingSettings
from alerting.payload import AlertNews, VendorInfo, kind_of, notification, notification_id
from alerting.pipeline import Batch


def enqueue(
    con: duckdb.DuckDBPyConnection,
    settings: AlertingSettings,
    channel: str,
    vendor: VendorInfo,
    news: Sequence[AlertNews],
    now: datetime,
) -> None:
    """Put one message in the outbox (once: the same news at the same instant is one row)."""
    identity = notification_id(channel, vendor.vendor_id, news, now)
    document = notification(
        identity=identity, vendor=vendor, news=news, created_at=now, links=settings.link
    )
    body = document.to_json()
    con.execute(
        """INSERT INTO notification_outbox VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, NULL,
            NULL) ON CONFLICT DO NOTHING""",
        [identity, channel, vendor.vendor_id, kind_of(news), [n.alert_id for n in news], now,
         body, now],
    )  # fmt: skip


def to_outbox(con: duckdb.DuckDBPyConnection, batch: Batch) -> Batch:
    """The outbox stage (see the module docstring)."""
    for message in batch.messages:
        enqueue(con, batch.settings, message.channel, message.vendor, message.news, batch.now)
    for row in batch.told:
        con.execute(
            """UPDATE alert_state SET notified_alert_id = ?, last_notified_at = ?
            WHERE vendor_id = ? AND rule = ?""",
            [row["alert_id"], batch.now, row["vendor_id"], row["rule"]],
        )
    return batch
