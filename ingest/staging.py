"""The store's staging, row by row: which records a transaction has not applied yet, events
the contract's models accepted and dead letters as rows, and the statements that move staged
events (:func:`staged_rows`) into the event tables and record the new offsets.

The bulk of every batch (surely valid response times) never passes through Python here: DuckDB
takes it straight from the raw records (:mod:`ingest.fastpath`). The Python lists built here
hold only the few records that needed pydantic.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from ingest.chunks import PartitionKey
from ingest.contract import EventBase
from ingest.records import AcceptedEvent, DeadLetter
from ingest.repeats import staged_table
from ingest.schema import TABLE_BY_TYPE, Column, table_columns


def not_yet_applied(
    incoming: pa.Table,
    bounds: dict[PartitionKey, tuple[int, int]],
    next_offsets: dict[PartitionKey, int],
) -> pa.Table:
    """The rows of ``incoming`` at or after their partition's stored next offset
    (``bounds``: its :func:`~ingest.chunks.offset_bounds`).

    Replays (after a rebalance or a crash) are rare: when every partition's first offset in
    the batch is already at or past its stored position, the batch is returned as it is."""
    if all(first >= next_offsets.get(key, 0) for key, (first, _) in bounds.items()):
        return incoming
    keep = [
        offset >= next_offsets.get((topic, partition), 0)
        for topic, partition, offset in zip(
            incoming["topic"].to_pylist(),
            incoming["partition"].to_pylist(),
            incoming["offset"].to_pylist(),
            strict=True,
        )
    ]
    return incoming.filter(pa.array(keep, pa.bool_()))


def stage_events(
    con: duckdb.DuckDBPyConnection,
    event_type: str,
    items: list[AcceptedEvent],
    ords: list[int],
    received_at: datetime,
) -> None:
    """Append accepted events of ``event_type`` (at positions ``ords`` of the transaction)
    to its :func:`~ingest.repeats.staged_table`."""
    columns = table_columns(event_type)
    arrays = [pa.array(ords, pa.int32())]
    arrays += [pa.array(column_values(c, items, received_at), c.arrow_type) for c in columns]
    batch = pa.Table.from_arrays(arrays, names=["ord", *(c.name for c in columns)])
    con.register("event_batch", batch)
    try:
        con.execute(f"INSERT INTO {staged_table(event_type)} SELECT * FROM event_batch").fetchall()
    finally:
        con.unregister("event_batch")


def staged_rows(
    event_type: str, *, ords: tuple[int, int] | None = None, skip: Sequence[int] = ()
) -> tuple[str, dict[str, object]]:
    """``FROM`` text and parameters for the staged events of ``event_type``: those at
    ``first <= ord < end`` when ``ords`` is given, but those at ``skip``. Parameter names
    are the type's own, so several types' texts can share one statement."""
    table = TABLE_BY_TYPE[event_type]
    conditions: list[str] = []
    params: dict[str, object] = {}
    if ords is not None:
        conditions.append(f"ord >= $first_{table} AND ord < $end_{table}")
        params.update({f"first_{table}": ords[0], f"end_{table}": ords[1]})
    if skip:
        conditions.append(f"ord NOT IN (SELECT unnest($skip_{table}))")
        params[f"skip_{table}"] = list(skip)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"{staged_table(event_type)}{where}", params


def insert_staged(
    con: duckdb.DuckDBPyConnection,
    event_type: str,
    *,
    ords: tuple[int, int] | None = None,
    skip: Sequence[int] = (),
) -> int:
    """Insert the :func:`staged_rows` of ``event_type`` into its table; returns how many."""
    names = ", ".join(f'"{c.name}"' for c in table_columns(event_type))
    rows, params = staged_rows(event_type, ords=ords, skip=skip)
    inserted = con.execute(
        f"INSERT INTO {TABLE_BY_TYPE[event_type]} SELECT {names} FROM {rows}", params or None
    ).fetchall()
    return int(inserted[0][0] or 0)


def upsert_next_offsets(
    con: duckdb.DuckDBPyConnection, next_offsets: dict[PartitionKey, int], at: datetime
) -> None:
    """Record each partition's next offset in ``consumer_offsets`` (never moving one back)."""
    positions = sorted(next_offsets.items())
    con.execute(
        "INSERT INTO consumer_offsets SELECT unnest($topics), unnest($partitions), "
        "unnest($next_offsets), $at "
        'ON CONFLICT (topic, "partition") DO UPDATE SET '
        "next_offset = greatest(consumer_offsets.next_offset, excluded.next_offset), "
        "updated_at = excluded.updated_at",
        {
            "topics": [topic for (topic, _), _ in positions],
            "partitions": [partition for (_, partition), _ in positions],
            "next_offsets": [next_offset for _, next_offset in positions],
            "at": at,
        },
    ).fetchall()


def insert_dead_letters(
    con: duckdb.DuckDBPyConnection, dead: list[DeadLetter], received_at: datetime
) -> None:
    """Append ``dead`` to ``dead_letters`` with their raw bytes, key and reason."""
    if not dead:
        return
    batch = pa.table(
        {
            "topic": pa.array([d.record.topic for d in dead], pa.string()),
            "partition": pa.array([d.record.partition for d in dead], pa.int32()),
            "offset": pa.array([d.record.offset for d in dead], pa.int64()),
            "reason": pa.array([d.reason for d in dead], pa.string()),
            "raw": pa.array([d.record.value for d in dead], pa.binary()),
            "key": pa.array([d.record.key for d in dead], pa.binary()),
        }
    )
    con.register("dead_batch", batch)
    try:
        con.execute(
            'INSERT INTO dead_letters SELECT topic, "partition", "offset", reason, raw, key, ? '
            "FROM dead_batch",
            [received_at],
        ).fetchall()
    finally:
        con.unregister("dead_batch")


def _value_at(event: EventBase, path: str) -> Any:
    value: Any = event
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value


def column_values(column: Column, items: list[AcceptedEvent], received_at: datetime) -> list[Any]:
    """The values of ``column`` for each accepted event, as its table stores them."""
    name = column.name
    if name == "topic":
        return [i.record.topic for i in items]
    if name == "partition":
        return [i.record.partition for i in items]
    if name == "offset":
        return [i.record.offset for i in items]
    if name == "ingested_at":
        return [received_at] * len(items)
    if name == "raw":
        return [(i.record.value or b"").decode("utf-8") for i in items]
    if "." in column.path:
        return [_value_at(i.event, column.path) for i in items]
    return [getattr(i.event, name) for i in items]
