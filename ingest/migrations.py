"""The event store's schema history: numbered steps that upgrade a store written before.

A store records its version in ``store_meta``; :func:`ingest.schema.create_or_migrate` runs
the ``statements`` of every step above it, in order, then the current (idempotent) DDL, which
creates what is missing — such as a newly registered kind's table — and replaces the
``event_ids`` view over every kind. A step holds only what that DDL cannot do by itself
(dropping or reshaping what an older release left), and says why the version moved.

Adding a kind needs no step of its own: its table and its place in ``event_ids`` come with
the DDL on the next open. A step is for changes to what is already stored.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """Schema version ``version``: ``statements`` run on a store of a lower version."""

    version: int
    why: str
    statements: tuple[str, ...] = ()


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "the first schema: one table per event type, dead letters, offsets"),
    Migration(
        2,
        "event_ids became a view over the event tables (it was a table with a primary key, "
        "which made checking ids the dearest part of ingest; see ingest.ids)",
        ("DROP TABLE IF EXISTS event_ids",),
    ),
    Migration(
        3,
        "event kinds come from a registry: event_ids is replaced on every open (it was "
        "created only if missing, so a new kind's ids escaped the duplicate checks)",
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version
if [m.version for m in MIGRATIONS] != list(range(1, SCHEMA_VERSION + 1)):
    raise ImportError(
        "ingest.migrations: versions must be 1, 2, 3, ... in order"
    )  # pragma: no cover
