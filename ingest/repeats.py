"""Finding repeated ``event_id``\\ s of a staged batch, set-wise in DuckDB.

The store stages each batch's accepted events in one temporary table per event type
(:func:`staged_table`: ``ord``, the record's position in the batch, then the event table's
columns). :func:`find_repeats` then sorts out, without a per-event Python loop:

* an event whose ``event_id`` is neither stored nor earlier in the batch is *new*;
* any other is a *repeat* of its reference: the stored event with that id if there is one,
  else the first event of the batch with that id. A repeat with the reference's type and equal
  content (:func:`ingest.schema.content_columns`, compared with ``IS NOT DISTINCT FROM``) is a
  *duplicate*; otherwise it is a *conflict*.

:func:`find_repeats` looks at one range of ``ord`` at a time (:data:`REPEATS_CHUNK_RECORDS`),
so the hash tables it builds stay the size of a chunk, not of a transaction: a topic replayed
by its producer makes every event of a 250k-event transaction a repeat. The store applies the
chunks in ``ord`` order within one transaction, each after the one before it is inserted, so
the first event of an id in an earlier chunk is already "stored" for the later ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ingest.schema import STORED_IDS_VIEW, TABLE_BY_TYPE, content_columns, table_columns

REPEATS_CHUNK_RECORDS = 50_000
"""Staged positions (``ord``) per :func:`find_repeats` call: the careful path's working memory
in DuckDB is about a chunk's ids three times over (hash tables of the batch's ids, their
first positions and the stored ids among them). Each chunk also scans the stored ids once."""


def staged_table(event_type: str) -> str:
    """Name of the temporary table staging a batch's accepted events of ``event_type``."""
    return f"staged_{TABLE_BY_TYPE[event_type]}"


def staging_ddl(event_type: str) -> str:
    """DDL of :func:`staged_table` (connection-local, created once per connection)."""
    columns = ", ".join(f'"{c.name}" {c.sql_type}' for c in table_columns(event_type))
    return f"CREATE TEMP TABLE IF NOT EXISTS {staged_table(event_type)} (ord INTEGER, {columns})"


@dataclass
class Repeats:
    """The repeats of a batch by ``ord``; every other staged event is new."""

    duplicates: set[int] = field(default_factory=set)
    conflicts: dict[int, str] = field(default_factory=dict)  # ord -> event_id
    types: dict[int, str] = field(default_factory=dict)  # ord -> its event type, every repeat

    def __bool__(self) -> bool:
        return bool(self.duplicates or self.conflicts)

    def ords(self, event_type: str | None = None) -> list[int]:
        """The repeats' positions (of ``event_type`` only, if given), in order."""
        return sorted(o for o, t in self.types.items() if event_type in (None, t))

    def update(self, other: Repeats) -> None:
        """Add the repeats of another chunk of the same transaction."""
        self.duplicates |= other.duplicates
        self.conflicts.update(other.conflicts)
        self.types.update(other.types)


_IN_CHUNK = "ord >= $first AND ord < $end"
"""The staged events of the chunk :func:`find_repeats` looks at. A plain range the scan itself
applies: without it DuckDB built its join's hash table from every staged event of the
transaction and filtered by ``$ords`` only afterwards (out of memory at a 48 MiB cap)."""


def _batch_ids() -> str:
    return " UNION ALL ".join(
        f"SELECT event_id, '{event_type}' AS type, ord FROM {staged_table(event_type)} "
        f"WHERE {_IN_CHUNK}"
        for event_type in TABLE_BY_TYPE
    )


_REPEATS = f"""
WITH ids AS ({_batch_ids()}),
firsts AS (SELECT event_id, arg_min(type, ord) AS first_type, min(ord) AS first_ord
           FROM ids GROUP BY event_id),
stored AS (SELECT event_id, type FROM {STORED_IDS_VIEW}
           WHERE event_id IN (SELECT event_id FROM ids))
SELECT i.ord, i.type, i.event_id, f.first_ord, f.first_type, s.type AS stored_type
FROM ids i JOIN firsts f USING (event_id) LEFT JOIN stored s USING (event_id)
WHERE s.event_id IS NOT NULL OR i.ord <> f.first_ord
"""
"""The repeats among the staged events at ``$first <= ord < $end``. The stored ids are scanned,
never hashed: ``IN`` builds its table from the chunk's ids, so the memory this needs does not
grow with the store."""


def _equal_content(event_type: str) -> str:
    return " AND ".join(
        f'r."{c.name}" IS NOT DISTINCT FROM x."{c.name}"' for c in content_columns(event_type)
    )


def _same_as_stored(event_type: str) -> str:
    return (
        f"SELECT r.ord FROM (SELECT * FROM {staged_table(event_type)} WHERE {_IN_CHUNK}) r "
        f"JOIN {TABLE_BY_TYPE[event_type]} x USING (event_id) "
        f"WHERE r.ord IN (SELECT unnest($ords)) AND {_equal_content(event_type)}"
    )


def _same_as_first(event_type: str) -> str:
    chunk = f"(SELECT * FROM {staged_table(event_type)} WHERE {_IN_CHUNK})"
    return (
        "SELECT r.ord FROM (SELECT unnest($ords) AS ord, unnest($firsts) AS first_ord) p "
        f"JOIN {chunk} r ON r.ord = p.ord JOIN {chunk} x ON x.ord = p.first_ord "
        f"WHERE {_equal_content(event_type)}"
    )


def find_repeats(con: duckdb.DuckDBPyConnection, first: int, end: int) -> Repeats:
    """Classify the repeats among the staged events at ``first <= ord < end`` against the
    stored events and the chunk's own (see the module docstring); reads only."""
    repeats = Repeats()
    chunk = {"first": first, "end": end}
    rows = con.execute(_REPEATS, chunk).fetchall()
    if not rows:
        return repeats
    vs_stored: dict[str, list[int]] = {}
    vs_first: dict[str, tuple[list[int], list[int]]] = {}
    for ord_, event_type, event_id, first_ord, first_type, stored_type in rows:
        reference_type = stored_type if stored_type is not None else first_type
        repeats.conflicts[ord_] = event_id  # until its content is found equal
        repeats.types[ord_] = event_type
        if reference_type != event_type:
            continue
        if stored_type is not None:
            vs_stored.setdefault(event_type, []).append(ord_)
        else:
            ords, firsts = vs_first.setdefault(event_type, ([], []))
            ords.append(ord_)
            firsts.append(first_ord)
    equal: list[int] = []
    for event_type, ords in vs_stored.items():
        found = con.execute(_same_as_stored(event_type), {**chunk, "ords": ords})
        equal += [r[0] for r in found.fetchall()]
    for event_type, (ords, firsts) in vs_first.items():
        found = con.execute(_same_as_first(event_type), {**chunk, "ords": ords, "firsts": firsts})
        equal += [r[0] for r in found.fetchall()]
    for ord_ in equal:
        del repeats.conflicts[ord_]
        repeats.duplicates.add(ord_)
    return repeats
