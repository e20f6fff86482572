"""The event store's stable SQL interface: one table per event type, dead letters, offsets.

Each event table has the common columns (``event_id``, ``vendor_id``, ``occurred_at``
TIMESTAMPTZ, ``schema_version``, ``source``), the contract's fields as typed columns (nested
profile objects flattened with a ``contract_``/``sla_``/``insourcing_`` prefix), and where the
event came from (``topic``, ``partition``, ``offset``, ``ingested_at``) plus ``raw``, the record
value exactly as received (unknown extra fields live only there). Tables are append-only.

Column order below *is* the table definition: :data:`EVENT_TABLES` drives both the DDL and the
Arrow batches the store inserts, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
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


def _col(
    name: str,
    sql: str,
    arrow: pa.DataType,
    path: str | None = None,
    *,
    null: bool = False,
    compression: str | None = None,
) -> Column:
    return Column(name, sql, arrow, path or name, null, compression)


COMMON = (
    _col("event_id", "VARCHAR", pa.string()),
    _col("vendor_id", "VARCHAR", pa.string()),
    _col("occurred_at", "TIMESTAMPTZ", pa.timestamp("us", tz="UTC")),
)
TRAILER = (
    _col("schema_version", "INTEGER", pa.int32()),
    _col("source", "VARCHAR", pa.string(), null=True),
)

EVENT_COLUMNS: dict[str, tuple[Column, ...]] = {
    "response_time": (
        _col("service", "VARCHAR", pa.string()),
        _col("latency_ms", "DOUBLE", pa.float64()),
        _col("success", "BOOLEAN", pa.bool_()),
        _col("request_id", "VARCHAR", pa.string(), null=True),
    ),
    "defect": (
        _col("defect_id", "VARCHAR", pa.string()),
        _col("status", "VARCHAR", pa.string()),
        _col("severity", "VARCHAR", pa.string()),
        _col("category", "VARCHAR", pa.string(), null=True),
        _col("units_affected", "INTEGER", pa.int32()),
    ),
    "security_incident": (
        _col("incident_id", "VARCHAR", pa.string()),
        _col("status", "VARCHAR", pa.string()),
        _col("severity", "VARCHAR", pa.string()),
        _col("category", "VARCHAR", pa.string(), null=True),
        _col("records_exposed", "BIGINT", pa.int64()),
    ),
    "cost_invoice": (
        _col("invoice_id", "VARCHAR", pa.string()),
        _col("period_start", "DATE", pa.date32()),
        _col("period_end", "DATE", pa.date32()),
        _col("amount", MONEY_SQL, MONEY_ARROW),
        _col("currency", "VARCHAR", pa.string()),
        _col("units", "DOUBLE", pa.float64(), null=True),
    ),
    "vendor_profile": (
        _col("name", "VARCHAR", pa.string()),
        _col("service", "VARCHAR", pa.string()),
        _col("tier", "VARCHAR", pa.string()),
        _col("contract_start_date", "DATE", pa.date32(), "contract.start_date"),
        _col("contract_end_date", "DATE", pa.date32(), "contract.end_date"),
        _col("notice_period_days", "INTEGER", pa.int32(), "contract.notice_period_days"),
        _col("monthly_fee", MONEY_SQL, MONEY_ARROW, "contract.monthly_fee"),
        _col("contract_currency", "VARCHAR", pa.string(), "contract.currency"),
        _col("termination_fee", MONEY_SQL, MONEY_ARROW, "contract.termination_fee", null=True),
        _col("auto_renew", "BOOLEAN", pa.bool_(), "contract.auto_renew", null=True),
        _col("sla_latency_p95_ms", "DOUBLE", pa.float64(), "sla.latency_p95_ms", null=True),
        _col("sla_success_rate_min", "DOUBLE", pa.float64(), "sla.success_rate_min", null=True),
        _col("sla_defects_per_1k_max", "DOUBLE", pa.float64(), "sla.defects_per_1k_max", null=True),
        _col("sla_service_credit_pct", "DOUBLE", pa.float64(), "sla.service_credit_pct", null=True),
        _col(
            "insourcing_monthly_cost", MONEY_SQL, MONEY_ARROW, "insourcing.monthly_cost", null=True
        ),
        _col(
            "insourcing_one_time_cost",
            MONEY_SQL,
            MONEY_ARROW,
            "insourcing.one_time_cost",
            null=True,
        ),
        _col(
            "insourcing_lead_time_days",
            "INTEGER",
            pa.int32(),
            "insourcing.lead_time_days",
            null=True,
        ),
        _col("insourcing_currency", "VARCHAR", pa.string(), "insourcing.currency", null=True),
    ),
}

PROVENANCE = (
    _col("topic", "VARCHAR", pa.string()),
    _col("partition", "INTEGER", pa.int32()),
    _col("offset", "BIGINT", pa.int64()),
    _col("ingested_at", "TIMESTAMPTZ", pa.timestamp("us", tz="UTC")),
    # Stored, rarely read: zstd halves a response_times file against DuckDB's own choice and
    # costs the writer less CPU (1M events, make bench); read speed matters little here.
    _col("raw", "VARCHAR", pa.string(), compression="zstd"),
)

TABLE_BY_TYPE = {
    "response_time": "response_times",
    "defect": "defects",
    "security_incident": "security_incidents",
    "cost_invoice": "cost_invoices",
    "vendor_profile": "vendor_profiles",
}


def content_columns(event_type: str) -> tuple[Column, ...]:
    """The columns that make up an event's content: equal content means a harmless repeat."""
    return (*COMMON, *EVENT_COLUMNS[event_type], *TRAILER)


def table_columns(event_type: str) -> tuple[Column, ...]:
    """All columns of the event table for ``event_type``, in table order."""
    return (*content_columns(event_type), *PROVENANCE)


def _ddl_for(event_type: str) -> str:
    columns = ",\n    ".join(
        f'"{c.name}" {c.sql_type}'
        + (f" USING COMPRESSION {c.compression}" if c.compression else "")
        + ("" if c.nullable else " NOT NULL")
        for c in table_columns(event_type)
    )
    return f"CREATE TABLE IF NOT EXISTS {TABLE_BY_TYPE[event_type]} (\n    {columns}\n)"


SCHEMA_VERSION = 2
"""Version 2: ``event_ids`` is a view over the event tables (it was a table with a primary key,
which made checking ids the dearest part of ingest; see :mod:`ingest.ids`)."""

STORED_IDS_VIEW = "event_ids"

_STORED_IDS = " UNION ALL ".join(
    f"SELECT event_id, '{event_type}' AS type FROM {table}"
    for event_type, table in TABLE_BY_TYPE.items()
)

DDL: tuple[str, ...] = (
    *(_ddl_for(t) for t in TABLE_BY_TYPE),
    # Every stored event id once, whatever its type.
    f"CREATE VIEW IF NOT EXISTS {STORED_IDS_VIEW} AS {_STORED_IDS}",
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


class StoreSchemaTooNew(RuntimeError):
    """The store was written by a newer vendorwatch, whose schema this build does not know."""


def create_or_migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Create the store's tables, or bring an older store's schema to :data:`SCHEMA_VERSION`,
    in one transaction. Raises :class:`StoreSchemaTooNew` for a store of a newer schema."""
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
        if version < 2:  # the ids are held in memory now (ingest.ids); the view replaces them
            con.execute("DROP TABLE IF EXISTS event_ids")
        for statement in DDL:
            con.execute(statement)
        con.execute(
            "INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
