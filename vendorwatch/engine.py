"""The engine: the one process that owns the DuckDB file, wired from its parts.

:func:`run` opens the store and runs, until ``stop`` is set, ingest on the calling thread (the
poller and its store writer), the metrics cycle (control commands, projections, scores, rules,
notifications planned in the run's transaction, then read-model publication) and the delivery
loop (the outbox drained to the channels) on threads of their own. It returns when ingest has
stopped and both loops have finished. Every instant comes from ``clock``; every progress line
goes to ``report``.

It raises what the store raises (:class:`~ingest.progress.StoreWriteFailed`, DuckDB errors
opening the file); the command line turns those into readable lines and an exit status.

:func:`recompute` is one metrics run (or a rebuild) outside the engine, wired the same way:
notifications planned in the run's transaction, then the read model published.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import closing
from datetime import datetime

import duckdb

from control.reader import ControlReader
from control.send import ControlTopic
from ingest.connection import kafka_client_options
from ingest.consumer import Ingestor
from ingest.deadletter import DeadLetterPublisher
from ingest.store import EventStore
from metrics.job import MetricsJob, RunOutcome
from readmodel.publish import Publisher
from vendorwatch.clock import Clock
from vendorwatch.delivery import DeliveryLoop, command_types, planner_hook
from vendorwatch.loops import MetricsCycle
from vendorwatch.settings import Settings


def run(
    settings: Settings, *, clock: Clock, stop: threading.Event, report: Callable[[str], None]
) -> None:
    """Run the engine on the store at ``settings.db`` until ``stop`` is set (see the module
    docstring). Opening the store raises ``duckdb.IOException`` when another process holds
    it and :class:`~ingest.schema.StoreSchemaTooNew` for a store of a newer release."""
    with closing(EventStore(settings.db)) as store:
        run_on(store, settings, clock=clock, stop=stop, report=report)


def run_on(
    store: EventStore,
    settings: Settings,
    *,
    clock: Clock,
    stop: threading.Event,
    report: Callable[[str], None],
) -> None:
    """:func:`run` on a store the caller has opened (and closes)."""
    delivery = DeliveryLoop(store.connection, settings, now_getter=clock)
    publisher = _publisher(settings)

    def after_run(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
        delivery.wake()
        publisher.after_run(con, now)

    cycle = MetricsCycle(
        store.connection,
        settings.metrics,
        now_getter=clock,
        report=report,
        control=ControlReader(
            ControlTopic(settings.topics.control, kafka_client_options(settings)),
            store.connection,
        ),
        notify=planner_hook(settings.alerting),
        command_types=command_types(settings.alerting),
        after_run=after_run,
    )
    delivery.start()
    cycle.start()
    try:
        Ingestor(
            settings,
            store,
            now_getter=clock,
            dead_letters=DeadLetterPublisher(settings),
            report=report,
            on_stored=cycle.wake,
        ).run(drain=False, stop=stop)
    finally:
        cycle.stop()
        cycle.join()
        delivery.stop()
        delivery.join()


def recompute(
    store: EventStore, settings: Settings, as_of: datetime, *, rebuild: bool, clock: Clock
) -> RunOutcome:
    """One metrics run on ``store`` as of ``as_of`` (``rebuild``: every projection dropped and
    recomputed from the events), its notifications queued in the run's transaction for a
    delivery loop to send, then the read model published; what the run did. Nothing else may
    hold the store (it is the engine's, see :func:`run`)."""
    now = clock()
    job = MetricsJob(store.connection, settings.metrics, notify=planner_hook(settings.alerting))
    outcome = (job.rebuild if rebuild else job.run)(as_of, now=now)
    _publisher(settings).after_run(store.connection, now)
    return outcome


def _publisher(settings: Settings) -> Publisher:
    return Publisher(settings.read_model, reporting_tz=settings.metrics.reporting_tz)
