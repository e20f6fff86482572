"""A real, local Apache Kafka broker for the test suite and the benchmark.

`LocalBroker` drives ``scripts/kafka-local.sh``, which resolves Kafka from Maven Central (once,
into ``~/.cache/vendorwatch``) and runs one KRaft node (broker + controller) on 127.0.0.1.
Each `LocalBroker` owns one data directory and two TCP ports, so several can run side by side,
also next to a developer's broker on 9092. Its data directory (topics, committed offsets)
survives `stop`/`start`; it is never deleted by this module.

Contract summary:

* `start` returns only once the broker answers Kafka metadata requests; it is a no-op for a
  broker that is already running, and raises `BrokerError` when the broker cannot be started.
* `stop` returns once the JVM is gone (clean shutdown, SIGKILL after the script's timeout); it
  is a no-op for a stopped broker.
* Ports are fixed for the lifetime of the object, so `restart` brings the broker back on the
  same `bootstrap` address with the same data.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from ingest.topics import create_missing_topics

__all__ = ["SCRIPT", "BrokerError", "LocalBroker", "free_port"]

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "kafka-local.sh"
"""The shell script that fetches, starts and stops the broker."""

_HOST = "127.0.0.1"
# The first `start` on a machine may resolve ~45 MB of jars from Maven Central (about 5 s here,
# much longer on a slow network), on top of the script's own readiness wait.
_SCRIPT_START_TIMEOUT_S = 900.0
_SCRIPT_STOP_TIMEOUT_S = 120.0
_POLL_INTERVAL_S = 0.2


class BrokerError(RuntimeError):
    """The broker could not be started, stopped or queried; the message says why."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free at the time of the call.

    The port is not reserved: another process may take it before it is used.
    """
    return _free_ports(1)[0]


def _free_ports(count: int) -> list[int]:
    """Return `count` distinct ports that were free on 127.0.0.1 at the time of the call."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((_HOST, 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class LocalBroker:
    """One local single-node Kafka broker with its own data directory and ports.

    Args:
        data_dir: Directory holding everything the broker owns (config, ``broker.log``, pid
            file, topic data). Created if missing; reused as is if it already holds a broker.
        port: Client (PLAINTEXT) port on 127.0.0.1; a free port is chosen when None.
        controller_port: KRaft controller port on 127.0.0.1; a free port is chosen when None.
        heap: JVM heap flags (``KAFKA_HEAP``); the script's default (``-Xmx768m -Xms256m``)
            when None.
        num_partitions: Partitions of auto-created topics (``KAFKA_NUM_PARTITIONS``).
        ready_timeout: Seconds `start` waits for the broker to answer metadata requests after
            the script reported it started.

    The object does not start anything until `start` (or ``with``) is called.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        controller_port: int | None = None,
        *,
        heap: str | None = None,
        num_partitions: int = 3,
        ready_timeout: float = 60.0,
    ) -> None:
        if port is None or controller_port is None:
            chosen = iter(_free_ports(2))
            port = port if port is not None else next(chosen)
            controller_port = controller_port if controller_port is not None else next(chosen)
            if port == controller_port:
                controller_port = next(chosen)
        if port == controller_port:
            raise ValueError(f"port and controller_port must differ, both are {port}")
        if num_partitions < 1:
            raise ValueError(f"num_partitions must be >= 1, got {num_partitions}")
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.controller_port = controller_port
        self.ready_timeout = ready_timeout
        self._script_settings = {  # the script's KAFKA_* variables for this broker
            "KAFKA_DATA_DIR": str(self.data_dir),
            "KAFKA_PORT": str(port),
            "KAFKA_CONTROLLER_PORT": str(controller_port),
            "KAFKA_NUM_PARTITIONS": str(num_partitions),
            **({} if heap is None else {"KAFKA_HEAP": heap}),
        }

    def __repr__(self) -> str:
        return f"LocalBroker(bootstrap={self.bootstrap!r}, data_dir={str(self.data_dir)!r})"

    @property
    def bootstrap(self) -> str:
        """The ``bootstrap_servers`` address of this broker, ``"127.0.0.1:PORT"``."""
        return f"{_HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        """The broker's log file (the previous run's log is ``broker.log.1`` beside it)."""
        return self.data_dir / "broker.log"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the broker if needed and return once it answers metadata requests.

        Idempotent: a broker already running from this data directory is left as it is.
        Raises:
            BrokerError: the script failed (its output, including the log tail, is in the
                message) or the broker did not answer within `ready_timeout` seconds.
        """
        self._script("start", timeout=_SCRIPT_START_TIMEOUT_S)
        self._wait_until_answering(time.monotonic() + self.ready_timeout)

    def stop(self) -> None:
        """Stop the broker and return once its process is gone. Idempotent.

        Raises:
            BrokerError: the script failed.
        """
        self._script("stop", timeout=_SCRIPT_STOP_TIMEOUT_S)

    def restart(self) -> None:
        """Stop, then start again on the same ports with the same data directory."""
        self.stop()
        self.start()

    def status(self) -> str:
        """Return the script's status line: ``running (...)``, ``starting (...)``, ``stopped``."""
        return self._script("status", timeout=30.0, check=False).stdout.strip()

    def is_running(self) -> bool:
        """Return True when the broker process is alive and its client port accepts connections."""
        return self._script("status", timeout=30.0, check=False).returncode == 0

    def __enter__(self) -> Self:
        """Start the broker (see `start`) and return self; stop it again if starting fails."""
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the broker (see `stop`)."""
        self.stop()

    # ------------------------------------------------------------------ topics

    def admin(self, **configs: Any) -> Any:
        """Return a new ``KafkaAdminClient`` for this broker; the caller must close it.

        Keyword arguments are passed to ``KafkaAdminClient`` (after ``bootstrap_servers``).
        """
        return KafkaAdminClient(bootstrap_servers=self.bootstrap, **configs)

    def create_topics(
        self,
        names: Sequence[str],
        partitions: int = 3,
        *,
        configs: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Create the topics that do not exist yet and wait until all are usable.

        Each missing topic gets `partitions` partitions, replication factor 1 and the topic
        `configs` (e.g. ``{"retention.ms": "-1"}``). Topics that already exist are left
        unchanged, whatever their partition count (TopicAlreadyExistsError is ignored). On
        return every named topic is in the broker's metadata with a leader for every partition.

        Raises:
            kafka.errors.KafkaError: the broker refused to create a topic for another reason.
            ValueError: `partitions` < 1.
        """
        admin = self.admin(request_timeout_ms=int(timeout * 1000))
        try:
            create_missing_topics(
                admin, names, partitions=partitions, configs=configs, timeout_s=timeout
            )
        finally:
            admin.close()

    def topic_partitions(self) -> dict[str, int]:
        """Return ``{topic: partition count}`` for every topic, internal ones included."""
        admin = self.admin()
        try:
            topics = admin.describe_topics()
        finally:
            admin.close()
        return {str(t["name"]): len(t["partitions"]) for t in topics}

    # ------------------------------------------------------------------ internals

    def _script(
        self, command: str, *, timeout: float, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        try:
            proc = subprocess.run(
                ["bash", str(SCRIPT), command],
                env={**os.environ, **self._script_settings},
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BrokerError(
                f"{SCRIPT.name} {command} did not finish within {timeout:.0f}s"
                f" ({self!r}); see {self.log_path}"
            ) from exc
        if check and proc.returncode != 0:
            raise BrokerError(
                f"{SCRIPT.name} {command} failed with exit code {proc.returncode} ({self!r}):\n"
                f"{proc.stdout}{proc.stderr}".rstrip()
            )
        return proc

    def _wait_until_answering(self, deadline: float) -> None:
        """Poll real cluster metadata until this broker is listed in it, or raise BrokerError."""
        last_error: BaseException | None = None
        while True:
            try:
                admin = self.admin(
                    client_id="vendorwatch-localbroker",
                    request_timeout_ms=5000,
                    bootstrap_timeout_ms=5000,
                )
                try:
                    cluster = admin.describe_cluster()
                finally:
                    admin.close()
                if any(int(b["broker_id"]) >= 0 for b in cluster["brokers"]):
                    return
                last_error = None
            except (KafkaError, OSError) as exc:
                last_error = exc
            if time.monotonic() >= deadline:
                raise BrokerError(
                    f"{self!r} did not answer metadata requests within {self.ready_timeout:.0f}s"
                    f" (last error: {last_error!r}); see {self.log_path}"
                )
            time.sleep(_POLL_INTERVAL_S)
