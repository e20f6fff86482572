"""How the deployment files are read: docker-compose.yml (services, environments, commands),
the Dockerfile (instructions, exec form), .dockerignore, and a command line resolved against
the real ``vendorwatch`` click commands.

Docker is not needed: the files are parsed, never run."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from vendorwatch.cli.main import app

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
CI_RUN = REPO / ".ci" / "run"
KAFKA_SERVICE = "kafka"
EXPECTED_SERVICES = {"kafka", "topics", "engine", "simulator", "dashboard"}

Compose = dict[str, Any]


def service_env(service: dict[str, Any]) -> dict[str, str]:
    """A service's ``environment`` (mapping or list form) as strings."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def command_args(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    assert command is not None, "a vendorwatch service must say which subcommand it runs"
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def built_from_dockerfile(service: dict[str, Any]) -> bool:
    build = service.get("build")
    if build is None:
        return False
    context, dockerfile = (
        (build, "Dockerfile")
        if isinstance(build, str)
        else (
            build.get("context", "."),
            build.get("dockerfile", "Dockerfile"),
        )
    )
    return (COMPOSE_FILE.parent / context / dockerfile).resolve() == DOCKERFILE.resolve()


def vendorwatch_services(compose: Compose) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose["services"].items() if built_from_dockerfile(s)}


def resolve_subcommand(args: list[str]) -> tuple[list[str], Any, list[str]]:
    """Split ``args`` into the subcommand path, its (click) command and the remaining args."""
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    rest = list(args)
    while hasattr(command, "commands") and rest and rest[0] in command.commands:
        path.append(rest.pop(0))
        command = command.commands[path[-1]]
    assert path, f"{args} does not start with a vendorwatch subcommand"
    assert not hasattr(command, "commands"), f"{path} is a group, not a command"
    return path, command, rest


def long_options(args: list[str]) -> list[str]:
    return [a.split("=", 1)[0] for a in args if a.startswith("--")]


def listener_map(value: str) -> dict[str, tuple[str, int]]:
    """``NAME://host:port,...`` -> {NAME: (host, port)}; an empty host stays empty."""
    result = {}
    for item in value.split(","):
        match = re.fullmatch(r"\s*([A-Z_]+)://([^:]*):(\d+)\s*", item)
        assert match, f"listener {item!r} is not NAME://host:port"
        result[match[1]] = (match[2], int(match[3]))
    return result


def dockerfile_instructions() -> Iterator[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not logical and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        keyword, _, rest = logical.partition(" ")
        yield keyword.upper(), rest.strip()
        logical = ""
    assert not logical, "the Dockerfile ends in a continuation line"


def dockerfile(keyword: str) -> list[str]:
    return [rest for kw, rest in dockerfile_instructions() if kw == keyword]


def dockerignored(name: str) -> bool:
    """Whether a top-level path of the build context is excluded (no ``!`` rules used)."""
    patterns = [
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert not any(p.startswith("!") for p in patterns), "update dockerignored() for ! rules"
    return any(fnmatch.fnmatch(name, p.removeprefix("./")) for p in patterns)


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), f"{arguments} is not exec (JSON) form"
    return [str(v) for v in value]
