""".ci/run: a strict bash script that runs the documented ``make test`` and ``make lint``."""

from __future__ import annotations

import os
import re
import subprocess

from tests.deploy.files import CI_RUN, REPO


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
