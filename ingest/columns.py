"""Typed event-table columns: one list per kind drives both the DDL and the Arrow batches.

A column is declared with one logical type (:class:`ColumnType`: ``text``, ``integer``,
``bigint``, ``double``, ``boolean``, ``date``, ``timestamp``, ``money``), from which both its
SQL type and its Arrow type derive, so the two cannot disagree.

Each event table is ``COMMON`` + the kind's own columns + ``TRAILER`` (its *content*: equal
content means a harmless repeat) + ``PROVENANCE`` (where and when the record was read, and
``raw``, the record value exactly as received).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class ColumnType:
    """A logical column type: its DuckDB DDL type and the Arrow type of its batches."""

    sql: str
    arrow: pa.DataType


text = ColumnType("VARCHAR", pa.string())
integer = ColumnType("INTEGER", pa.int32())
bigint = ColumnType("BIGINT", pa.int64())
double = ColumnType("DOUBLE", pa.float64())
boolean = ColumnType("BOOLEAN", pa.bool_())
date = ColumnType("DATE", pa.date32())
timestamp = ColumnType("TIMESTAMPTZ", pa.timestamp("us", tz="UTC"))
money = ColumnType("DECIMAL(18,4)", pa.decimal128(18, 4))
"""Exact decimal money: 18 digits, 4 after the point."""

MONEY_SQL = money.sql
MONEY_ARROW = money.arrow


@dataclass(frozen=True)
class Column:
    """One typed column: its logical type, and the attribute path on the event model."""

    name: str
    type: ColumnType
    path: str
    nullable: bool = False
    compression: str | None = None  # DuckDB's choice unless set (``USING COMPRESSION``)

    @property
    def sql_type(self) -> str:
        """The column's DDL type."""
        return self.type.sql

    @property
    def arrow_type(self) -> pa.DataType:
        """The column's Arrow type in a staged batch."""
        return self.type.arrow


def col(
    name: str,
    type_: ColumnType,
    path: str | None = None,
    *,
    null: bool = False,
    compression: str | None = None,
) -> Column:
    """A :class:`Column`; ``path`` defaults to ``name`` (``a.b`` reads a nested field)."""
    return Column(name, type_, path or name, null, compression)


def nested(part: str, fields: tuple[Column, ...], *, null: bool = False) -> tuple[Column, ...]:
    """``fields`` of the nested object ``part``, flattened: each column named
    ``<part>_<name>``, reading ``<part>.<name>``; ``null``: all nullable (an optional part)."""
    return tuple(
        Column(f"{part}_{c.name}", c.type, f"{part}.{c.path}", c.nullable or null, c.compression)
        for c in fields
    )


COMMON = (
    col("event_id", text),
    col("vendor_id", text),
    col("occurred_at", timestamp),
)
TRAILER = (
    col("schema_version", integer),
    col("source", text, null=True),
)
PROVENANCE = (
    col("topic", text),
    col("partition", integer),
    col("offset", bigint),
    col("ingested_at", timestamp),
    # Stored, rarely read: zstd halves a response_times file against DuckDB's own choice and
    # costs the writer less CPU (1M events, make bench); read speed matters little here.
    col("raw", text, compression="zstd"),
)
