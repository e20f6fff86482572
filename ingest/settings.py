"""Ingest's settings: the event store, the consumer group, topics, limits of the contract and
the batching of the store writer.

These are flat keys of the engine's settings (``VENDORWATCH_DB``, ``VENDORWATCH_GROUP_ID``,
``[topics]`` ...): :class:`vendorwatch.settings.Settings` extends :class:`IngestSettings`, so
ingest accepts the engine's settings as they are and never imports the composition root.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from pydantic import Field, field_validator

from ingest.connection import KafkaConnection
from ingest.topics import Topics

MEMORY_SIZE = r"^([0-9]+(?:\.[0-9]+)?) ?(KB|MB|GB|KiB|MiB|GiB)$"
"""A memory size as DuckDB reads one (``64MiB``, ``1.5 GB``): amount, then unit."""


class IngestSettings(KafkaConnection):
    """Everything ``vendorwatch ingest`` needs (and the engine's ingest half)."""

    db: Path = Field(
        default=Path("data/vendorwatch.duckdb"), description="The engine's DuckDB file."
    )
    group_id: str = Field(default="vendorwatch-engine", min_length=1)
    topics: Topics = Topics()
    max_future_skew: timedelta = Field(
        default=timedelta(hours=24), description="How far in the future occurred_at may be."
    )
    max_record_bytes: int = Field(
        default=1_048_576, gt=0, description="Larger records are dead-lettered."
    )
    batch_max_records: int = Field(
        default=50_000,
        gt=0,
        le=1_000_000,
        description="Polled records are handed to the store writer as a batch once they are "
        "at least this many (a batch ends up at most one poll, itself at most this many "
        "records, larger), or after batch_max_wait_ms.",
    )
    batch_max_wait_ms: int = Field(default=500, ge=1, le=60_000)
    ingest_memory_limit: str = Field(
        default="48MiB",
        pattern=MEMORY_SIZE,
        description="DuckDB memory limit of a standalone `vendorwatch ingest` (it stages a "
        "transaction's events in temporary tables that spill to disk beyond the limit; "
        "cached blocks are evicted). The engine, which also runs metrics, keeps DuckDB's "
        "default (80% of RAM).",
    )
    ingest_threads: int | None = Field(
        default=None,
        ge=1,
        le=1024,
        description="DuckDB threads of a standalone `vendorwatch ingest`. Unset: one fewer "
        "than the CPUs the process may run on (at least one), so that the polling thread, "
        "which holds Python's GIL, keeps a core to itself. The engine keeps DuckDB's default "
        "(one per CPU) for its metric jobs.",
    )
    transaction_max_records: int = Field(
        # >= 2 of DuckDB's row groups (122,880 rows): a transaction that large is written
        # straight to the table's blocks instead of through the WAL and a later checkpoint
        default=250_000,
        gt=0,
        le=10_000_000,
        description="While batches keep arriving faster than the store writer stages them, "
        "it goes on staging into one transaction of up to this many records (fewer, larger "
        "commits when ingest falls behind; staged events wait in DuckDB, not in Python).",
    )
    progress_interval_s: float = Field(default=5.0, gt=0)

    def ingest_writer_threads(self) -> int:
        """The DuckDB threads a standalone ingest uses: ``ingest_threads``, or one fewer than
        the CPUs this process may run on (never fewer than one)."""
        if self.ingest_threads is not None:
            return self.ingest_threads
        return max(1, len(os.sched_getaffinity(0)) - 1)

    @field_validator("max_future_skew")
    @classmethod
    def _non_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must not be negative")
        return value
