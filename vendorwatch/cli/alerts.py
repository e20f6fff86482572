"""``vendorwatch alerts``: acknowledge, silence and unsilence (control commands the engine
applies and audits), and the alert history, notifications and silences.

The commands are validated here with the engine's own models, so a bad one stops with the
engine's message (exit 2) instead of being rejected later. The read commands read the
engine's latest read-model snapshot (as the dashboard does), so they work while the engine
runs; they say on stderr how old it is, and exit 1 when nothing was published yet.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vendorwatch.cli.common import send_or_exit, settings_or_exit, snapshot_or_exit, stop_on_signals
from vendorwatch.clock import utc_now

if TYPE_CHECKING:
    from control.model import Command

alerts_app = typer.Typer(help="Acknowledge, silence and review alerts.", no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="Who asks (audited).")]
CommandId = Annotated[str | None, typer.Option("--id", help="Command id (default: a new one).")]
Comment = Annotated[str | None, typer.Option("--comment", help="Why (audited, shown to others).")]
Limit = Annotated[int, typer.Option("--limit", min=1, help="At most this many rows, newest first.")]

_DURATION = re.compile(r"^(\d+)\s*([mhd])$")


@alerts_app.command("ack")
def ack(
    vendor: Annotated[str, typer.Argument(help="The vendor_id.")],
    rule: Annotated[str, typer.Argument(help="The rule that is firing.")],
    by: By,
    comment: Comment = None,
    alert_id: Annotated[
        str | None, typer.Option("--alert-id", help="Only if the alert is still this state.")
    ] = None,
    command_id: CommandId = None,
) -> None:
    """Acknowledge a firing alert: no reminders until its state changes."""
    from control.kinds.ack import Ack

    _send(Ack, by, command_id, vendor_id=vendor, rule=rule, alert_id=alert_id, comment=comment)


def _send(model: type[Command], by: str, command_id: str | None, **fields: Any) -> None:
    """Send a ``model`` command issued by ``by`` and say where it went."""
    settings = settings_or_exit()
    command = send_or_exit(settings, model, by, command_id, **fields)
    typer.echo(f"sent {command['command_id']} ({command['type']}) to {settings.topics.control}")


def _duration(text: str) -> timedelta:
    """``--for``: whole minutes, hours or days (``90m``, ``2h``, ``1d``)."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise typer.BadParameter(f"{text!r}: use minutes, hours or days such as 90m, 2h, 1d")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount})


@alerts_app.command("silence")
def silence(
    by: By,
    vendor: Annotated[str | None, typer.Option("--vendor", help="Only this vendor_id.")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule.")] = None,
    severity: Annotated[str | None, typer.Option("--severity", help="warn or critical.")] = None,
    tier: Annotated[str | None, typer.Option("--tier", help="critical/high/medium/low.")] = None,
    duration: Annotated[
        str | None, typer.Option("--for", help="How long from now, e.g. 90m, 2h, 1d.")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="End, RFC 3339 with offset.")] = None,
    every: Annotated[
        str | None,
        typer.Option("--every", help="Maintenance window days, e.g. sun or sat,sun."),
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="Window start HH:MM.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Window end HH:MM.")] = None,
    tz: Annotated[str, typer.Option("--tz", help="Time zone of --from/--to.")] = "UTC",
    silence_id: Annotated[
        str | None, typer.Option("--silence-id", help="Name it (default: the command id).")
    ] = None,
    comment: Comment = None,
    command_id: CommandId = None,
) -> None:
    """Mute matching alerts until an end (--for/--until), or every week (--every --from --to)."""
    from control.kinds.silence import Silence

    if duration is not None and until is not None:
        raise typer.BadParameter("give --for or --until, not both", param_hint="--for")
    ends_at = until
    if duration is not None:
        ends_at = (utc_now() + _duration(duration)).isoformat()
    window = None
    if every is not None:
        days = [d.strip().lower() for d in every.split(",") if d.strip()]
        window = {"days": days, "start": start, "end": end, "tz": tz}
    elif start is not None or end is not None:
        raise typer.BadParameter("--from/--to need --every", param_hint="--every")
    matchers = {"vendor_id": vendor, "rule": rule, "severity": severity, "tier": tier}
    _send(
        Silence,
        by,
        command_id,
        silence_id=silence_id,
        matchers={k: v for k, v in matchers.items() if v is not None},
        ends_at=ends_at,
        every=window,
        comment=comment,
    )


@alerts_app.command("unsilence")
def unsilence(
    silence_id: Annotated[str, typer.Argument(help="The silence or maintenance window id.")],
    by: By,
    command_id: CommandId = None,
) -> None:
    """End a silence or maintenance window now."""
    from control.kinds.unsilence import Unsilence

    _send(Unsilence, by, command_id, silence_id=silence_id)


def _print_rows(sql: str, params: list[Any]) -> None:
    """Print what ``sql`` selects from the current snapshot as an aligned table (cells cut at
    40 characters), after a line on stderr saying how old the snapshot is."""
    settings = settings_or_exit()
    snapshot = snapshot_or_exit(settings)
    try:
        published = snapshot.published_at.isoformat()
        typer.echo(f"(read model as of {snapshot.as_of}, published {published})", err=True)
        result = snapshot.connection.execute(sql, params)
        names = [d[0] for d in result.description]
        rows = result.fetchall()
    finally:
        snapshot.connection.close()
    if not rows:
        typer.echo("(none)")
        return
    cells = [names, *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [min(40, max(len(row[i]) for row in cells)) for i in range(len(names))]
    for row in cells:
        typer.echo("  ".join(v[:40].ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


@alerts_app.command("list")
def list_alerts(
    everything: Annotated[bool, typer.Option("--all", help="Resolved ones too.")] = False,
) -> None:
    """The alerts now: state, severity, since when, acknowledged by whom, muted by what."""
    where = "" if everything else "WHERE state = 'firing'"
    _print_rows(
        f"""SELECT vendor_id, rule, state, severity, period, value, since, acked_by, muted_by
        FROM alerts {where} ORDER BY state, severity DESC NULLS LAST, vendor_id, rule""",
        [],
    )


@alerts_app.command("history")
def history(
    vendor: Annotated[str | None, typer.Option("--vendor", help="Only this vendor_id.")] = None,
    limit: Limit = 50,
) -> None:
    """Every recorded transition: what fired or resolved, for which period, under which policy."""
    _print_rows(
        """SELECT recorded_at, vendor_id, rule, period, state, severity, value, policy_version
        FROM alert_log WHERE ? IS NULL OR vendor_id = ?
        ORDER BY recorded_at DESC, period DESC LIMIT ?""",
        [vendor, vendor, limit],
    )


@alerts_app.command("notifications")
def notifications(
    status: Annotated[
        str | None, typer.Option("--status", help="pending, delivered or dead.")
    ] = None,
    limit: Limit = 50,
) -> None:
    """Who was told what, through which channel, and how delivery went."""
    _print_rows(
        """SELECT created_at, channel, vendor_id, kind, status, attempts, delivered_at,
            last_error, summary
        FROM notifications WHERE ? IS NULL OR status = ? ORDER BY created_at DESC LIMIT ?""",
        [status, status, limit],
    )


@alerts_app.command("silences")
def silences() -> None:
    """Silences and maintenance windows in force or scheduled."""
    _print_rows(
        """SELECT silence_id, vendor_id, rule, severity, tier, starts_at, ends_at, days,
            window_start, window_end, tz, created_by, comment
        FROM silences WHERE removed_at IS NULL AND (ends_at IS NULL OR ends_at > ?)
        ORDER BY created_at""",
        [utc_now()],
    )


@alerts_app.command("receive")
def receive(
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8765,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret", envvar="VENDORWATCH_RECEIVER_SECRET", help="Refuse unsigned messages."
        ),
    ] = None,
) -> None:
    """A webhook receiver that prints each notification: try your routes (and the demo)."""
    from alerting.notification import Notification
    from alerting.receiver import receive

    def show(notification: Notification, verified: bool) -> None:
        mark = "signed" if verified else "unsigned"
        typer.echo(f"[{mark}] {notification.kind}: {notification.summary}")
        for alert in notification.alerts:
            typer.echo(
                f"    {alert.rule} {alert.state} {alert.severity or ''} "
                f"({alert.change}): value {alert.value} for {alert.period}"
                f" -> {alert.evidence_url or ''}"
            )

    typer.echo(f"receiving notifications on http://{host}:{port}/ (Ctrl-C stops)")
    receive(host, port, secret, show, stop_on_signals())
