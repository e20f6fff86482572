"""The event-kind registry: every kind vendorwatch accepts, in order, each declared once.

Adding a kind is its module (``ingest/kinds/<kind>.py``, whose ``KIND`` is an
:class:`~ingest.kinds.kind.EventKind` whose contract model has ``type: Literal["<kind>"]``)
and one line in :data:`REGISTERED`. Everything else —
the contract's model lookup, the store's tables and ``event_ids`` view, the topics, the
projections' columns and SQL, the metrics rules may watch, evidence, charts, the monthly
report, ``explain`` and the simulator — iterates :data:`KINDS`.

The order matters where a kind's figures read another's (``defects_per_1k`` reads the
response count): a kind comes after the kinds it reads.
"""

from __future__ import annotations

import importlib

from ingest.kinds.kind import EventKind

REGISTERED: tuple[str, ...] = (
    "response_time",
    "defect",
    "security_incident",
    "cost_invoice",
    "vendor_profile",
    "satisfaction_survey",
)
"""The kinds' modules under ``ingest/kinds/``, in order: one line per kind."""


def _declared(module: str) -> EventKind:
    kind = getattr(importlib.import_module(f"ingest.kinds.{module}"), "KIND", None)
    if not isinstance(kind, EventKind) or kind.type != module:
        raise ImportError(f"ingest.kinds.{module} must declare KIND, an EventKind of that type")
    if kind.dedup_key != ("event_id",):
        raise ImportError(f"ingest.kinds.{module}: the store deduplicates by event_id only")
    return kind


KINDS: tuple[EventKind, ...] = tuple(_declared(module) for module in REGISTERED)
"""Every registered kind, in :data:`REGISTERED` order."""

KIND_BY_TYPE: dict[str, EventKind] = {kind.type: kind for kind in KINDS}
if len(KIND_BY_TYPE) != len(KINDS) or len({k.table for k in KINDS}) != len(KINDS):
    raise ImportError("ingest.kinds: two kinds share a type or a table")  # pragma: no cover


def kind_of(event_type: str) -> EventKind:
    """The registered kind of ``event_type``; ``KeyError`` if there is none."""
    return KIND_BY_TYPE[event_type]


__all__ = ["KINDS", "KIND_BY_TYPE", "REGISTERED", "EventKind", "kind_of"]
