"""``vendorwatch simulate``: realistic vendor histories through exactly the EVENTS.md contract.

A backfill of ``--days`` ending at ``--now`` (default: the current time from
:func:`vendorwatch.clock.utc_now`, which also paces the trickle), then optionally a live
trickle at ``--rate`` events/s. Events go to Kafka (the
configured topics, created if missing), or to JSON lines (``--output``) or one
``<topic>.jsonl`` per topic (``--split-by-topic``) for an external producer such as kcat.
A summary line (events per type, elapsed, events/s) goes to stderr.

Exit status: 0 done (also after Ctrl-C ends a live trickle), 1 Kafka or output failure,
2 bad settings or options, 130 interrupted during the backfill.
"""

import itertools
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from ingest.connection import kafka_client_options
from ingest.simulator import (
    PRESET_NAMES,
    JsonLinesSink,
    ProduceError,
    RunStats,
    SimEvent,
    Simulation,
    SplitByTopicSink,
    build_vendors,
    drain,
    paced,
    produce,
)
from vendorwatch.cli.common import settings_or_exit
from vendorwatch.clock import utc_now
from vendorwatch.settings import Settings


def parse_now(text: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive means UTC), to the millisecond."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        message = f"{text!r} is not an ISO 8601 timestamp"
        raise typer.BadParameter(message, param_hint="--now") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _to_millisecond(moment.astimezone(UTC))


def _to_millisecond(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def simulate(
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            "-s",
            help=f"Scenario preset, repeatable; default all: {', '.join(PRESET_NAMES)}.",
        ),
    ] = None,
    vendors_per_scenario: Annotated[
        int, typer.Option(min=1, help="Vendors simulated for each scenario.")
    ] = 1,
    days: Annotated[float, typer.Option(min=0, help="Days of backfill ending at --now.")] = 90,
    now: Annotated[
        str | None,
        typer.Option(help="End of the backfill, ISO 8601 (naive = UTC); default: current time."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Same seed and options give identical output.")] = 42,
    events_per_day: Annotated[
        int, typer.Option(min=0, help="response_time events per vendor per day; defects scale.")
    ] = 2000,
    rate: Annotated[
        float, typer.Option(min=0, help="Live trickle after the backfill, events/s (0: none).")
    ] = 0.0,
    duration: Annotated[
        float, typer.Option(min=0, help="Seconds of live trickle (0: until Ctrl-C).")
    ] = 0.0,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write JSON lines to FILE ('-': stdout), not Kafka."),
    ] = None,
    split_by_topic: Annotated[
        Path | None,
        typer.Option(file_okay=False, help="Write DIR/<topic>.jsonl per topic, not Kafka."),
    ] = None,
    create_topics: Annotated[
        bool, typer.Option(help="Create missing topics (3 partitions, replication 1) first.")
    ] = True,
) -> None:
    """Produce realistic vendor histories (backfill, then an optional live trickle)."""
    settings = settings_or_exit()
    if output is not None and split_by_topic is not None:
        raise typer.BadParameter("give either --output or --split-by-topic, not both")
    end = parse_now(now) if now is not None else _to_millisecond(utc_now())
    start = end - timedelta(days=days)
    try:
        vendors = build_vendors(
            scenario or PRESET_NAMES, vendors_per_scenario, start=start, end=end, seed=seed
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--scenario") from None
    simulation = Simulation(vendors, seed=seed, events_per_day=events_per_day)
    events: Iterator[SimEvent] = simulation.backfill(start, end)
    live_started: list[bool] = []
    if rate > 0:
        live = paced(
            simulation.live(lambda: utc_now().timestamp()), rate=rate, duration_s=duration or None
        )
        events = itertools.chain(events, _announced(live, live_started))
    topics = settings.topics.event_topics()
    destination = str(split_by_topic or output or f"kafka {settings.kafka_bootstrap}")
    stats = RunStats()
    outcome = ""
    try:
        if split_by_topic is not None or output is not None:
            sink = (
                SplitByTopicSink(split_by_topic, topics)
                if split_by_topic is not None
                else JsonLinesSink.open(output or "-")
            )
            try:
                drain(stats.observe(events), sink)
            finally:
                sink.close()
        else:
            outcome = _to_kafka(stats.observe(events), settings, create_topics)
    except KeyboardInterrupt:
        typer.echo(stats.summary(destination) + " (interrupted)", err=True)
        raise typer.Exit(0 if live_started else 130) from None
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        typer.echo(stats.summary(destination) + " (output closed early)", err=True)
        raise typer.Exit(1) from None
    except (OSError, ProduceError, _KafkaFailure) as exc:
        typer.echo(f"vendorwatch: simulate: {exc}", err=True)
        typer.echo(stats.summary(destination), err=True)
        raise typer.Exit(1) from None
    typer.echo(stats.summary(destination) + outcome, err=True)


class _KafkaFailure(Exception):
    """A kafka-python error, re-raised as ours: kafka is imported only when it is used."""


def _to_kafka(events: Iterator[SimEvent], settings: Settings, create_topics: bool) -> str:
    from kafka.errors import KafkaError

    from ingest.topics import ensure_topics

    bootstrap = settings.kafka_bootstrap
    options = kafka_client_options(settings)
    options.pop("bootstrap_servers", None)
    try:
        if create_topics:
            ensure_topics(settings, partitions=3)
        produced = produce(events, bootstrap, settings.topics.event_topics(), client_config=options)
    except KafkaError as exc:
        raise _KafkaFailure(f"Kafka at {bootstrap}: {exc!r}") from exc
    return f"; {produced} acknowledged"


def _announced(events: Iterator[SimEvent], started: list[bool]) -> Iterator[SimEvent]:
    started.append(True)  # runs when the first live event is pulled: the backfill is done
    yield from events
