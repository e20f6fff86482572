"""Tables the metrics job writes from Python, declared once as typed columns.

A table written from Arrow batches (``rule_steps``, ``vendor_cost_trends``; ``alert_log``
shares its judged columns with ``rule_steps``) declares its columns once, with the same
:class:`ingest.columns.Column` and logical types (``text``, ``double``, ...) the event tables
use; its ``CREATE TABLE`` statement and the Arrow schema of its batches are both derived from
that declaration, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.columns import (
    Column,
    arrow_schema,
    bigint,
    boolean,
    col,
    date,
    double,
    integer,
    text,
    timestamp,
)

__all__ = [
    "Column",
    "arrow_schema",
    "bigint",
    "boolean",
    "col",
    "create_table",
    "date",
    "double",
    "integer",
    "text",
    "timestamp",
]


def create_table(table: str, columns: Sequence[Column]) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for ``columns`` in order; non-nullable ones ``NOT NULL``."""
    lines = ",\n".join(
        f"    {c.name} {c.sql_type}{'' if c.nullable else ' NOT NULL'}" for c in columns
    )
    return f"CREATE TABLE IF NOT EXISTS {table} (\n{lines}\n)"
