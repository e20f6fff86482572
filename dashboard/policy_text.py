"""Policies as TOML for the Rules page: show a stored version, edit a rule's thresholds, and
propose the result to the engine as a ``set_policy`` control command.

Contract:

* :func:`to_toml` writes a validated :class:`~metrics.policy.Policy` as policy TOML that
  :func:`~metrics.policy.parse_policy` reads back to the same version (``policy_history``
  stores the validated values as JSON, not the original file: comments are not kept);
* :func:`with_thresholds` returns the policy with one rule's thresholds replaced,
  validated by ``parse_policy`` (a :class:`~metrics.policy.PolicyError` names the problem);
* :func:`propose` checks the viewer may ``change_rules``, validates the command with the
  engine's own model and produces it with the same producer as acknowledge and silence;
  :class:`~dashboard.commands.CommandNotSent` carries a message a person can act on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from dashboard.access import Viewer
from dashboard.commands import CommandNotSent, send
from dashboard.settings import DashboardConfig
from metrics.control import SetPolicy
from metrics.policy import Policy, parse_policy
from vendorwatch.cli.control import new_command

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _emit(path: list[str], values: Mapping[str, Any], out: list[str]) -> None:
    """``[path]`` with its scalars (the header only when needed), then its sub-tables and
    arrays of tables; None values and empty sub-tables are left out (their defaults)."""

    def is_tables(value: Any) -> bool:
        return isinstance(value, list) and bool(value) and isinstance(value[0], dict)

    scalars = {
        k: v
        for k, v in values.items()
        if v is not None and not isinstance(v, dict) and not is_tables(v)
    }
    nested = {k: v for k, v in values.items() if isinstance(v, dict) and v}
    tables = {k: v for k, v in values.items() if is_tables(v)}
    if path and (scalars or not (nested or tables)):
        out.append(f"\n[{'.'.join(path)}]")
    out.extend(f"{_key(k)} = {_scalar(v)}" for k, v in scalars.items())
    for name, value in nested.items():
        _emit([*path, _key(name)], value, out)
    for name, items in tables.items():
        for item in items:
            out.append(f"\n[[{'.'.join([*path, _key(name)])}]]")
            out.extend(f"{_key(k)} = {_scalar(v)}" for k, v in item.items() if v is not None)


def _toml(data: Mapping[str, Any]) -> str:
    out: list[str] = []
    _emit([], data, out)
    return "\n".join(out).lstrip("\n") + "\n"


def to_toml(policy: Policy) -> str:
    """The policy as TOML (see the module docstring)."""
    return _toml(policy.model_dump(mode="json"))


def with_thresholds(
    policy: Policy,
    rule: str,
    *,
    warn: float | None,
    critical: float | None,
    clear: float | None,
) -> Policy:
    """``policy`` with rule ``rule``'s own ``warn`` / ``critical`` / ``clear`` replaced (tier
    and vendor overrides kept); raises ``PolicyError`` when the result is not a valid policy."""
    data = policy.model_dump(mode="json")
    data["rules"][rule].update(warn=warn, critical=critical, clear=clear)
    return parse_policy(_toml(data), source=f"rule {rule}")


def propose(
    settings: DashboardConfig, viewer: Viewer, policy_toml: str, reason: str | None
) -> tuple[str, str]:
    """Send ``policy_toml`` as a ``set_policy`` command; (command id, policy version)."""
    from metrics.policy_errors import PolicyError

    refusal = viewer.refusal("change_rules")
    if refusal is not None:
        raise CommandNotSent(f"not sent: {refusal}")
    try:
        policy = parse_policy(policy_toml, source="the edited policy")
    except PolicyError as exc:
        raise CommandNotSent(f"not sent: {exc}") from None
    command = new_command("set_policy", viewer.name, None, reason=reason or None)
    command["policy_toml"] = policy_toml
    identity = send(settings, viewer, SetPolicy, command, permission="change_rules")
    return identity, str(policy.version)
