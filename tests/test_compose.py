"""docker-compose.yml, the Dockerfile and .ci/run agree with the code and files they run.

Docker is not needed: the files are parsed and their commands checked against the real
``vendorwatch`` command line (its click commands and ``--help``).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from tests.conftest import run_vendorwatch
from vendorwatch.cli.main import app
from vendorwatch.settings import Settings

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
CI_RUN = REPO / ".ci" / "run"
KAFKA_SERVICE = "kafka"
EXPECTED_SERVICES = {"kafka", "topics", "engine", "simulator", "dashboard"}

Compose = dict[str, Any]


# ------------------------------------------------------------------------------ helpers


@pytest.fixture(scope="module")
def compose() -> Compose:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    assert isinstance(data.get("services"), dict)
    return data


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


# ------------------------------------------------------------------------------ compose


def test_the_expected_services_exist(compose: Compose) -> None:
    assert set(compose["services"]) >= EXPECTED_SERVICES
    assert set(vendorwatch_services(compose)) >= EXPECTED_SERVICES - {KAFKA_SERVICE}


def test_kafka_is_the_official_apache_image_version_4(compose: Compose) -> None:
    image = compose["services"][KAFKA_SERVICE]["image"]
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", image), image


def test_every_vendorwatch_service_runs_a_real_subcommand(compose: Compose) -> None:
    for name, service in vendorwatch_services(compose).items():
        path, command, rest = resolve_subcommand(command_args(service))
        known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        for option in long_options(rest):
            assert option in known, f"{name}: {' '.join(path)} has no option {option}"
        # Parse the arguments exactly as the container would (types, ranges, choices).
        command.make_context(" ".join(["vendorwatch", *path]), list(rest))

        result = run_vendorwatch(*path, "--help")
        assert result.returncode == 0, f"{name}: {path} --help: {result.stderr}"
        for option in long_options(rest):
            assert option in result.stdout, f"{name}: {option} not in {path} --help"


def test_the_services_run_what_their_names_say(compose: Compose) -> None:
    services = compose["services"]
    assert command_args(services["topics"])[:2] == ["topics", "create"]
    assert command_args(services["engine"]) == ["run"]  # the engine: ingest + metrics cycle
    assert command_args(services["simulator"])[0] == "simulate"
    assert command_args(services["dashboard"])[0] == "dashboard"


def test_the_dashboard_reads_the_engines_snapshots_read_only(compose: Compose) -> None:
    services = compose["services"]
    dashboard_mounts = services["dashboard"]["volumes"]
    engine_volume = services["engine"]["volumes"][0].split(":")[0]
    assert f"{engine_volume}:/data:ro" in dashboard_mounts
    assert compose["x-vendorwatch"]["environment"]["VENDORWATCH_READ_MODEL__DIR"].startswith(
        "/data/"
    )
    assert "127.0.0.1:8501:8501" in services["dashboard"]["ports"]


def test_kafka_listeners_are_consistent(compose: Compose) -> None:
    env = service_env(compose["services"][KAFKA_SERVICE])
    listeners = listener_map(env["KAFKA_LISTENERS"])
    advertised = listener_map(env["KAFKA_ADVERTISED_LISTENERS"])
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    controllers = env["KAFKA_CONTROLLER_LISTENER_NAMES"].split(",")

    assert set(protocols) >= set(listeners)
    assert set(controllers) <= set(listeners)
    assert not set(controllers) & set(advertised), "controller listeners are not advertised"
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
    for name, (_, port) in advertised.items():
        assert name in listeners, f"advertised {name} is not a listener"
        assert listeners[name][1] == port, f"{name}: advertised port differs from the bound one"
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node_id, _, voter = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].partition("@")
    assert node_id == env["KAFKA_NODE_ID"]
    voter_host, _, voter_port = voter.partition(":")
    assert voter_host in {KAFKA_SERVICE, compose["services"][KAFKA_SERVICE].get("hostname")}
    assert int(voter_port) == listeners[controllers[0]][1]


def test_kafka_is_a_single_node_with_single_replica_internal_topics(compose: Compose) -> None:
    env = service_env(compose["services"][KAFKA_SERVICE])
    for name in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[name] == "1", name
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"
    assert int(env["KAFKA_NUM_PARTITIONS"]) >= 1


def test_kafka_keeps_its_data_in_a_named_volume(compose: Compose) -> None:
    kafka = compose["services"][KAFKA_SERVICE]
    log_dirs = service_env(kafka)["KAFKA_LOG_DIRS"]
    mounts = dict(v.split(":")[1::-1] for v in kafka["volumes"])  # target -> source
    assert log_dirs in mounts
    assert mounts[log_dirs] in (compose.get("volumes") or {})


def advertised_addresses(compose: Compose) -> dict[str, tuple[str, int]]:
    env = service_env(compose["services"][KAFKA_SERVICE])
    return listener_map(env["KAFKA_ADVERTISED_LISTENERS"])


def test_containers_bootstrap_from_an_advertised_in_network_listener(compose: Compose) -> None:
    advertised = {f"{h}:{p}" for h, p in advertised_addresses(compose).values()}
    kafka_names = {KAFKA_SERVICE, compose["services"][KAFKA_SERVICE].get("hostname")}
    for name, service in vendorwatch_services(compose).items():
        bootstrap = service_env(service).get("VENDORWATCH_KAFKA_BOOTSTRAP")
        assert bootstrap, f"{name} must set VENDORWATCH_KAFKA_BOOTSTRAP (default is loopback)"
        Settings(kafka_bootstrap=bootstrap)  # a valid setting
        for server in bootstrap.split(","):
            assert server.strip() in advertised, f"{name}: {server} is not advertised"
            assert server.strip().rpartition(":")[0] in kafka_names, f"{name}: {server}"


def test_the_host_reaches_the_broker_at_the_default_bootstrap(compose: Compose) -> None:
    """A host process with default settings (127.0.0.1:9092) reaches the published listener."""
    default = Settings.model_fields["kafka_bootstrap"].default
    host, _, port = default.rpartition(":")
    by_address = {f"{h}:{p}": name for name, (h, p) in advertised_addresses(compose).items()}
    assert default in by_address, f"no listener advertises {default}"
    env = service_env(compose["services"][KAFKA_SERVICE])
    container_port = listener_map(env["KAFKA_LISTENERS"])[by_address[default]][1]
    published = [str(p).split(":") for p in compose["services"][KAFKA_SERVICE]["ports"]]
    assert any(m[-1] == str(container_port) and m[-2] == port for m in published), published
    assert host in {"127.0.0.1", "localhost"}


def test_the_kafka_healthcheck_asks_the_broker(compose: Compose) -> None:
    kafka = compose["services"][KAFKA_SERVICE]
    test = kafka["healthcheck"]["test"]
    text = test if isinstance(test, str) else " ".join(test)
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in text
    server = re.search(r"--bootstrap-server\s+(\S+)", text)
    assert server
    # Inside the container: an advertised address (the tool reconnects to what is advertised).
    assert server[1] in {f"{h}:{p}" for h, p in advertised_addresses(compose).values()}
    host = server[1].rpartition(":")[0]
    assert host in {KAFKA_SERVICE, kafka.get("hostname"), "127.0.0.1", "localhost"}


def test_depends_on_targets_exist_and_conditions_make_sense(compose: Compose) -> None:
    services = compose["services"]
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {target: {"condition": "service_started"} for target in depends}
        for target, spec in depends.items():
            assert target in services, f"{name} depends on unknown service {target}"
            condition = spec.get("condition", "service_started")
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"
            elif condition == "service_completed_successfully":
                assert services[target].get("restart", "no") == "no", f"{target} is not one-shot"
            else:
                assert condition == "service_started", condition
    for name in ("engine", "simulator", "topics"):
        assert services[name]["depends_on"][KAFKA_SERVICE]["condition"] == "service_healthy"
    assert services["engine"]["depends_on"]["topics"]["condition"] == (
        "service_completed_successfully"
    )


def test_the_engine_keeps_its_store_in_a_named_volume(compose: Compose) -> None:
    engine = compose["services"]["engine"]
    db = Path(service_env(engine).get("VENDORWATCH_DB") or "/data/vendorwatch.duckdb")
    mounts = dict(v.split(":")[1::-1] for v in engine["volumes"])
    assert str(db.parent) in mounts
    assert mounts[str(db.parent)] in (compose.get("volumes") or {})


def test_every_named_volume_is_declared(compose: Compose) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = str(volume).split(":")[0]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name}: volume {source} is not declared"


# ------------------------------------------------------------------------------ Dockerfile


def test_dockerfile_base_is_a_slim_python_that_fits_requires_python() -> None:
    (base,) = dockerfile("FROM")
    match = re.fullmatch(r"python:3\.(\d+)-slim\S*", base)
    assert match, base
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    minimum = re.fullmatch(r">=\s*3\.(\d+)", pyproject["project"]["requires-python"])
    assert minimum
    assert int(match[1]) >= int(minimum[1])


def test_dockerfile_entrypoint_is_the_console_script() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    scripts = pyproject["project"]["scripts"]
    (entrypoint,) = dockerfile("ENTRYPOINT")
    assert exec_form(entrypoint) == ["vendorwatch"]
    assert scripts["vendorwatch"] == "vendorwatch.cli.main:app"

    (cmd,) = dockerfile("CMD")
    path, _, rest = resolve_subcommand(exec_form(cmd))
    assert path == ["ingest"]
    assert rest == []


def test_dockerfile_installs_the_package_with_the_constraints() -> None:
    copies = " ".join(dockerfile("COPY")).split()
    copied_whole_context = "." in copies and not dockerignored("constraints.txt")
    assert "constraints.txt" in copies or copied_whole_context
    for needed in ("pyproject.toml", "constraints.txt", "README.md", "vendorwatch", "ingest"):
        assert not dockerignored(needed), f".dockerignore excludes {needed}"
    installs = [r for r in dockerfile("RUN") if re.search(r"\bpip install\b", r)]
    assert installs
    assert any(re.search(r"(-c|--constraint)[ =]\S*constraints\.txt", r) for r in installs)


def test_dockerfile_runs_as_a_non_root_user_with_a_data_volume() -> None:
    users = dockerfile("USER")
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}
    envs = " ".join(dockerfile("ENV"))
    db = re.search(r"VENDORWATCH_DB=(\S+)", envs)
    assert db
    assert db[1] == "/data/vendorwatch.duckdb"
    volumes = " ".join(dockerfile("VOLUME"))
    assert "/data" in volumes


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    for name in (".venv", "data", ".git", ".pytest_cache", ".mypy_cache", "artifacts"):
        assert dockerignored(name), f".dockerignore should exclude {name}"


# ------------------------------------------------------------------------------ CI


def ci_commands() -> list[str]:
    return [
        line.strip()
        for line in CI_RUN.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_ci_run_is_an_executable_strict_bash_script() -> None:
    assert os.access(CI_RUN, os.X_OK), ".ci/run must be executable"
    text = CI_RUN.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n") or text.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in ci_commands()
    subprocess.run(["bash", "-n", str(CI_RUN)], check=True, timeout=30)


def test_ci_runs_the_documented_test_command_and_lint() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme
    commands = ci_commands()
    tests = [c for c in commands if re.search(r"\bmake test\b", c)]
    lint = [c for c in commands if re.search(r"\bmake lint\b", c)]
    assert tests, ".ci/run must call `make test`"
    assert lint, ".ci/run must call `make lint`"
    for line in tests + lint:
        assert "|| true" not in line, f"exit status masked: {line}"
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test:.*\n\t\$\(BIN\)/python -m pytest", makefile, re.MULTILINE)
    assert re.search(r"^lint:", makefile, re.MULTILINE)
