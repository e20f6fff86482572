"""The ``vendorwatch`` command line: the composition root that wires settings, store and Kafka."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from vendorwatch.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:  # the read model (duckdb) is imported only by the commands that read it
    from vendorwatch.readmodel import Snapshot

app = typer.Typer(
    help="vendorwatch: evidence-based vendor performance monitoring.",
    no_args_is_help=True,
    add_completion=False,
)
topics_app = typer.Typer(help="Manage the Kafka topics vendorwatch uses.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")


def utc_now() -> datetime:
    """The engine's wall clock; everything else receives time from here."""
    return datetime.now(UTC)


def settings_or_exit() -> Settings:
    """Load settings or stop with a readable message and exit status 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"vendorwatch: {exc}", err=True)
        raise typer.Exit(2) from None


def snapshot_or_exit(settings: Settings) -> Snapshot:
    """The current read-model snapshot, or stop with the reason and exit status 1. The caller
    closes ``snapshot.connection``."""
    from vendorwatch.readmodel import NoSnapshot, open_current

    try:
        return open_current(settings.read_model.dir)
    except NoSnapshot as exc:
        typer.echo(f"vendorwatch: {exc}", err=True)
        raise typer.Exit(1) from None


def store_failure_lines(failure: BaseException, settings: Settings, *, capped: bool) -> list[str]:
    """What to tell the user when the store failed: ``failure`` is a
    :class:`~ingest.consumer.StoreWriteFailed`, or DuckDB out of memory as the store opened.
    The lines say what broke, what to change, and that nothing is lost. ``capped``: DuckDB
    ran under ``ingest_memory_limit`` (standalone ingest)."""
    import duckdb

    from ingest.consumer import StoreWriteFailed, in_one_line

    if isinstance(failure, StoreWriteFailed):
        lines, cause = [f"vendorwatch: {failure}"], failure.__cause__
    else:
        lines, cause = [f"vendorwatch: opening the store failed: {in_one_line(failure)}"], failure
    if isinstance(cause, duckdb.OutOfMemoryException):
        lines.append(
            f"DuckDB needed more working memory than ingest_memory_limit "
            f"({settings.ingest_memory_limit}) allows: raise VENDORWATCH_INGEST_MEMORY_LIMIT "
            "(or ingest_memory_limit in vendorwatch.toml)."
            if capped
            else "DuckDB ran out of memory: give the engine more memory, or fewer vendors per "
            "engine."
        )
    lines.append(
        f"Nothing is lost: what was committed stays in {settings.db}, and the next run "
        "continues from its stored offsets. Run with --verbose for the traceback."
    )
    return lines


@contextmanager
def store_failures_explained(
    settings: Settings, *, capped: bool, report: Callable[[str], None]
) -> Iterator[None]:
    """Around a command that writes the store: a batch the writer could not store, or DuckDB
    out of memory, becomes :func:`store_failure_lines` and exit status 1."""
    import duckdb

    from ingest.consumer import StoreWriteFailed

    try:
        yield
    except (StoreWriteFailed, duckdb.OutOfMemoryException) as failure:
        logging.getLogger("vendorwatch").debug("the store failed", exc_info=failure)
        for line in store_failure_lines(failure, settings, capped=capped):
            report(line)
        raise typer.Exit(1) from None


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)


def stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def _handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return stop


@app.command()
def ingest(
    drain: Annotated[
        bool, typer.Option("--drain", help="Stop once every partition is read to its end.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Consume the vendor event topics into the event store, exactly once."""
    from ingest.consumer import Ingestor
    from ingest.deadletter import DeadLetterPublisher
    from ingest.memory import lean_ingest_process
    from vendorwatch.commands.metrics import open_store

    settings = settings_or_exit()
    configure_logging(verbose)
    lean_ingest_process()
    stop = stop_on_signals()
    report = partial(typer.echo, err=True)
    with (
        store_failures_explained(settings, capped=True, report=report),
        open_store(
            settings,
            memory_limit=settings.ingest_memory_limit,
            threads=settings.ingest_writer_threads(),
        ) as store,
    ):
        ingestor = Ingestor(
            settings,
            store,
            now_getter=utc_now,
            dead_letters=DeadLetterPublisher(settings),
            report=report,
        )
        ingestor.run(drain=drain, stop=stop)


@topics_app.command("create")
def topics_create(
    partitions: Annotated[int, typer.Option(min=1, help="Partitions per topic.")] = 3,
) -> None:
    """Create every configured topic that does not exist yet (idempotent)."""
    from ingest.topics import ensure_topics

    settings = settings_or_exit()
    created = ensure_topics(settings, partitions=partitions)
    typer.echo(f"created: {', '.join(created) if created else 'nothing (all exist)'}")


@app.command()
def status() -> None:
    """Summarise the event store: events per type, dead letters by field, offsets."""
    from ingest.summary import StoreBusy, summarize

    settings = settings_or_exit()
    try:
        for line in summarize(settings.db):
            typer.echo(line)
    except StoreBusy as exc:
        typer.echo(f"vendorwatch: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command("config")
def show_config() -> None:
    """Print the effective settings (secrets masked)."""
    settings = settings_or_exit()
    typer.echo(settings.model_dump_json(indent=2))


def _register_optional_commands() -> None:
    from vendorwatch.commands.alerts import alerts_app
    from vendorwatch.commands.dashboard import run_dashboard
    from vendorwatch.commands.metrics import backtest, explain, metrics_app, rebuild, run_engine
    from vendorwatch.commands.policy import policy_app
    from vendorwatch.commands.report import report
    from vendorwatch.commands.simulate import simulate

    app.command("simulate")(simulate)
    app.add_typer(metrics_app, name="metrics")
    app.command("rebuild")(rebuild)
    app.command("run")(run_engine)
    app.command("explain")(explain)
    app.command("backtest")(backtest)
    app.add_typer(policy_app, name="policy")
    app.add_typer(alerts_app, name="alerts")
    app.command("report")(report)
    app.command("dashboard")(run_dashboard)


_register_optional_commands()
