"""Publishing read-model snapshots (:mod:`readmodel.contract`) after metrics runs.

The engine holds its DuckDB file exclusively, so readers get a copy of what they need from
all three parts (ingest's data quality, metrics, alerting). Contract:

* :func:`publish` copies :data:`READ_MODEL` (plus ``snapshot_meta``) into a new file
  ``<dir>/readmodel-<published_at>-<n>.duckdb`` inside one read transaction of the engine's
  database, so every table in a snapshot describes the same instant;
* only then it points ``<dir>/CURRENT`` at the new file (a temporary file renamed over it,
  atomic on POSIX): a reader sees the previous snapshot or the new one, never a partial one;
* it keeps the newest ``keep`` files and deletes older ones (a reader that still has one open
  goes on reading it: an unlinked file lives until closed);
* dead letters are published with a preview of their raw bytes (the first
  :data:`~readmodel.contract.RAW_PREVIEW_BYTES`), the command log without raw values.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from alerting.planner import ensure_tables
from control import apply as control
from ingest.schema import TABLE_BY_TYPE
from readmodel.contract import POINTER, RAW_PREVIEW_BYTES, SCHEMA_VERSION
from readmodel.settings import ReadModelSettings

log = logging.getLogger(__name__)

_LAST_EVENTS = " UNION ALL ".join(
    f"SELECT vendor_id, '{event_type}' AS type, count(*) AS events, max(occurred_at) AS last_at, "
    f"max(ingested_at) AS last_ingested_at FROM {table} GROUP BY vendor_id"
    for event_type, table in TABLE_BY_TYPE.items()
)

READ_MODEL: dict[str, str] = {
    "vendor_daily": "SELECT * FROM vendor_daily",
    "vendor_monthly": "SELECT * FROM vendor_monthly",
    "vendor_scores": "SELECT * FROM vendor_scores",
    "vendor_cost_trends": "SELECT * FROM vendor_cost_trends",
    "vendor_status": "SELECT * FROM vendor_status",
    "profile_terms": "SELECT * EXCLUDE (raw) FROM profile_terms",
    "rule_steps": "SELECT * FROM rule_steps",
    "alert_log": "SELECT * FROM alert_log",
    "alerts": "SELECT * FROM alerts",
    "notifications": "SELECT * FROM notifications",
    "silences": "SELECT * FROM silences",
    "policy_history": "SELECT * FROM policy_history",
    "command_log": "SELECT * EXCLUDE (raw) FROM command_log",
    "dead_letters": f"""SELECT * EXCLUDE (raw), octet_length(raw) AS raw_bytes,
        CAST(raw[1:{RAW_PREVIEW_BYTES}] AS BLOB) AS raw_preview FROM dead_letters""",
    "consumer_offsets": "SELECT * FROM consumer_offsets",
    "last_events": _LAST_EVENTS,
}
"""Snapshot table -> the query over the engine's database that fills it."""


def publish(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    published_at: datetime,
    *,
    keep: int = 3,
    reporting_tz: str = "UTC",
) -> Path:
    """Publish a snapshot of ``con``'s database (see the module docstring); returns its path.
    ``reporting_tz`` (the zone of ``vendor_monthly``'s months) goes into ``snapshot_meta``."""
    ensure_tables(con)
    control.ensure_tables(con)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = published_at.strftime("%Y%m%dT%H%M%S%fZ")
    path = _unused(directory, f"readmodel-{stamp}")
    con.execute("ATTACH ? AS readmodel", [str(path)])
    try:
        con.begin()
        try:
            for table, query in READ_MODEL.items():
                con.execute(f"CREATE TABLE readmodel.{table} AS {query}")
            con.execute(
                """CREATE TABLE readmodel.snapshot_meta AS SELECT
                    CAST(? AS TIMESTAMPTZ) AS published_at,
                    (SELECT CAST(value AS TIMESTAMPTZ) FROM metrics_state WHERE key = 'as_of')
                        AS as_of,
                    CAST(? AS INTEGER) AS schema_version,
                    CAST(? AS VARCHAR) AS reporting_tz""",
                [published_at, SCHEMA_VERSION, reporting_tz],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
    finally:
        con.execute("DETACH readmodel")
    pointer = directory / f".{POINTER}.tmp"
    pointer.write_text(path.name, encoding="utf-8")
    os.replace(pointer, directory / POINTER)
    _remove_old(directory, keep)
    return path


class Publisher:
    """Publishes after metrics runs, at most every ``settings.every_seconds``; a failure is
    logged and retried after the next run, never raised into the metrics cycle."""

    def __init__(self, settings: ReadModelSettings, *, reporting_tz: str) -> None:
        self._settings = settings
        self._reporting_tz = reporting_tz
        self._last: datetime | None = None

    def after_run(self, con: duckdb.DuckDBPyConnection, now: datetime) -> None:
        every = timedelta(seconds=self._settings.every_seconds)
        if self._last is not None and now - self._last < every:
            return
        try:
            publish(
                con,
                self._settings.dir,
                now,
                keep=self._settings.keep,
                reporting_tz=self._reporting_tz,
            )
        except (duckdb.Error, OSError):
            log.exception("publishing the read model to %s failed", self._settings.dir)
            return
        self._last = now


def _unused(directory: Path, stem: str) -> Path:
    n = 0
    while (path := directory / f"{stem}-{n}.duckdb").exists():
        n += 1
    return path


def _remove_old(directory: Path, keep: int) -> None:
    snapshots = sorted(directory.glob("readmodel-*.duckdb"), key=lambda p: p.stat().st_mtime)
    current = (directory / POINTER).read_text(encoding="utf-8").strip()
    for old in snapshots[: max(0, len(snapshots) - keep)]:
        if old.name != current:
            old.unlink(missing_ok=True)
            Path(f"{old}.wal").unlink(missing_ok=True)
