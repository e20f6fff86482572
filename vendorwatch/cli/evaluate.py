"""``vendorwatch evaluate``: the labelled evaluation harness (issue #23) as a command.

Simulates every chosen scenario for each seed and daily volume, judges it with today's metrics
job under the default policy (or ``--policy FILE``) and prints the markdown table of
:mod:`metrics.evaluation.scoring`. The history ends at ``--end`` (default 2026-09-01 UTC, fixed
so that runs compare; the harness never reads the wall clock).

Exit status: 0 done, 2 bad options (the message names the option).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_END = "2026-09-01T00:00:00+00:00"


def _bad(option: str, message: str) -> typer.BadParameter:
    return typer.BadParameter(message, param_hint=f"'{option}'")


def _volumes(text: str) -> list[float]:
    try:
        volumes = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise _bad("--volumes", f"{text!r} is not a comma-separated list of numbers") from None
    if not volumes or any(v <= 0 for v in volumes):
        raise _bad("--volumes", f"every volume must be > 0, got {text!r}")
    return volumes


def _scenarios(text: str | None) -> list[str]:
    from metrics.evaluation.scenarios import SCENARIO_NAMES

    if text is None:
        return list(SCENARIO_NAMES)
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in SCENARIO_NAMES]
    if unknown or not names:
        raise _bad("--scenarios", f"unknown {unknown}; known: {', '.join(SCENARIO_NAMES)}")
    return list(dict.fromkeys(names))


def _end(text: str) -> datetime:
    try:
        end = datetime.fromisoformat(text)
    except ValueError:
        raise _bad("--end", f"{text!r} is not an ISO 8601 time") from None
    return end if end.tzinfo else end.replace(tzinfo=UTC)


def evaluate(
    seeds: Annotated[int, typer.Option(min=1, help="Seeds 1..N per scenario and volume.")] = 3,
    volumes: Annotated[
        str, typer.Option(help="Responses a day per vendor, comma-separated.")
    ] = "30,100,1000",
    months: Annotated[int, typer.Option(min=1, max=24, help="Months of history.")] = 8,
    scenarios: Annotated[
        str | None, typer.Option(help="Scenarios, comma-separated (default: all).")
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="Policy TOML to judge with (default: the built-in).")
    ] = None,
    end: Annotated[str, typer.Option(help="End of the history, ISO 8601.")] = DEFAULT_END,
) -> None:
    """Run the labelled scenarios through today's judgement and print the score table."""
    chosen, per_day, until = _scenarios(scenarios), _volumes(volumes), _end(end)
    from metrics.evaluation.runner import run_grid
    from metrics.evaluation.scoring import render_table, score
    from metrics.policy import default_policy, load_policy

    try:
        judged_by = default_policy() if policy is None else load_policy(policy)
    except (OSError, ValueError) as exc:
        raise _bad("--policy", str(exc)) from None
    outcomes = run_grid(
        chosen, seeds=seeds, volumes=per_day, months=months, end=until, policy=judged_by
    )
    typer.echo(render_table(score(outcomes), str(judged_by.version)))
