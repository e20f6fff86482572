"""A read-only look at the event store: what is stored, what was refused and why."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.schema import TABLE_BY_TYPE


class StoreBusy(RuntimeError):
    """The store file is held by a running engine (DuckDB allows one writer, no readers)."""


def summarize(path: Path) -> list[str]:
    """Human-readable lines: events per table and vendor count, dead letters by reason, offsets."""
    if not path.exists():
        return [f"{path}: no event store yet (run `vendorwatch ingest` first)"]
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        raise StoreBusy(
            f"{path} is in use by a running engine; stop it to inspect the file ({exc})"
        ) from None
    try:
        lines = [f"event store {path}"]
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        for event_type, table in TABLE_BY_TYPE.items():
            if table not in present:  # a store of an older schema, not opened for writing since
                lines.append(f"  {table:<20} {'none':>10} yet: the store predates this kind")
                continue
            row = con.execute(
                f"SELECT count(*), count(DISTINCT vendor_id), min(occurred_at), max(occurred_at) "
                f"FROM {table}"
            ).fetchone()
            assert row is not None
            count, vendors, first, last = row
            span = f", {first:%Y-%m-%d} .. {last:%Y-%m-%d}" if count else ""
            lines.append(
                f"  {table:<20} {count:>10,} events  {vendors:>4} vendors{span}  ({event_type})"
            )
        dead = con.execute(
            "SELECT split_part(reason, ':', 1) AS field, count(*) FROM dead_letters "
            "GROUP BY ALL ORDER BY 2 DESC LIMIT 10"
        ).fetchall()
        total = sum(n for _, n in dead)
        lines.append(f"  dead letters {total:,}" + (":" if dead else ""))
        lines.extend(f"    {n:>8,}  {field}" for field, n in dead)
        offsets = con.execute(
            'SELECT topic, "partition", next_offset FROM consumer_offsets ORDER BY ALL'
        ).fetchall()
        lines.append("  consumer offsets (next to read):")
        lines.extend(f"    {t}[{p}] {o:,}" for t, p, o in offsets)
        return lines
    finally:
        con.close()
