"""The Dockerfile and .dockerignore: a slim Python that fits ``requires-python``, the console
script as entrypoint, the package installed with the constraints, a non-root user and a
data volume, local state kept out of the image."""

from __future__ import annotations

import re
import tomllib

from tests.deploy.files import (
    REPO,
    dockerfile,
    dockerignored,
    exec_form,
    resolve_subcommand,
)


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
