"""Finding repeated ``event_id``\\ s of a staged batch, set-wise in DuckDB.

The store stages each batch's accepted events in one temporary table per event type
(:func:`staged_table`: ``ord``, the record's position in the batch, then the event table's
columns). :func:`find_repeats` then sorts out, without a per-event Python loop:

* an event whose ``event_id`` is neither stored nor earlier in the batch is *new*;
* any other is a *repeat* of its reference: the stored event with that id if there is one,
  else the first event of the batch with that id. A repeat with the reference's type and equal
  content (:func:`ingest.schema.content_columns`, compared with ``IS NOT DISTINCT FROM``) is a
  *duplicate*; otherwise it is a *conflict*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ingest.schema import STORED_IDS_VIEW, TABLE_BY_TYPE, content_columns, table_columns


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

    def __bool__(self) -> bool:
        return bool(self.duplicates or self.conflicts)

    def ords(self) -> list[int]:
        return sorted(self.duplicates | set(self.conflicts))


def _batch_ids() -> str:
    return " UNION ALL ".join(
        f"SELECT event_id, '{event_type}' AS type, ord FROM {staged_table(event_type)}"
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
"""The batch's repeats. The stored ids are scanned, never hashed: ``IN`` builds its table from
the batch's ids, so the memory this needs does not grow with the store."""


def _equal_content(event_type: str) -> str:
    return " AND ".join(
        f'r."{c.name}" IS NOT DISTINCT FROM x."{c.name}"' for c in content_columns(event_type)
    )


def _same_as_stored(event_type: str) -> str:
    return (
        f"SELECT r.ord FROM {staged_table(event_type)} r "
        f"JOIN {TABLE_BY_TYPE[event_type]} x USING (event_id) "
        f"WHERE list_contains($ords, r.ord) AND {_equal_content(event_type)}"
    )


def _same_as_first(event_type: str) -> str:
    staged = staged_table(event_type)
    return (
        "SELECT r.ord FROM (SELECT unnest($ords) AS ord, unnest($firsts) AS first_ord) p "
        f"JOIN {staged} r ON r.ord = p.ord JOIN {staged} x ON x.ord = p.first_ord "
        f"WHERE {_equal_content(event_type)}"
    )


def find_repeats(con: duckdb.DuckDBPyConnection) -> Repeats:
    """Classify the staged batch's repeats (see the module docstring); reads only."""
    repeats = Repeats()
    rows = con.execute(_REPEATS).fetchall()
    if not rows:
        return repeats
    vs_stored: dict[str, list[int]] = {}
    vs_first: dict[str, tuple[list[int], list[int]]] = {}
    for ord_, event_type, event_id, first_ord, first_type, stored_type in rows:
        reference_type = stored_type if stored_type is not None else first_type
        repeats.conflicts[ord_] = event_id  # until its content is found equal
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
        equal += [r[0] for r in con.execute(_same_as_stored(event_type), {"ords": ords}).fetchall()]
    for event_type, (ords, firsts) in vs_first.items():
        found = con.execute(_same_as_first(event_type), {"ords": ords, "firsts": firsts})
        equal += [r[0] for r in found.fetchall()]
    for ord_ in equal:
        del repeats.conflicts[ord_]
        repeats.duplicates.add(ord_)
    return repeats
