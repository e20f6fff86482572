"""The dedup/group stage: routes choose channels, and each vendor's news goes out together.

Contract of :func:`group`:

* **Routes** choose channels by vendor, tier, rule and severity; an alert no route matches
  stays untold (and is told if a route is added while it still matters).
* **Grouping.** Every alert of one vendor told in one pass goes in one message per channel,
  alerts in the plan's order (by rule), each alert once per message.
* **Dedup.** A message's identity is its channel, vendor, news and planning instant
  (:func:`alerting.payload.notification_id`), so planning the same news at the same instant
  twice is one outbox row; and a state is told once, since the outbox stage remembers it.
* The alerts topic's ``feed`` candidates become one message each, first, in the plan's order.
"""

from __future__ import annotations

import duckdb

from alerting.config import TOPIC_CHANNEL
from alerting.payload import AlertNews, VendorInfo
from alerting.pipeline import AlertRow, Batch, Message
from alerting.plan import news_of, vendor_of


def group(con: duckdb.DuckDBPyConnection, batch: Batch) -> Batch:
    """The dedup/group stage (see the module docstring); reads and writes nothing."""
    feed = [
        Message(TOPIC_CHANNEL, vendor_of(c.row), (news_of(c.row, c.change),))
        for c in batch.candidates
        if c.feed
    ]
    grouped: dict[tuple[str, str], list[AlertNews]] = {}
    vendors: dict[str, VendorInfo] = {}
    told: list[AlertRow] = []
    for candidate in batch.candidates:
        if candidate.feed:
            continue
        row = candidate.row
        vendor = row["vendor_id"]
        channels = batch.settings.channels_for(
            vendor_id=vendor, tier=row["tier"], rule=row["rule"], severity=row["severity"]
        )
        if not channels:
            continue
        vendors[vendor] = vendor_of(row)
        news = news_of(row, candidate.change)
        for channel in channels:
            grouped.setdefault((vendor, channel), []).append(news)
        told.append(row)
    messages = [
        Message(channel, vendors[vendor], tuple(news))
        for (vendor, channel), news in grouped.items()
    ]
    return batch.with_(messages=(*batch.messages, *feed, *messages), told=tuple(told))
