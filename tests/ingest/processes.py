"""Running ``vendorwatch ingest`` as a real OS process, as the crash and restart tests need."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import duckdb

from tests.conftest import settings_env
from vendorwatch.settings import Settings

STORED = re.compile(r"stored (\d+) events")


@dataclass
class IngestProcess:
    """A running ``vendorwatch ingest``; its stderr is collected by a reader thread."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @classmethod
    def start(cls, settings: Settings, *args: str, command: str = "ingest") -> IngestProcess:
        """Start ``vendorwatch COMMAND ARGS`` (``ingest``, or ``run`` for the whole engine)."""
        process = subprocess.Popen(
            [sys.executable, "-m", "vendorwatch", command, *args],
            env=settings_env(settings),
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        running = cls(process)
        running.reader = threading.Thread(target=running._read, daemon=True)
        running.reader.start()
        return running

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip())

    def stored(self) -> int:
        """The latest 'stored N events' this process reported (0 before its first report)."""
        for line in reversed(self.lines):
            if match := STORED.search(line):
                return int(match.group(1))
        return 0

    def wait_until_stored(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.stored() < count:
            if self.process.poll() is not None:
                raise AssertionError("ingest exited early:\n" + "\n".join(self.lines[-30:]))
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"stored {self.stored()} < {count}:\n" + "\n".join(self.lines[-30:])
                )
            time.sleep(0.2)

    def wait(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        if self.reader is not None:
            self.reader.join(timeout=10)  # the last lines, until stderr closes
        return code

    def output(self) -> str:
        return "\n".join(self.lines)


def drain_process(settings: Settings, timeout: float = 300) -> IngestProcess:
    """Run ``vendorwatch ingest --drain`` to completion; it must exit 0."""
    running = IngestProcess.start(settings, "--drain")
    code = running.wait(timeout)
    assert code == 0, running.output()
    return running


def query(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    """Read the engine's DuckDB file (only while no engine process holds it)."""
    con = duckdb.connect(str(settings.db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
