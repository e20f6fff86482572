"""``set_policy``: replace the alert policy from the moment the engine applies the command.

    {"type": "set_policy", "command_id": "cmd-42", "issued_at": "...", "issued_by": "anna",
     "reason": "Q4: tighter latency", "policy_toml": "..."}

Applied: the policy is recorded in ``policy_history`` in force from the engine's ``now``, with
``source`` ``control:<command_id>``; a policy that does not parse is rejected with the policy
error (naming the key and the rule).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import duckdb
from pydantic import Field

from control.model import Command, CommandContext, CommandKind, Status
from metrics.policy import parse_policy
from metrics.policy_errors import PolicyError
from metrics.policy_history import record_policy

MAX_POLICY_BYTES = 256 * 1024


class SetPolicy(Command):
    """Replace the alert policy from now on."""

    type: Literal["set_policy"]
    policy_toml: Annotated[str, Field(min_length=1, max_length=MAX_POLICY_BYTES)]


def apply(
    con: duckdb.DuckDBPyConnection, command: SetPolicy, now: datetime, _: CommandContext
) -> tuple[Status, str]:
    try:
        policy = parse_policy(command.policy_toml, source=f"command {command.command_id}")
    except PolicyError as error:
        return "rejected", str(error)
    added = record_policy(con, policy, effective_from=now, source=f"control:{command.command_id}")
    detail = f"policy {policy.version} in force from {now.isoformat()}"
    return "applied", detail if added else f"{detail} (already in force)"


KIND = CommandKind(SetPolicy, apply)
