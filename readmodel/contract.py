"""The read-model contract: where the dashboard finds the engine's latest snapshot.

A snapshot is a DuckDB file ``<dir>/readmodel-<published_at>-<n>.duckdb`` holding copies of
the engine's tables (``readmodel.publish.READ_MODEL``) plus ``snapshot_meta`` (published_at,
as_of, schema_version, reporting_tz). ``<dir>/CURRENT`` names the newest complete one; it is
replaced atomically, so a reader sees the previous snapshot or the new one, never a partial
one. Readers open snapshots read-only and never the engine's own file (DuckDB allows one
writer per file). Dead letters carry only the first :data:`RAW_PREVIEW_BYTES` of their raw
bytes; the command log carries no raw values.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import duckdb

T = TypeVar("T")

SCHEMA_VERSION = 1
RAW_PREVIEW_BYTES = 512
POINTER = "CURRENT"


class NoSnapshot(Exception):
    """No snapshot has been published in the directory yet."""


@dataclass(frozen=True)
class Snapshot:
    """An open snapshot: a read-only connection and what it describes."""

    connection: duckdb.DuckDBPyConnection
    path: Path
    published_at: datetime
    as_of: datetime | None


def read_current(directory: Path, opener: Callable[[Path], T]) -> T:
    """``opener`` applied to the snapshot ``CURRENT`` names. The file named may be removed
    between reading the pointer and opening it (a publication in between), so a failed open
    reads the pointer again; :class:`NoSnapshot` when nothing was published yet."""
    for attempt in range(3):
        try:
            name = (directory / POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise NoSnapshot(f"no snapshot in {directory} yet (is the engine running?)") from None
        try:
            return opener(directory / name)
        except duckdb.IOException:
            if attempt == 2:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def open_snapshot(path: Path) -> Snapshot:
    """One snapshot file, read-only, with its metadata."""
    con = duckdb.connect(str(path), read_only=True)
    published_at, as_of = con.execute("SELECT published_at, as_of FROM snapshot_meta").fetchall()[0]
    return Snapshot(con, path, published_at, as_of)


def open_current(directory: Path) -> Snapshot:
    """The current snapshot, read-only (see the module docstring)."""
    return read_current(directory, open_snapshot)
