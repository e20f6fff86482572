"""Kafka records as Arrow: the compact form in which polled records travel to the store.

A kafka-python ``ConsumerRecord`` costs ~640 bytes of Python objects; the same record as a row
of :data:`RECORD_SCHEMA` costs its key and value plus ~20 bytes. The consumer turns each polled
partition's records into one chunk right away, so a batch waiting for the writer holds only
Arrow buffers, and the writer hands those buffers to DuckDB without touching a record again.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from ingest.columns import arrow_schema, bigint, binary, col, integer, text
from ingest.records import ConsumedRecord, Record

PartitionKey = tuple[str, int]

RECORD_COLUMNS = (
    col("topic", text),
    col("partition", integer),
    col("offset", bigint),
    col("key", binary, null=True),
    col("value", binary, null=True),
)
RECORD_SCHEMA = arrow_schema(RECORD_COLUMNS)
_TOPIC, _PARTITION, _OFFSET, _KEY, _VALUE = (c.arrow_type for c in RECORD_COLUMNS)


def partition_chunk(topic: str, partition: int, records: Sequence[ConsumedRecord]) -> pa.Table:
    """The records polled from one partition (all of ``topic``/``partition``) as a table."""
    n = len(records)
    return pa.Table.from_arrays(
        [
            pa.repeat(pa.scalar(topic, _TOPIC), n),
            pa.repeat(pa.scalar(partition, _PARTITION), n),
            pa.array([r.offset for r in records], _OFFSET),
            pa.array([r.key for r in records], _KEY),
            pa.array([r.value for r in records], _VALUE),
        ],
        schema=RECORD_SCHEMA,
    )


def records_table(records: Sequence[ConsumedRecord]) -> pa.Table:
    """Any records (of any partitions, in order) as one table of :data:`RECORD_SCHEMA`."""
    return pa.Table.from_arrays(
        [pa.array([getattr(r, c.name) for r in records], c.arrow_type) for c in RECORD_COLUMNS],
        schema=RECORD_SCHEMA,
    )


def concat(chunks: Sequence[pa.Table]) -> pa.Table:
    """The chunks, in order, as one table (no copy of the buffers)."""
    if not chunks:
        return RECORD_SCHEMA.empty_table()
    return pa.concat_tables(chunks)


def offset_bounds(table: pa.Table) -> dict[PartitionKey, tuple[int, int]]:
    """The lowest and highest offset of each partition (topic, partition) in ``table``.

    Compute kernels only, not ``Table.group_by``: that loads pyarrow's Acero engine, and with
    it the dataset and filesystem layers (S3, GCS, HDFS clients), ~45 MB resident for a
    process that never reads a file through pyarrow (make bench: peak RSS of ingest)."""
    bounds: dict[PartitionKey, tuple[int, int]] = {}
    if not table.num_rows:
        return bounds
    positions = table.select(["topic", "partition", "offset"])
    for topic in pc.unique(positions["topic"]).to_pylist():
        of_topic = positions.filter(pc.equal(positions["topic"], topic))
        for partition in pc.unique(of_topic["partition"]).to_pylist():
            offsets = of_topic["offset"].filter(pc.equal(of_topic["partition"], partition))
            low_high = pc.min_max(offsets)
            bounds[(topic, partition)] = (low_high["min"].as_py(), low_high["max"].as_py())
    return bounds


def records_at(table: pa.Table, rows: Sequence[int]) -> list[Record]:
    """The rows of a :data:`RECORD_SCHEMA` table as :class:`Record` objects, in ``rows`` order
    (for the few records that need Python: the contract's slow path and dead letters)."""
    if not rows:
        return []
    picked = table.select(RECORD_SCHEMA.names).take(pa.array(rows, pa.int64()))
    return [Record(**row) for row in picked.to_pylist()]
