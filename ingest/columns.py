"""Typed event-table columns: one list per kind drives both the DDL and the Arrow batches.

A kind's columns derive from its contract model (:func:`columns_of`); a column has one
logical type (:class:`ColumnType`: ``text``, ``integer``, ``bigint``, ``double``, ``boolean``,
``date``, ``timestamp``, ``money``, ``binary``), from which both its SQL type and its Arrow
type derive, so the two cannot disagree.

Each event table is ``COMMON`` + the kind's own columns + ``TRAILER`` (its *content*: equal
content means a harmless repeat) + ``PROVENANCE`` (where and when the record was read, and
``raw``, the record value exactly as received).
"""

from __future__ import annotations

import builtins
import datetime as dt
import types as types_module
import typing
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pyarrow as pa
from pydantic import BaseModel


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
binary = ColumnType("BLOB", pa.binary())


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


def create_table(table: str, columns: Sequence[Column]) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for ``columns`` in order: quoted names, their DDL types,
    ``USING COMPRESSION`` where set, ``NOT NULL`` unless nullable. The event tables and the
    tables the metrics job writes from Arrow batches are all made by it, so a table's DDL and
    its batches' schema (:func:`arrow_schema`) derive from the one column list."""
    lines = ",\n    ".join(
        f'"{c.name}" {c.sql_type}'
        + (f" USING COMPRESSION {c.compression}" if c.compression else "")
        + ("" if c.nullable else " NOT NULL")
        for c in columns
    )
    return f"CREATE TABLE IF NOT EXISTS {table} (\n    {lines}\n)"


def arrow_schema(columns: Sequence[Column]) -> pa.Schema:
    """The Arrow schema of ``columns``, in order (every field nullable, as Arrow's default)."""
    return pa.schema([(c.name, c.arrow_type) for c in columns])


_BY_PYTHON_TYPE: dict[type, ColumnType] = {
    str: text,
    bool: boolean,
    int: integer,
    float: double,
    Decimal: money,
    dt.date: date,
}


def columns_of(
    model: builtins.type[BaseModel],
    *,
    exclude: Collection[str] = (),
    types: Mapping[str, ColumnType] | None = None,
    names: Mapping[str, str] | None = None,
) -> tuple[Column, ...]:
    """The columns of ``model``'s fields, in field order, but those in ``exclude``: each typed
    by its Python type (``str`` and string ``Literal`` -> text, ``bool``, ``int`` -> integer,
    ``float`` -> double, ``Decimal`` -> money, ``date``), nullable when it may be ``None``.
    A nested model's fields are flattened as ``<field>_<name>`` (all nullable if the nested
    model is optional). ``types`` (by column name) and ``names`` (by path ``a.b``) override
    the derived type and name. ``TypeError`` for a field type without a column type."""
    return tuple(_columns(model, "", False, exclude, types or {}, names or {}))


def _columns(
    model: builtins.type[BaseModel],
    prefix: str,
    optional: bool,
    exclude: Collection[str],
    types: Mapping[str, ColumnType],
    names: Mapping[str, str],
) -> Iterator[Column]:
    for field, info in model.model_fields.items():
        if field in exclude:
            continue
        python_type, nullable = _unwrapped(info.annotation)
        path = f"{prefix}{field}"
        if isinstance(python_type, type) and issubclass(python_type, BaseModel):
            yield from _columns(python_type, f"{path}.", nullable, (), types, names)
            continue
        name = names.get(path, path.replace(".", "_"))
        column_type = types.get(name) or _BY_PYTHON_TYPE.get(python_type)  # type: ignore[call-overload]
        if column_type is None:
            raise TypeError(f"{model.__name__}.{field}: no column type for {python_type!r}")
        yield Column(name, column_type, path, nullable or optional)


def _unwrapped(annotation: object) -> tuple[object, bool]:
    """(the Python type under ``Annotated``, ``Literal`` and ``| None``, whether None is
    allowed)."""
    nullable = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is typing.Literal:
            return type(typing.get_args(annotation)[0]), nullable
        elif origin in (typing.Union, types_module.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            nullable = nullable or len(members) < len(typing.get_args(annotation))
            if len(members) != 1:
                return annotation, nullable
            annotation = members[0]
        else:
            return annotation, nullable


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
