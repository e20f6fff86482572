"""The ``vendorwatch`` command line: the store commands (ingest, status, topics, config) and
the registration of every other command module of this package.

Command modules only parse arguments and call into the layers (and :mod:`vendorwatch.engine`);
what they share lives in :mod:`vendorwatch.cli.common`. Heavy imports happen inside the
commands, so ``vendorwatch ingest`` starts fast.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer

from vendorwatch.cli.common import (
    configure_logging,
    open_store,
    settings_or_exit,
    stop_on_signals,
    store_failures_explained,
)
from vendorwatch.clock import utc_now

app = typer.Typer(
    help="vendorwatch: evidence-based vendor performance monitoring.",
    no_args_is_help=True,
    add_completion=False,
)
topics_app = typer.Typer(help="Manage the Kafka topics vendorwatch uses.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")


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
    from vendorwatch.cli.alerts import alerts_app
    from vendorwatch.cli.dashboard import run_dashboard
    from vendorwatch.cli.evaluate import evaluate
    from vendorwatch.cli.metrics import backtest, explain, metrics_app, rebuild, run_engine
    from vendorwatch.cli.policy import policy_app
    from vendorwatch.cli.report import report
    from vendorwatch.cli.simulate import simulate

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
    app.command("evaluate")(evaluate)


_register_optional_commands()
