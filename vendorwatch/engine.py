"""The engine: the one process that owns the DuckDB file, wired from its parts.

:func:`run` opens the store and runs, until ``stop`` is set, ingest on the calling thread (the
poller and its store writer), the metrics cycle (control commands, projections, scores, rules,
notifications planned in the run's transaction, then read-model publication) and the delivery
loop (the outbox drained to the channels) on threads of their own. It returns when ingest has
stopped and both loops have finished. Every instant comes from ``clock``; every progress line
goes to ``report``.

It raises what the store raises (:class:`~ingest.progress.StoreWriteFailed`, DuckDB errors
opening the file); the command line turns those into readable lines and an exit status.
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
    publisher = Publisher(settings.read_model, reporting_tz=settings.metrics.reporting_tz)

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
