"""The event-kind registry: every kind vendorwatch accepts, in order, each declared once.

Adding a kind is its module (``ingest/kinds/<kind>.py``, building an
:class:`~ingest.kinds.kind.EventKind`) and one line in :data:`KINDS`. Everything else —
the contract's model lookup, the store's tables and ``event_ids`` view, the topics, the
projections' columns and SQL, the metrics rules may watch, evidence, charts, the monthly
report, ``explain`` and the simulator — iterates :data:`KINDS`.

The order matters where a kind's figures read another's (``defects_per_1k`` reads the
response count): a kind comes after the kinds it reads.
"""

from __future__ import annotations

from ingest.kinds import (
    cost_invoice,
    defect,
    response_time,
    satisfaction_survey,
    security_incident,
    vendor_profile,
)
from ingest.kinds.kind import EventKind

KINDS: tuple[EventKind, ...] = (
    response_time.KIND,
    defect.KIND,
    security_incident.KIND,
    cost_invoice.KIND,
    vendor_profile.KIND,
    satisfaction_survey.KIND,
)

KIND_BY_TYPE: dict[str, EventKind] = {kind.type: kind for kind in KINDS}
if len(KIND_BY_TYPE) != len(KINDS) or len({k.table for k in KINDS}) != len(KINDS):
    raise ImportError("ingest.kinds: two kinds share a type or a table")  # pragma: no cover


def kind_of(event_type: str) -> EventKind:
    """The registered kind of ``event_type``; ``KeyError`` if there is none."""
    return KIND_BY_TYPE[event_type]


__all__ = ["KINDS", "KIND_BY_TYPE", "EventKind", "kind_of"]
