"""The event store's stable SQL interface: one table per event kind, dead letters, offsets.

Each event table has the common columns (``event_id``, ``vendor_id``, ``occurred_at``
TIMESTAMPTZ, ``schema_version``, ``source``), the kind's fields as typed columns (nested
profile objects flattened with a ``contract_``/``sla_``/``insourcing_`` prefix), and where the
event came from (``topic``, ``partition``, ``offset``, ``ingested_at``) plus ``raw``, the record
value exactly as received (unknown extra fields live only there). Tables are append-only.

The registry (:mod:`ingest.kinds`) names the tables and their columns; a column list *is* the
table definition: it drives both the DDL and the Arrow batches the store inserts, so the two
cannot drift apart. Schema changes of an existing store are the numbered steps of
:mod:`ingest.migrations`; :func:`create_or_migrate` applies them.
"""

from __future__ import annotations

import duckdb

from ingest.columns import COMMON, PROVENANCE, TRAILER, Column, create_table
from ingest.kinds import KINDS, kind_of
from ingest.migrations import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "COMMON",
    "DDL",
    "EVENT_COLUMNS",
    "PROVENANCE",
    "SCHEMA_VERSION",
    "STORED_IDS_VIEW",
    "TABLE_BY_TYPE",
    "TRAILER",
    "Column",
    "StoreSchemaTooNew",
    "content_columns",
    "create_or_migrate",
    "table_columns",
]

EVENT_COLUMNS: dict[str, tuple[Column, ...]] = {kind.type: kind.columns for kind in KINDS}
TABLE_BY_TYPE: dict[str, str] = {kind.type: kind.table for kind in KINDS}


def content_columns(event_type: str) -> tuple[Column, ...]:
    """The columns that make up an event's content: equal content means a harmless repeat."""
    return (*COMMON, *kind_of(event_type).columns, *TRAILER)


def table_columns(event_type: str) -> tuple[Column, ...]:
    """All columns of the event table for ``event_type``, in table order."""
    return (*content_columns(event_type), *PROVENANCE)


def _ddl_for(event_type: str) -> str:
    return create_table(TABLE_BY_TYPE[event_type], table_columns(event_type))


STORED_IDS_VIEW = "event_ids"

_STORED_IDS = " UNION ALL ".join(
    f"SELECT event_id, '{event_type}' AS type FROM {table}"
    for event_type, table in TABLE_BY_TYPE.items()
)

DDL: tuple[str, ...] = (
    *(_ddl_for(t) for t in TABLE_BY_TYPE),
    # Every stored event id once, whatever its kind: replaced on every open, so a kind added
    # to the registry is always in it (duplicate checks read this view).
    f"CREATE OR REPLACE VIEW {STORED_IDS_VIEW} AS {_STORED_IDS}",
    """CREATE TABLE IF NOT EXISTS dead_letters (
    topic VARCHAR NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    reason VARCHAR NOT NULL,
    raw BLOB,
    key BLOB,
    received_at TIMESTAMPTZ NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS consumer_offsets (
    topic VARCHAR NOT NULL,
    "partition" INTEGER NOT NULL,
    next_offset BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (topic, "partition")
)""",
)
"""The current schema, idempotent: every registered kind's table, the ``event_ids`` view over
all of them, dead letters and offsets."""


class StoreSchemaTooNew(RuntimeError):
    """The store was written by a newer vendorwatch, whose schema this build does not know."""


def create_or_migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Create the store's tables, or bring an older store's schema to :data:`SCHEMA_VERSION`,
    in one transaction: the migration steps above the store's version in order, then
    :data:`DDL`. Raises :class:`StoreSchemaTooNew` for a store of a newer schema."""
    con.begin()
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS store_meta "
            "(key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)"
        )
        found = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchall()
        version = int(found[0][0]) if found else SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise StoreSchemaTooNew(
                f"the store has schema version {version}, newer than this build's "
                f"{SCHEMA_VERSION}: open it with the vendorwatch version that wrote it"
            )
        for migration in MIGRATIONS:
            if migration.version > version:
                for statement in migration.statements:
                    con.execute(statement)
        for statement in DDL:
            con.execute(statement)
        con.execute(
            "INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
