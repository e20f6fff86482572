"""The engine: one process that owns the DuckDB file — ingest plus the periodic metrics cycle.

:class:`MetricsCycle` runs :meth:`metrics.job.MetricsJob.run` every ``cycle_seconds`` on its own
DuckDB cursor (a separate connection to the same database instance, so it never shares a
transaction with the ingest writer) and reports each outcome. A failed cycle is logged and
retried on the next tick; it never stops ingest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from metrics.job import MetricsJob, RunOutcome
from vendorwatch.settings import MetricsSettings

log = logging.getLogger(__name__)

NowGetter = Callable[[], datetime]


def parse_as_of(text: str, reporting_tz: str) -> datetime:
    """``--as-of``: an RFC 3339 timestamp with offset, or a date meaning the end of that day in
    the reporting time zone (so ``--as-of 2026-03-31`` includes March 31st)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day + timedelta(days=1), time(), ZoneInfo(reporting_tz))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a date YYYY-MM-DD nor a timestamp such as 2026-03-31T12:00Z"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; add one, e.g. {text}Z or {text}+01:00")
    return moment


class MetricsCycle(threading.Thread):
    """Runs the metrics job every ``settings.cycle_seconds`` until :meth:`stop`."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        settings: MetricsSettings,
        *,
        now_getter: NowGetter,
        report: Callable[[str], None],
    ) -> None:
        super().__init__(name="metrics-cycle", daemon=True)
        self._cursor = connection.cursor()
        self._job = MetricsJob(self._cursor, settings)
        self._interval = settings.cycle_seconds
        self._now = now_getter
        self._report = report
        self._stopping = threading.Event()
        self.outcomes: list[RunOutcome] = []

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                self.run_once()
                self._stopping.wait(self._interval)
        finally:
            self._cursor.close()

    def run_once(self) -> RunOutcome | None:
        try:
            outcome = self._job.run(self._now())
        except duckdb.Error:
            log.exception("metrics cycle failed; retrying in %.0f s", self._interval)
            return None
        self.outcomes.append(outcome)
        self._report(outcome.summary())
        return outcome

    def stop(self) -> None:
        self._stopping.set()
