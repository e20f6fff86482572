"""docker-compose.yml runs what the code offers: real subcommands and options, the services
their names promise, dependencies that make sense, data in named volumes."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import run_vendorwatch
from tests.deploy.files import (
    EXPECTED_SERVICES,
    KAFKA_SERVICE,
    Compose,
    command_args,
    long_options,
    resolve_subcommand,
    service_env,
    vendorwatch_services,
)


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
