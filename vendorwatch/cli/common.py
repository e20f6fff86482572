"""What the command-line modules share: settings, the store, snapshots, signals, logging and
the options every command parses the same way (``--as-of``, dates).

Each helper that can fail stops the command with a readable message and the documented exit
status: 2 for bad settings or options, 1 when the store or a snapshot cannot be had.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from vendorwatch.clock import utc_now
from vendorwatch.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:  # imported when a command runs: `vendorwatch ingest` must start fast
    import duckdb

    from control.model import Command
    from ingest.store import EventStore
    from readmodel.contract import Snapshot


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
    from readmodel.contract import NoSnapshot, open_current

    try:
        return open_current(settings.read_model.dir)
    except NoSnapshot as exc:
        typer.echo(f"vendorwatch: {exc}", err=True)
        raise typer.Exit(1) from None


def store_failure_lines(failure: BaseException, settings: Settings, *, capped: bool) -> list[str]:
    """What to tell the user when the store failed: ``failure`` is a
    :class:`~ingest.progress.StoreWriteFailed`, or DuckDB out of memory as the store opened.
    The lines say what broke, what to change, and that nothing is lost. ``capped``: DuckDB
    ran under ``ingest_memory_limit`` (standalone ingest)."""
    import duckdb

    from ingest.progress import StoreWriteFailed, in_one_line

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

    from ingest.progress import StoreWriteFailed

    try:
        yield
    except (StoreWriteFailed, duckdb.OutOfMemoryException) as failure:
        logging.getLogger("vendorwatch").debug("the store failed", exc_info=failure)
        for line in store_failure_lines(failure, settings, capped=capped):
            report(line)
        raise typer.Exit(1) from None


def configure_logging(verbose: bool) -> None:
    """Log lines with their instant and logger to stderr: DEBUG with ``--verbose``, else INFO
    (kafka-python's own chatter at WARNING either way)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)


def stop_on_signals() -> threading.Event:
    """An event that SIGTERM and SIGINT (Ctrl-C) set: a long-running command stops cleanly."""
    stop = threading.Event()

    def _handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return stop


AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Compute as of this date (end of that day, reporting time zone) or timestamp.",
    ),
]


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


def as_of_or_exit(text: str | None, settings: Settings) -> datetime:
    """The instant ``--as-of`` names (now when not given), or exit status 2 with the reason."""
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
def store_opening_explained(settings: Settings) -> Iterator[None]:
    """Around opening the store: held by another process, or written by a newer release,
    becomes a readable message and exit status 1."""
    import duckdb

    from ingest.schema import StoreSchemaTooNew

    try:
        yield
    except duckdb.IOException as exc:
        typer.echo(_busy(settings, exc), err=True)
        raise typer.Exit(1) from None
    except StoreSchemaTooNew as exc:
        typer.echo(f"vendorwatch: {settings.db}: {exc}", err=True)
        raise typer.Exit(1) from None


@contextmanager
def open_store(
    settings: Settings, *, memory_limit: str | None = None, threads: int | None = None
) -> Iterator[EventStore]:
    """The store (see :class:`~ingest.store.EventStore` for ``memory_limit`` and ``threads``),
    or exit 1 with a readable message if another process holds it."""
    from ingest.store import EventStore

    with store_opening_explained(settings):
        store = EventStore(settings.db, memory_limit=memory_limit, threads=threads)
    try:
        yield store
    finally:
        store.close()


def date_option(name: str, value: str | None) -> date | None:
    """A ``YYYY-MM-DD`` option (None when not given), or exit status 2 naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        typer.echo(f"vendorwatch: {name}: {value!r} is not a date YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None


def send_or_exit(
    settings: Settings,
    model: type[Command],
    issued_by: str,
    command_id: str | None,
    **fields: Any,
) -> dict[str, Any]:
    """Build a ``model`` command issued now (the CLI's clock) by ``issued_by``, check it with
    the engine's model (exit 2 naming the field) and send it to the control topic (exit 1 when
    Kafka cannot take it); the document sent. ``policy set`` sends through here too."""
    from control.model import InvalidCommand
    from control.send import CommandNotSent, ControlTopic, build_command, produce_command
    from ingest.connection import kafka_client_options

    try:
        command = build_command(
            model, now=utc_now(), issued_by=issued_by, command_id=command_id, **fields
        )
    except InvalidCommand as error:
        typer.echo(f"vendorwatch: {error}", err=True)
        raise typer.Exit(2) from None
    target = ControlTopic(settings.topics.control, kafka_client_options(settings))
    try:
        produce_command(target, command)
    except CommandNotSent as exc:
        typer.echo(f"vendorwatch: {exc}", err=True)
        raise typer.Exit(1) from None
    return command
