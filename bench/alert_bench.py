"""Alert latency benchmark: producing breach-causing events -> the signed webhook arriving.

One ``vendorwatch run`` at its DEFAULT cadence (``metrics.cycle_seconds``, ``cycle_min_seconds``
and ``batch_max_wait_ms`` untouched) reads fresh topics on a local broker and sends every alert
to one signed webhook channel on a loopback receiver. After a warm-up vendor (not counted), each
new vendor ``bench-breach-NN`` gets a tier-critical profile (SLA p95 400 ms) and 80 responses of
~2 s on each of the last 3 complete UTC days, so the default ``latency_p95`` rule (2 days for
tier critical, min_sample 50) fires. Latency = ``time.monotonic()`` when the receiver has read
the POST naming the vendor with a ``latency_p95`` alert, minus just before the first send
(producing included); the signature is checked with ``alerting.channels.webhook.verify``.
Breaches run one at a time, 0.3-3.3 s apart, so they meet the engine at different points of its
``cycle_min_seconds`` gap. p95 = ``statistics.quantiles(n=20, method="inclusive")[18]`` (linear
interpolation, like numpy's default percentile). Target (issue): p95 <= 10 s.
"""

from __future__ import annotations

import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
from kafka import KafkaProducer

from alerting.channels.webhook import SIGNATURE_HEADER, verify
from ingest.topics import ensure_topics
from tests.broker import LocalBroker
from vendorwatch.clock import utc_now
from vendorwatch.settings import (
    MetricsSettings,
    Settings,
    Topics,
    kafka_client_options,
    settings_environment,
)

P95_TARGET_S = 10.0
WAIT_S = 60.0
SECRET = "bench-alert-secret"
RESPONSES_PER_DAY, DAYS = 80, 3
PAUSES_S = (0.0, 0.75, 1.5, 2.25, 3.0)
_RUN_LINE = re.compile(r"metrics (\w+) as of .* (\d+) new alert transition\(s\).* in ([\d.]+) s")


@dataclass
class Hook:
    arrived: float
    body: bytes
    signature: str | None


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        hook = Hook(time.monotonic(), body, self.headers.get(SIGNATURE_HEADER))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        with receiver.cond:
            receiver.hooks.append(hook)
            receiver.cond.notify_all()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class Receiver:
    """A ThreadingHTTPServer on 127.0.0.1 (free port) recording every POST and its arrival."""

    def __init__(self) -> None:
        self.hooks: list[Hook] = []
        self.cond = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.receiver = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def wait_for(self, vendor_id: str, deadline: float, engine: Engine) -> Hook:
        """The first POST whose payload has ``vendor_id`` with a ``latency_p95`` alert."""
        seen = 0
        with self.cond:
            while True:
                for hook in self.hooks[seen:]:
                    payload = orjson.loads(hook.body)
                    rules = {a["rule"] for a in payload["alerts"]}
                    if payload["vendor"]["vendor_id"] == vendor_id and "latency_p95" in rules:
                        return hook
                seen = len(self.hooks)
                if engine.process.poll() is not None:
                    raise RuntimeError(f"engine exited early:\n{engine.tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no webhook for {vendor_id} in time:\n{engine.tail()}")
                self.cond.wait(0.2)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Engine:
    """``python -m vendorwatch run``; stderr lines are kept with their monotonic arrival."""

    process: subprocess.Popen[str]
    lines: list[tuple[float, str]] = field(default_factory=list)

    @classmethod
    def start(cls, settings: Settings) -> Engine:
        process = subprocess.Popen(
            [sys.executable, "-m", "vendorwatch", "run"],
            env=settings_environment(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        engine = cls(process)
        threading.Thread(target=engine._read, daemon=True).start()
        return engine

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append((time.monotonic(), line.rstrip()))

    def tail(self, n: int = 30) -> str:
        return "\n".join(line for _, line in self.lines[-n:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@dataclass
class AlertFigures:
    latencies: list[float]
    bad_signatures: int

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p95(self) -> float:
        if len(self.latencies) < 2:
            return max(self.latencies)
        return statistics.quantiles(self.latencies, n=20, method="inclusive")[18]

    @property
    def verdict(self) -> str:
        met = self.p95 <= P95_TARGET_S and not self.bad_signatures
        bad = f", {self.bad_signatures} bad signature(s)" if self.bad_signatures else ""
        return (
            f"alerts: breach-to-webhook p50 {self.p50:.2f} s, p95 {self.p95:.2f} s over "
            f"{len(self.latencies)} breaches (target p95 <= {P95_TARGET_S:g} s){bad}: "
            f"{'MET' if met else 'NOT MET'}"
        )


def breach_events(vendor_id: str, now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """(type, event): a critical-tier profile and ~2 s responses on the last 3 complete days."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    profile = {
        "type": "vendor_profile",
        "event_id": f"vp-{vendor_id}",
        "vendor_id": vendor_id,
        "occurred_at": (today - timedelta(days=10)).isoformat(),
        "name": f"Bench {vendor_id}",
        "service": "helpdesk",
        "tier": "critical",
        "contract": {
            "start_date": "2025-01-01",
            "end_date": "2028-12-31",
            "notice_period_days": 90,
            "monthly_fee": "45000.00",
            "currency": "EUR",
        },
        "sla": {"latency_p95_ms": 400, "success_rate_min": 0.99},
    }
    events: list[tuple[str, dict[str, Any]]] = [("vendor_profile", profile)]
    step = timedelta(days=1) / RESPONSES_PER_DAY
    for day in range(DAYS, 0, -1):
        start = today - timedelta(days=day)
        for i in range(RESPONSES_PER_DAY):
            response = {
                "type": "response_time",
                "event_id": f"rt-{vendor_id}-{day}-{i}",
                "vendor_id": vendor_id,
                "occurred_at": (start + i * step).isoformat(),
                "service": "helpdesk",
                "latency_ms": 1800.0 + (i * 37) % 400,
            }
            events.append(("response_time", response))
    return events


def one_breach(
    vendor_id: str,
    settings: Settings,
    producer: KafkaProducer,
    receiver: Receiver,
    engine: Engine,
    wait_s: float = WAIT_S,
) -> tuple[float, Hook]:
    """Produce one vendor's breach; seconds from the first send to its webhook arriving."""
    topic_of = {kind: topic for topic, kind in settings.topics.event_topics().items()}
    events = breach_events(vendor_id, utc_now())
    t0 = time.monotonic()
    for kind, event in events:
        producer.send(topic_of[kind], key=vendor_id.encode(), value=orjson.dumps(event))
    producer.flush(timeout=30)
    hook = receiver.wait_for(vendor_id, t0 + wait_s, engine)
    return hook.arrived - t0, hook


def _runs_between(engine: Engine, start: float, end: float) -> str:
    """The engine's metrics runs that ended in [start, end], as "+Xs (took Ys, N alerts)"."""
    runs = [
        f"+{at - start:.1f}s ({m.group(1)} {float(m.group(3)):.2f}s, {m.group(2)} alert(s))"
        for at, line in list(engine.lines)
        if start <= at <= end and (m := _RUN_LINE.search(line))
    ]
    return "; ".join(runs) or "none logged"


def run(broker: LocalBroker, workdir: Path, breaches: int) -> AlertFigures:
    """Start an engine at default cadence, then time ``breaches`` breaches one by one."""
    prefix = f"benchalert{uuid.uuid4().hex[:6]}"
    receiver = Receiver()
    engine: Engine | None = None
    producer: KafkaProducer | None = None
    latencies: list[float] = []
    bad = 0
    try:
        settings = Settings(
            kafka_bootstrap=broker.bootstrap,
            db=workdir / f"{prefix}.duckdb",
            group_id=f"{prefix}-engine",
            topics=Topics.prefixed(prefix),
            alerting={
                "channels": {"bench": {"type": "webhook", "url": receiver.url, "secret": SECRET}},
                "routes": [{"channels": ["bench"]}],
            },
        )
        default_wait = Settings.model_fields["batch_max_wait_ms"].default
        if settings.metrics != MetricsSettings() or settings.batch_max_wait_ms != default_wait:
            raise RuntimeError("VENDORWATCH_* or vendorwatch.toml changes the cadence under test")
        metrics = settings.metrics
        print(
            f"  engine cadence (defaults): cycle {metrics.cycle_seconds:g}s, min gap "
            f"{metrics.cycle_min_seconds:g}s, batch wait {settings.batch_max_wait_ms} ms"
        )
        ensure_topics(settings, partitions=3)
        producer = KafkaProducer(**kafka_client_options(settings), acks="all")
        engine = Engine.start(settings)
        warm, _ = one_breach("bench-breach-warmup", settings, producer, receiver, engine, 180)
        print(f"  warm-up (engine start-up included, not counted): {warm:.2f}s")
        for n in range(1, breaches + 1):
            # pauses of 0.3-3.3 s: breaches land at different points of the engine's min gap
            time.sleep(0.3 + PAUSES_S[n % len(PAUSES_S)])
            vendor_id = f"bench-breach-{n:02d}"
            latency, hook = one_breach(vendor_id, settings, producer, receiver, engine)
            bad += not verify(hook.body, SECRET, hook.signature)
            latencies.append(latency)
            time.sleep(0.2)  # the run's summary line is printed before the send; let it arrive
            runs = _runs_between(engine, hook.arrived - latency, hook.arrived)
            print(f"  {vendor_id}: {latency:5.2f}s  metrics runs ended at: {runs}")
    finally:
        if producer is not None:
            producer.close()
        if engine is not None:
            engine.stop()
        receiver.stop()
    figures = AlertFigures(latencies, bad)
    print(
        f"  n={len(latencies)}, median {figures.p50:.2f}s, p95 {figures.p95:.2f}s, "
        f"min {min(latencies):.2f}s, max {max(latencies):.2f}s"
    )
    return figures
