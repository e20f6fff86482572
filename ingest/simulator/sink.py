"""Where simulated events go (JSON lines, one file per topic, Kafka), pacing, and run stats.

Contracts:

- Every sink writes each :class:`SimEvent`'s ``value`` unchanged, i.e. exactly the Kafka
  record value; the JSON-lines sinks end each with ``\\n`` (so ``kcat -P -t <topic> -K ...``
  or any line-based producer can replay a ``<topic>.jsonl`` file).
- A sink is used as ``send(event)`` repeatedly, then ``close()`` once; ``close`` flushes.
- Topics are given as :meth:`ingest.topics.Topics.event_topics` returns them,
  ``{topic: type}``; each event goes to the topic of its type, keyed by its vendor id.
- :func:`produce` returns how many records the broker acknowledged and raises
  :class:`ProduceError` if any failed; the topics must exist.
- :func:`paced` takes the clock and sleeper as parameters; it never reads wall time itself.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from ingest.simulator.generator import EVENT_TYPES, SimEvent

CLIENT_ID = "vendorwatch-simulator"
PRODUCER_CONFIG: dict[str, Any] = {
    "acks": "all",  # with the default idempotence: no duplicates from producer retries
    "linger_ms": 30,
    "batch_size": 512 * 1024,
    "compression_type": None,  # lz4 would need an extra library; the broker is local
}


class ProduceError(RuntimeError):
    """Some records were not acknowledged by Kafka."""


class EventSink(Protocol):
    """Receives events one by one; ``close`` flushes and releases resources."""

    def send(self, event: SimEvent) -> None: ...

    def close(self) -> None: ...


def topic_by_type(topics: Mapping[str, str]) -> dict[str, str]:
    """Invert ``{topic: type}`` into ``{type: topic}``; every event type needs one topic."""
    inverted = {event_type: topic for topic, event_type in topics.items()}
    missing = [t for t in EVENT_TYPES if t not in inverted]
    if missing or len(inverted) != len(topics):
        raise ValueError(f"need exactly one topic per event type; missing: {missing}")
    return inverted


class JsonLinesSink:
    """One JSON object per line on a binary stream (a file, or stdout for ``-``)."""

    def __init__(self, stream: BinaryIO, *, owns_stream: bool = False) -> None:
        self._stream = stream
        self._owns_stream = owns_stream
        self._write = stream.write

    @classmethod
    def open(cls, target: str | Path) -> JsonLinesSink:
        """Write to the file ``target`` (replaced), or to stdout when it is ``-``."""
        if str(target) == "-":
            return cls(sys.stdout.buffer)
        return cls(Path(target).open("wb", buffering=1 << 20), owns_stream=True)

    def send(self, event: SimEvent) -> None:
        self._write(event.value + b"\n")

    def close(self) -> None:
        self._stream.flush()
        if self._owns_stream:
            self._stream.close()


class SplitByTopicSink:
    """One ``<topic>.jsonl`` file per event topic in ``directory`` (created if missing)."""

    def __init__(self, directory: Path, topics: Mapping[str, str]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.paths = {t: directory / f"{topic}.jsonl" for t, topic in topic_by_type(topics).items()}
        self._files = {t: path.open("wb", buffering=1 << 20) for t, path in self.paths.items()}

    def send(self, event: SimEvent) -> None:
        self._files[event.topic_type].write(event.value + b"\n")

    def close(self) -> None:
        for stream in self._files.values():
            stream.close()


class KafkaSink:
    """Sends to Kafka through a kafka-python ``KafkaProducer`` (or anything with its
    ``send``/``flush``/``close``); delivery failures are counted by callback."""

    def __init__(self, producer: Any, topics: Mapping[str, str], flush_timeout_s: float = 120):
        self._producer = producer
        self._topics = topic_by_type(topics)
        self._flush_timeout_s = flush_timeout_s
        self.sent = 0
        self.failed = 0
        self.first_error: BaseException | None = None

    def _on_error(self, error: BaseException) -> None:
        self.failed += 1
        if self.first_error is None:
            self.first_error = error

    def send(self, event: SimEvent) -> None:
        future = self._producer.send(
            self._topics[event.topic_type], value=event.value, key=event.key
        )
        future.add_errback(self._on_error)
        self.sent += 1

    @property
    def produced(self) -> int:
        """Records sent and not (yet) reported failed; exact after :meth:`close`."""
        return self.sent - self.failed

    def close(self) -> None:
        """Flush, close the producer, and raise :class:`ProduceError` if anything failed."""
        try:
            self._producer.flush(timeout=self._flush_timeout_s)
        finally:
            self._producer.close()
        if self.failed:
            raise ProduceError(
                f"{self.failed} of {self.sent} records were not acknowledged: {self.first_error}"
            )


def drain(events: Iterable[SimEvent], sink: EventSink) -> int:
    """Send every event to ``sink`` (without closing it); returns how many."""
    count = 0
    send = sink.send
    for event in events:
        send(event)
        count += 1
    return count


def produce(
    events: Iterable[SimEvent],
    bootstrap: str,
    topics: Mapping[str, str],
    *,
    client_config: Mapping[str, Any] | None = None,
    producer_factory: Callable[..., Any] | None = None,
) -> int:
    """Send ``events`` to Kafka at ``bootstrap`` (``host:port[,...]``) and flush.

    ``topics`` is ``{topic: type}`` and the topics must exist (``ingest.topics.ensure_topics``
    creates them). ``client_config`` adds or overrides kafka-python options
    (``security_protocol``, SASL credentials, ``linger_ms``...). Returns the number of
    acknowledged records; raises :class:`ProduceError` if any record failed.
    """
    if producer_factory is None:
        from kafka import KafkaProducer

        producer_factory = KafkaProducer
    options = {"bootstrap_servers": bootstrap.split(","), "client_id": CLIENT_ID}
    producer = producer_factory(**(options | PRODUCER_CONFIG | dict(client_config or {})))
    sink = KafkaSink(producer, topics)
    try:
        drain(events, sink)
    finally:
        sink.close()
    return sink.produced


def paced(
    events: Iterable[SimEvent],
    *,
    rate: float,
    duration_s: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[SimEvent]:
    """Release event ``i`` no earlier than ``t0 + i / rate`` seconds on ``clock``.

    The next event is pulled from ``events`` only after the wait, so a live source stamps it
    with its emission time. Stops after ``duration_s`` seconds (``None`` or 0: never) or when
    ``events`` ends. When the source is slower than ``rate`` it runs flat out, never bursts
    more than it is behind.
    """
    if rate <= 0:
        raise ValueError("rate must be positive")
    source = iter(events)
    started = clock()
    for index in range(sys.maxsize):
        due = started + index / rate
        if duration_s and (due - started >= duration_s or clock() - started >= duration_s):
            return
        delay = due - clock()
        if delay > 0:
            sleep(delay)
        event = next(source, None)
        if event is None:
            return
        yield event


class RunStats:
    """Counts events per type as they pass and formats the closing summary line."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.counts: Counter[str] = Counter()
        self._clock = clock
        self.started = clock()

    def observe(self, events: Iterable[SimEvent]) -> Iterator[SimEvent]:
        """Pass ``events`` through, counting them."""
        counts = self.counts
        for event in events:
            counts[event.topic_type] += 1
            yield event

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self, destination: str) -> str:
        """``simulate: N events to DEST in S s (R events/s): type=n, ...``."""
        elapsed = max(self._clock() - self.started, 1e-9)
        per_type = ", ".join(f"{t}={self.counts[t]}" for t in EVENT_TYPES)
        return (
            f"simulate: {self.total} events to {destination} in {elapsed:.2f} s "
            f"({self.total / elapsed:,.0f} events/s): {per_type}"
        )
