"""``vendorwatch policy set FILE``: send a new alert policy to the engine as a control command.

The file is validated here first (the same messages as at start-up); the engine validates the
command again, applies it from the moment it reads it, and audits it in ``command_log``.
Exit status: 0 sent, 1 Kafka failure, 2 bad settings, options or policy.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer

from vendorwatch.cli.common import send_or_exit, settings_or_exit

policy_app = typer.Typer(help="Change the alert policy of a running engine.", no_args_is_help=True)


@policy_app.command("set")
def set_policy(
    file: Annotated[Path, typer.Argument(help="The new policy (TOML).")],
    issued_by: Annotated[str, typer.Option("--by", help="Who asks for the change (audited).")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (audited).")] = None,
    command_id: Annotated[
        str | None, typer.Option("--id", help="Command id (default: a new UUID).")
    ] = None,
) -> None:
    """Send FILE to the engine on the control topic; it is in force once the engine reads it."""
    from control.kinds.set_policy import SetPolicy
    from metrics.policy import parse_policy
    from metrics.policy_errors import PolicyError

    settings = settings_or_exit()
    try:
        text = file.read_text(encoding="utf-8")
        policy = parse_policy(text, source=str(file))
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"vendorwatch: {file}: cannot read: {exc}", err=True)
        raise typer.Exit(2) from None
    except PolicyError as exc:
        typer.echo(f"vendorwatch: {exc}", err=True)
        raise typer.Exit(2) from None
    command = send_or_exit(
        settings,
        SetPolicy,
        issued_by,
        command_id or f"policy-{uuid.uuid4()}",
        reason=reason,
        policy_toml=text,
    )
    typer.echo(
        f"sent {command['command_id']}: policy {policy.version} to {settings.topics.control}"
    )
