"""``vendorwatch metrics run``, ``rebuild``, ``explain``, ``backtest`` and ``run`` (the engine).

Exit status: 0 done; 1 the store cannot be had (not there yet, or held by another process) or
holds nothing to explain; 2 bad settings, options or candidate policy.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from vendorwatch.cli.common import (
    AsOf,
    as_of_or_exit,
    configure_logging,
    date_option,
    open_store,
    read_store,
    settings_or_exit,
    stop_on_signals,
    store_failures_explained,
)
from vendorwatch.clock import utc_now

metrics_app = typer.Typer(help="Compute projections, scores and rules.", no_args_is_help=True)


@metrics_app.command("run")
def metrics_run(as_of: AsOf = None) -> None:
    """Recompute what changed since the last run (periods touched by new or late events);
    queue the notifications it causes and publish the dashboard's read model."""
    _recompute(as_of, rebuild=False)


def rebuild(as_of: AsOf = None) -> None:
    """Drop every projection and recompute it from the event store."""
    _recompute(as_of, rebuild=True)


def _recompute(as_of: str | None, *, rebuild: bool) -> None:
    from vendorwatch import engine

    settings = settings_or_exit()
    moment = as_of_or_exit(as_of, settings)
    with open_store(settings) as store:
        outcome = engine.recompute(store, settings, moment, rebuild=rebuild, clock=utc_now)
    typer.echo(outcome.summary())


def explain(
    vendor: Annotated[str, typer.Argument(help="The vendor_id to explain.")],
    as_of: AsOf = None,
) -> None:
    """Why VENDOR has its scores and flags, in plain words with the numbers."""
    from metrics.explain import explain_vendor
    from metrics.tables import last_as_of

    settings = settings_or_exit()
    with read_store(settings) as con:
        if as_of is None:
            last = last_as_of(con)
            if last is None:
                typer.echo("vendorwatch: no metrics yet; run `vendorwatch metrics run`", err=True)
                raise typer.Exit(1)
            moment = last
        else:
            moment = as_of_or_exit(as_of, settings)
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

    settings = settings_or_exit()
    try:
        candidate = load_policy(policy)
        first, last = (date_option(name, v) for name, v in (("--from", start), ("--to", end)))
    except PolicyError as exc:
        typer.echo(f"vendorwatch: {exc}", err=True)
        raise typer.Exit(2) from None
    with read_store(settings) as con:
        report = run_backtest(
            con, candidate, start=first, end=last, tz=settings.metrics.reporting_tz
        )
    for line in report.lines():
        typer.echo(line)


def run_engine(
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """The engine: ingest continuously, recompute the metrics when events arrive (and every
    cycle), deliver the notifications the rules cause, publish the dashboard's read model."""
    from vendorwatch import engine

    settings = settings_or_exit()
    configure_logging(verbose)
    stop = stop_on_signals()
    report = partial(typer.echo, err=True)
    with (
        store_failures_explained(settings, capped=False, report=report),
        open_store(settings) as store,
    ):
        engine.run_on(store, settings, clock=utc_now, stop=stop, report=report)
