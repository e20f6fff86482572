"""Policy load errors: :class:`PolicyError` and the messages it carries.

Turns a ``tomllib`` decode error or a pydantic ``ValidationError`` into one line per problem,
``source: dotted.key.path: message``. Validators report their own findings through
:func:`raise_problems`, which bundles them into a single pydantic error that
:func:`validation_problems` unpacks back into one line each, at its full key path. Depends on
pydantic only, not on the policy models (the root model is passed in), so there is no cycle.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any, Final, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

Problem = tuple[tuple[str | int, ...], str]
"""A validator's finding: the key path relative to the model being validated, and the message."""

_PROBLEMS: Final = "policy_problems"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POSITION = re.compile(r"\s*\(at (line \d+, column \d+|end of document)\)")


class PolicyError(ValueError):
    """A policy could not be loaded; ``str()`` has one line per problem: file, path, rule."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def raise_problems(problems: list[Problem]) -> None:
    """From a model validator: raise every problem found at once; do nothing when none."""
    if problems:
        text = "; ".join(".".join(map(str, path)) + f": {message}" for path, message in problems)
        raise PydanticCustomError(_PROBLEMS, "{text}", {"text": text, "problems": problems})


def toml_problem(exc: tomllib.TOMLDecodeError, source: str) -> str:
    """The line for a TOML syntax error: ``source: line L, column C: invalid TOML: reason``."""
    where = _TOML_POSITION.search(str(exc))
    position = where.group(1) if where else "unknown position"
    reason = _TOML_POSITION.sub("", str(exc))
    return f"{source}: {position}: invalid TOML: {reason}"


def validation_problems(exc: ValidationError, source: str, model: type[BaseModel]) -> list[str]:
    """One line per problem in ``exc``, raised validating ``model`` from the file ``source``.

    ``model`` is the root model validated; it lists the allowed keys for an unknown key.
    """
    lines = []
    for error in exc.errors(include_url=False):
        path = tuple(part for part in error["loc"] if part != "[key]")
        kind = error["type"]
        if kind == _PROBLEMS:
            for relative, message in error["ctx"]["problems"]:
                lines.append(f"{source}: {_dotted(path + tuple(relative))}: {message}")
            continue
        if kind == "missing":
            message = "required key is missing"
        elif kind == "extra_forbidden":
            allowed = ", ".join(_allowed_keys(model, path[:-1]))
            message = f"unknown key (allowed here: {allowed})" if allowed else "unknown key"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            message = message[:1].lower() + message[1:]
            if not isinstance(error["input"], dict | list):
                message += f" (got {error['input']!r})"
        lines.append(f"{source}: {_dotted(path)}: {message}")
    return lines


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = part if _BARE_KEY.fullmatch(str(part)) else json.dumps(str(part))
            text += f".{key}" if text else key
    return text or "(top level)"


def _allowed_keys(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    node: Any = model
    for part in path:
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields.get(str(part))
            node = field.annotation if field else None
        elif get_origin(node) in (dict, list):
            node = get_args(node)[-1]
        else:
            return []
    return list(node.model_fields) if isinstance(node, type) and issubclass(node, BaseModel) else []
