"""Typed event-table columns: one list per kind drives both the DDL and the Arrow batches.

Each event table is ``COMMON`` + the kind's own columns + ``TRAILER`` (its *content*: equal
content means a harmless repeat) + ``PROVENANCE`` (where and when the record was read, and
``raw``, the record value exactly as received).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

MONEY_SQL = "DECIMAL(18,4)"
MONEY_ARROW = pa.decimal128(18, 4)


@dataclass(frozen=True)
class Column:
    """One typed column: SQL type, Arrow type, and the attribute path on the event model."""

    name: str
    sql_type: str
    arrow_type: pa.DataType
    path: str
    nullable: bool = False
    compression: str | None = None  # DuckDB's choice unless set (``USING COMPRESSION``)


def col(
    name: str,
    sql: str,
    arrow: pa.DataType,
    path: str | None = None,
    *,
    null: bool = False,
    compression: str | None = None,
) -> Column:
    """A :class:`Column`; ``path`` defaults to ``name`` (``a.b`` reads a nested field)."""
    return Column(name, sql, arrow, path or name, null, compression)


COMMON = (
    col("event_id", "VARCHAR", pa.string()),
    col("vendor_id", "VARCHAR", pa.string()),
    col("occurred_at", "TIMESTAMPTZ", pa.timestamp("us", tz="UTC")),
)
TRAILER = (
    col("schema_version", "INTEGER", pa.int32()),
    col("source", "VARCHAR", pa.string(), null=True),
)
PROVENANCE = (
    col("topic", "VARCHAR", pa.string()),
    col("partition", "INTEGER", pa.int32()),
    col("offset", "BIGINT", pa.int64()),
    col("ingested_at", "TIMESTAMPTZ", pa.timestamp("us", tz="UTC")),
    # Stored, rarely read: zstd halves a response_times file against DuckDB's own choice and
    # costs the writer less CPU (1M events, make bench); read speed matters little here.
    col("raw", "VARCHAR", pa.string(), compression="zstd"),
)
