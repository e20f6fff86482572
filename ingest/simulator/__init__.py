"""The vendor simulator: realistic vendor histories through exactly the EVENTS.md contract.

Public API (ground truth per vendor lives on :class:`SimulatedVendor`)::

    vendors = build_vendors(["latency_degradation"], 2, start=start, end=now, seed=42)
    events = generate_events(vendors, start, now, seed=42, events_per_day=2000)
    produce(events, "127.0.0.1:9092", settings.topics.event_topics())  # topics must exist
"""

from ingest.simulator.generator import EVENT_TYPES, SimEvent, Simulation, generate_events
from ingest.simulator.scenarios import PRESET_NAMES, PRESETS, SimulatedVendor, build_vendors
from ingest.simulator.sink import (
    JsonLinesSink,
    KafkaSink,
    ProduceError,
    RunStats,
    SplitByTopicSink,
    drain,
    paced,
    produce,
)

__all__ = [
    "EVENT_TYPES",
    "PRESETS",
    "PRESET_NAMES",
    "JsonLinesSink",
    "KafkaSink",
    "ProduceError",
    "RunStats",
    "SimEvent",
    "SimulatedVendor",
    "Simulation",
    "SplitByTopicSink",
    "build_vendors",
    "drain",
    "generate_events",
    "paced",
    "produce",
]
