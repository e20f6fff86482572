"""The evidence behind a breach, as one typed document from the judge to the page.

:func:`metrics.evidence.evidence_for` builds an :class:`Evidence` when a rule records a
transition; ``alert_log.evidence`` stores its JSON (:meth:`Evidence.to_json`); the alerting
planner and the dashboard read it back with :func:`parse_evidence` and pass the model on
(alerting's ``AlertNews`` carries it) — nobody reshapes it into dicts on the way.

This module imports nothing of vendorwatch's, so every layer can depend on it.

Contract of the JSON (unchanged since the first release, so every stored row parses):

* ``metric`` and ``period`` (``start``/``end``, tz-aware instants) of the judged figure;
* ``thresholds``: direction, warn, critical, clear, dwell (``for_periods``), clear dwell
  (``clear_periods``) and ``min_sample`` of the rule as resolved for the vendor;
* ``values``: the rule's recent steps up to the transition (period, value, state, reason);
* ``events`` (figures computed from events): ``count`` of the events the figure counts, in
  ``table``, and a ``sample`` of the most telling ones, each with its provenance
  (``event_id``, ``occurred_at``, ``topic``, ``partition``, ``offset``) and the columns of its
  kind (``latency_ms``, ``amount``, ...);
* ``components`` (scores): the inputs of that day's score row, column by column; money as
  decimal text, exactly as stored.

Growing it: a new fact is an optional field (default None) or an optional sub-model, so rows
written before it still parse — e.g. the windowed significance test of issue 23 ("47 of 600
responses in the last 6 h over 1,500 ms, where at most 30 are allowed (p < 0.001)") becomes
``test: WindowTest | None = None`` with its window, observed and allowed counts, statistic
and p-value. Unknown top-level fields are kept (``model_extra``), so a row written by a newer
release still reads, and the dashboard shows what it does not know as JSON.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

Scalar = str | int | float | bool | None
"""A value as JSON states it: numbers, text (money and dates as text), booleans, null."""

StepState = Literal["ok", "pending", "firing", "resolved"]


class _Frozen(BaseModel):
    # Extra fields are kept, not refused: a row written by a newer release still reads.
    model_config = ConfigDict(frozen=True, extra="allow")


class EvaluationPeriod(_Frozen):
    """The judged period: ``[start, end)``."""

    start: AwareDatetime
    end: AwareDatetime


class Thresholds(_Frozen):
    """The rule as resolved for the vendor when it judged the period."""

    direction: Literal["above", "below"]
    warn: float | None
    critical: float | None
    clear: float | None
    for_periods: int
    clear_periods: int
    min_sample: int


class JudgedPeriod(_Frozen):
    """One step of the rule's state machine: the period's value and the state it led to."""

    period: date
    value: float | None
    state: StepState
    reason: str | None = None


class SampledEvent(BaseModel):
    """One event behind the figure: where it was read, and its kind's own columns (kept as
    extra fields, e.g. ``latency_ms``, ``success``, ``amount``; see :attr:`facts`)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    event_id: str
    occurred_at: AwareDatetime
    topic: str
    partition: int
    offset: int

    @property
    def facts(self) -> dict[str, Scalar]:
        """The kind's columns of this event, in stored order."""
        return dict(self.model_extra or {})


class EventSample(_Frozen):
    """How many events the figure counts, and the most telling of them."""

    table: str
    count: int
    sample: tuple[SampledEvent, ...] = ()


class Evidence(BaseModel):
    """Why a rule moved: see the module docstring for each field."""

    model_config = ConfigDict(frozen=True, extra="allow")

    metric: str
    period: EvaluationPeriod
    thresholds: Thresholds
    values: tuple[JudgedPeriod, ...]
    events: EventSample | None = None
    components: dict[str, Scalar] | None = None

    def to_json(self) -> str:
        """The text stored in ``alert_log.evidence``."""
        return self.model_dump_json()

    @property
    def unknown(self) -> dict[str, object]:
        """Fields this release does not know (written by a newer one), as stored."""
        return dict(self.model_extra or {})


def parse_evidence(text: str | bytes) -> Evidence:
    """The evidence stored as ``text``; ``pydantic.ValidationError`` if it is not one."""
    return Evidence.model_validate_json(text)
