"""The engine's loops: :class:`WakeableLoop`, and :class:`MetricsCycle` on top of it.

:class:`MetricsCycle` runs :meth:`metrics.job.MetricsJob.run` when ingest stored new events
(no sooner than ``cycle_min_seconds`` after the previous run) and at least every
``cycle_seconds``, on its own DuckDB cursor (a separate connection to the same database
instance, so it never shares a transaction with the ingest writer) and reports each outcome.
Before each run it applies the commands that arrived on the control topic
(:class:`~control.reader.ControlReader`, :func:`control.apply.apply_commands`).
A failed cycle is logged and retried on the next tick; it never stops ingest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime

import duckdb
from kafka.errors import KafkaError

from control.apply import apply_commands
from control.model import CommandType
from control.reader import ControlReader
from metrics.job import MetricsJob, Notify, RunOutcome
from metrics.settings import MetricsSettings
from vendorwatch.clock import Clock

log = logging.getLogger(__name__)

AfterRun = Callable[[duckdb.DuckDBPyConnection, datetime], None]
"""Called on the cycle's thread with its cursor after each committed run (deliver, publish)."""


class WakeableLoop(threading.Thread):
    """Calls :meth:`work` until :meth:`stop`: again soon after :meth:`wake` (no sooner than
    ``min_gap`` seconds after the previous call) and at least every ``interval`` seconds."""

    def __init__(self, name: str, *, interval: float, min_gap: float = 0.0) -> None:
        super().__init__(name=name, daemon=True)
        self._interval = interval
        self._min_gap = min_gap
        self._stopping = threading.Event()
        self._woken = threading.Event()

    def work(self) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Called once, on the loop's thread, when it ends."""

    def wake(self) -> None:
        self._woken.set()

    def stop(self) -> None:
        self._stopping.set()
        self._woken.set()

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._woken.clear()
                self.work()
                if self._stopping.wait(self._min_gap):
                    break
                self._woken.wait(max(0.0, self._interval - self._min_gap))
        finally:
            self.finish()


class MetricsCycle(WakeableLoop):
    """Runs the metrics job when :meth:`wake` says new events are stored (no sooner than
    ``cycle_min_seconds`` after the previous run) and at least every ``cycle_seconds`` (time
    alone completes periods, ends silences, makes repeats due), until :meth:`stop`."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        settings: MetricsSettings,
        *,
        now_getter: Clock,
        report: Callable[[str], None],
        control: ControlReader | None = None,
        notify: Notify | None = None,
        command_types: Mapping[str, CommandType],
        after_run: AfterRun | None = None,
    ) -> None:
        super().__init__(
            "metrics-cycle", interval=settings.cycle_seconds, min_gap=settings.cycle_min_seconds
        )
        self._cursor = connection.cursor()
        self._job = MetricsJob(self._cursor, settings, notify=notify)
        self._now = now_getter
        self._report = report
        self._control = control
        self._command_types = command_types
        self._after_run = after_run

    def work(self) -> None:
        self.run_once()

    def finish(self) -> None:
        if self._control is not None:
            self._control.close()
        self._cursor.close()

    def run_once(self) -> RunOutcome | None:
        try:
            now = self._now()
            if self._control is not None:
                records = self._control.poll()
                baseline = self._job.policy
                for applied in apply_commands(
                    self._cursor, records, now, baseline=baseline, types=self._command_types
                ):
                    who = applied.command.issued_by if applied.command else "unknown sender"
                    self._report(f"control command from {who}: {applied.status}: {applied.detail}")
            outcome = self._job.run(now)
        except (duckdb.Error, KafkaError):
            log.exception("metrics cycle failed; retrying in %.0f s", self._interval)
            if self._control is not None:
                self._control.rewind()
            return None
        self._report(outcome.summary())
        if self._after_run is not None:
            self._after_run(self._cursor, now)
        return outcome
