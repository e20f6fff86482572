"""Tables the metrics job writes from Python, declared once as typed columns.

A table written from Arrow batches (``rule_steps``, ``vendor_cost_trends``) declares its
columns once, as :class:`ingest.columns.Column` values (SQL type, Arrow type, nullability);
its ``CREATE TABLE`` statement and the Arrow schema of its batches are both derived from that
declaration, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from ingest.columns import Column


def create_table(table: str, columns: Sequence[Column]) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for ``columns`` in order; non-nullable ones ``NOT NULL``."""
    lines = ",\n".join(
        f"    {c.name} {c.sql_type}{'' if c.nullable else ' NOT NULL'}" for c in columns
    )
    return f"CREATE TABLE IF NOT EXISTS {table} (\n{lines}\n)"


def arrow_schema(columns: Sequence[Column]) -> pa.Schema:
    """The Arrow schema of a batch for ``columns``: the same names, order and types (the table,
    not the batch, enforces ``NOT NULL``)."""
    return pa.schema([(c.name, c.arrow_type) for c in columns])
