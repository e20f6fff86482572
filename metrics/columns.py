"""Tables the metrics job writes from Python, declared once as typed columns.

A table written from Arrow batches (``rule_steps``, ``vendor_cost_trends``; ``alert_log``
shares its judged columns with ``rule_steps``) declares its columns once, as
:class:`TableColumn` values (SQL type, Arrow type, nullability); its ``CREATE TABLE``
statement and the Arrow schema of its batches are both derived from that declaration, so they
cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class TableColumn:
    """One column of a metrics table: its DDL type, the Arrow type of its batches, and
    whether it may be NULL."""

    name: str
    sql_type: str
    arrow_type: pa.DataType
    nullable: bool = False


def col(name: str, sql_type: str, arrow_type: pa.DataType, *, null: bool = False) -> TableColumn:
    """A :class:`TableColumn` (``null``: the column may be NULL)."""
    return TableColumn(name, sql_type, arrow_type, null)


def create_table(table: str, columns: Sequence[TableColumn]) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for ``columns`` in order; non-nullable ones ``NOT NULL``."""
    lines = ",\n".join(
        f"    {c.name} {c.sql_type}{'' if c.nullable else ' NOT NULL'}" for c in columns
    )
    return f"CREATE TABLE IF NOT EXISTS {table} (\n{lines}\n)"


def arrow_schema(columns: Sequence[TableColumn]) -> pa.Schema:
    """The Arrow schema of a batch for ``columns``: the same names, order and types (the table,
    not the batch, enforces ``NOT NULL``)."""
    return pa.schema([(c.name, c.arrow_type) for c in columns])
