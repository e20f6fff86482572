"""Policies as TOML for the Rules page: show a stored version and edit a rule's thresholds
(the result is proposed to the engine as a ``set_policy`` control command).

Contract:

* :func:`to_toml` writes a validated :class:`~metrics.policy.Policy` as policy TOML that
  :func:`~metrics.policy.parse_policy` reads back to the same version (``policy_history``
  stores the validated values as JSON, not the original file: comments are not kept);
* :func:`with_thresholds` returns the policy with one rule's thresholds replaced,
  validated by ``parse_policy`` (a :class:`~metrics.policy.PolicyError` names the problem);
* proposing the edited policy to the engine is :func:`dashboard.commands.propose_policy`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from metrics.policy import Policy, parse_policy

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
