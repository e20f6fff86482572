"""``vendorwatch metrics run``, ``vendorwatch rebuild`` and ``vendorwatch run`` (the engine).

Exit status: 0 done, 1 the store is held by another process, 2 bad settings or options.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vendorwatch.settings import Settings

if TYPE_CHECKING:  # imported when a command runs: `vendorwatch ingest` must start fast
    import duckdb

    from ingest.store import EventStore

metrics_app = typer.Typer(help="Compute projections, scores and rules.", no_args_is_help=True)

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Compute as of this date (end of that day, reporting time zone) or timestamp.",
    ),
]


def _as_of(text: str | None, settings: Settings) -> datetime:
    from vendorwatch.cli import utc_now
    from vendorwatch.engine import parse_as_of

    if text is None:
        return utc_now()
    try:
        return parse_as_of(text, settings.metrics.reporting_tz)
    except ValueError as exc:
        typer.echo(f"vendorwatch: --as-of: {exc}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def read_store(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the store, or exit 1 with a readable message."""
    import duckdb

    if not settings.db.exists():
        typer.echo(f"vendorwatch: {settings.db}: no event store yet", err=True)
        raise typer.Exit(1)
    try:
        con = duckdb.connect(str(settings.db), read_only=True)
    except duckdb.IOException as exc:
        typer.echo(_busy(settings, exc), err=True)
        raise typer.Exit(1) from None
    try:
        yield con
    finally:
        con.close()


def _busy(settings: Settings, exc: Exception) -> str:
    return (
        f"vendorwatch: {settings.db} is in use by another process (is the engine running? "
        f"DuckDB allows one writer): {exc}"
    )


@contextmanager
def open_store(
    settings: Settings, *, memory_limit: str | None = None, threads: int | None = None
) -> Iterator[EventStore]:
    """The store (see :class:`~ingest.store.EventStore` for ``memory_limit`` and ``threads``),
    or exit 1 with a readable message if another process holds it."""
    import duckdb

    from ingest.schema import StoreSchemaTooNew
    from ingest.store import EventStore

    try:
        store = EventStore(settings.db, memory_limit=memory_limit, threads=threads)
    except duckdb.IOException as exc:
        typer.echo(_busy(settings, exc), err=True)
        raise typer.Exit(1) from None
    except StoreSchemaTooNew as exc:
        typer.echo(f"vendorwatch: {settings.db}: {exc}", err=True)
        raise typer.Exit(1) from None
    try:
        yield store
    finally:
        store.close()


@metrics_app.command("run")
def metrics_run(as_of: AsOf = None) -> None:
    """Recompute what changed since the last run (periods touched by new or late events);
    queue the notifications it causes and publish the dashboard's read model."""
    _recompute(as_of, rebuild=False)


def rebuild(as_of: AsOf = None) -> None:
    """Drop every projection and recompute it from the event store."""
    _recompute(as_of, rebuild=True)


def _recompute(as_of: str | None, *, rebuild: bool) -> None:
    from metrics.job import MetricsJob
    from vendorwatch.cli import settings_or_exit, utc_now
    from vendorwatch.delivery import planner_hook
    from vendorwatch.readmodel import Publisher

    settings = settings_or_exit()
    moment = _as_of(as_of, settings)
    with open_store(settings) as store:
        job = MetricsJob(store.connection, settings.metrics, notify=planner_hook(settings.alerting))
        outcome = (job.rebuild if rebuild else job.run)(moment, now=utc_now())
        publisher = Publisher(settings.read_model, reporting_tz=settings.metrics.reporting_tz)
        publisher.after_run(store.connection, utc_now())
    typer.echo(outcome.summary())


def explain(
    vendor: Annotated[str, typer.Argument(help="The vendor_id to explain.")],
    as_of: AsOf = None,
) -> None:
    """Why VENDOR has its scores and flags, in plain words with the numbers."""
    from metrics.explain import explain_vendor
    from vendorwatch.cli import settings_or_exit

    settings = settings_or_exit()
    with read_store(settings) as con:
        if as_of is None:
            row = con.execute("SELECT value FROM metrics_state WHERE key = 'as_of'").fetchone()
            if row is None:
                typer.echo("vendorwatch: no metrics yet; run `vendorwatch metrics run`", err=True)
                raise typer.Exit(1)
            moment = datetime.fromisoformat(str(row[0]))
        else:
            moment = _as_of(as_of, settings)
        day = (moment.astimezone(UTC) - timedelta(microseconds=1)).date()
        lines = explain_vendor(con, vendor, day)
    if lines is None:
        typer.echo(f"vendorwatch: no scores for vendor {vendor!r} on or before {day}", err=True)
        raise typer.Exit(1)
    for line in lines:
        typer.echo(line)


def backtest(
    policy: Annotated[Path, typer.Option("--policy", help="The candidate policy file (TOML).")],
    start: Annotated[
        str | None, typer.Option("--from", help="First period to report (YYYY-MM-DD).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last period to report.")] = None,
) -> None:
    """Replay history under a candidate policy: which alerts would have fired, per vendor.
    Reads only; live state is untouched."""
    from metrics.backtest import backtest as run_backtest
    from metrics.policy import load_policy
    from metrics.policy_errors import PolicyError
    from vendorwatch.cli import settings_or_exit

    settings = settings_or_exit()
    try:
        candidate = load_policy(policy)
        first, last = (_date_option(name, v) for name, v in (("--from", start), ("--to", end)))
    except PolicyError as exc:
        typer.echo(f"vendorwatch: {exc}", err=True)
        raise typer.Exit(2) from None
    with read_store(settings) as con:
        report = run_backtest(
            con, candidate, start=first, end=last, tz=settings.metrics.reporting_tz
        )
    for line in report.lines():
        typer.echo(line)


def _date_option(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        typer.echo(f"vendorwatch: {name}: {value!r} is not a date YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None


def run_engine(
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """The engine: ingest continuously, recompute the metrics when events arrive (and every
    cycle), deliver the notifications the rules cause, publish the dashboard's read model."""
    from control.reader import ControlReader
    from control.send import ControlTopic
    from ingest.consumer import Ingestor
    from ingest.deadletter import DeadLetterPublisher
    from vendorwatch.cli import (
        configure_logging,
        settings_or_exit,
        stop_on_signals,
        store_failures_explained,
        utc_now,
    )
    from vendorwatch.delivery import DeliveryLoop, command_types, planner_hook
    from vendorwatch.engine import MetricsCycle
    from vendorwatch.readmodel import Publisher
    from vendorwatch.settings import kafka_client_options

    settings = settings_or_exit()
    configure_logging(verbose)
    stop = stop_on_signals()

    def report(line: str) -> None:
        typer.echo(line, err=True)

    with (
        store_failures_explained(settings, capped=False, report=report),
        open_store(settings) as store,
    ):
        delivery = DeliveryLoop(store.connection, settings, now_getter=utc_now)
        publisher = Publisher(settings.read_model, reporting_tz=settings.metrics.reporting_tz)

        def after_run(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
            delivery.wake()
            publisher.after_run(con, now)

        cycle = MetricsCycle(
            store.connection,
            settings.metrics,
            now_getter=utc_now,
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
                now_getter=utc_now,
                dead_letters=DeadLetterPublisher(settings),
                report=report,
                on_stored=cycle.wake,
            ).run(drain=False, stop=stop)
        finally:
            cycle.stop()
            cycle.join()
            delivery.stop()
            delivery.join()
