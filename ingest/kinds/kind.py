"""What an event kind declares, in one place: :class:`EventKind` and its parts.

A kind module (``ingest/kinds/<kind>.py``) builds one :class:`EventKind`; the registry
(``ingest/kinds/__init__.py``) lists them in order. Each fact is said once: the kind's
``type`` and its table columns (names, types, nullability) derive from its contract model,
its table and topic names from the type unless given; count figures are :func:`count` /
:func:`per_level`; its simulator process is a factory of one vendor's process
(:mod:`ingest.kinds.simulation`): the simplest is a rate and a one-event draw
(``SimulatorProcess``), from which both the backfill and the live trickle derive.

Everything that differs per kind is data here, read by the layers that need it: the contract
model (ingest), the table and its columns (the store), the topic (settings), the figures it
adds to ``vendor_daily`` / ``vendor_monthly`` and which of them rules may watch (metrics), the
events behind an alert (evidence), a chart (dashboard, as data: nothing here imports a
plotting library) and a simulator process.

SQL in a contribution is a template over a period grain (:class:`PeriodGrain`, which
``metrics.service.Grain`` satisfies); it reads the temporary tables and CTEs that
``metrics.service`` documents (``_dirty``, ``read_from``, ``bounds``, ``_sla_targets``).
"""

from __future__ import annotations

import builtins
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from ingest.columns import Column, ColumnType, columns_of
from ingest.envelope import EventBase
from ingest.kinds.simulation import ProcessFactory


class PeriodGrain(Protocol):
    """SQL templates of one period grain (day or month), as ``metrics.service.Grain``."""

    @property
    def step(self) -> str: ...

    def of(self, timestamp_sql: str) -> str: ...

    def start(self, period_sql: str) -> str: ...

    def end(self, period_sql: str) -> str: ...

    def key_of_response(self, timestamp_sql: str) -> str: ...

    def period_of_response_key(self, key_sql: str) -> str: ...


@dataclass(frozen=True)
class Figure:
    """One column a kind adds to ``vendor_daily`` and ``vendor_monthly``.

    ``expression`` is its value in the ``service`` CTE (over ``bounds b`` and the kind's
    joined CTEs); ``sql_type`` its DDL type. With ``rule`` a threshold rule may watch it
    (``KNOWN_METRICS``); ``fraction``: a share in [0, 1]; ``sla_target``: the ``sla`` key its
    SLA target is read from; ``sample``: the column counting the observations behind it
    (a period with fewer than a rule's ``min_sample`` of them is not judged).
    """

    name: str
    sql_type: str
    expression: str
    rule: bool = False
    fraction: bool = False
    sla_target: str | None = None
    sample: str = "responses"


def count(name: str, alias: str, *, rule: bool = False, sample: str = "responses") -> Figure:
    """A count figure: ``<alias>.<name>``, 0 for a period without rows (never NULL)."""
    return Figure(name, "BIGINT NOT NULL", f"coalesce({alias}.{name}, 0)", rule=rule, sample=sample)


def per_level(
    prefix: str, alias: str, levels: tuple[str, ...], *, rule_on: tuple[str, ...] = ()
) -> tuple[Figure, ...]:
    """One :func:`count` per level, ``<prefix>_<level>``; rules may watch those in
    ``rule_on``."""
    return tuple(count(f"{prefix}_{level}", alias, rule=level in rule_on) for level in levels)


@dataclass(frozen=True)
class MetricContribution:
    """The period figures of a kind: its CTEs (a template over the grain, rendered as
    ``name AS (...)`` items joined by commas), the ``LEFT JOIN`` lines that bring them into
    the ``service`` CTE, and its :class:`Figure` columns, in table order."""

    ctes: Callable[[PeriodGrain], str]
    joins: tuple[str, ...]
    figures: tuple[Figure, ...]
    month_only_rule_metrics: tuple[str, ...] = ()
    """Rule metrics that exist in ``vendor_monthly`` only (the money side)."""


@dataclass(frozen=True)
class EvidenceSource:
    """The events behind metrics whose names start with one of ``prefixes``: ``columns`` of
    ``table`` matching ``where``, most telling first by ``order``. ``period`` says how an
    event falls in the period: by ``occurred_at``, or by the month of ``period_start``."""

    prefixes: tuple[str, ...]
    table: str
    columns: str
    where: str
    order: str
    period: Literal["occurred_at", "invoice_month"] = "occurred_at"


@dataclass(frozen=True)
class ChartSpec:
    """A vendor-page chart of daily figures, as data.

    ``style`` ``lines`` or ``stacked_bars``; ``series`` column -> legend label; ``sla``
    (label, profile column) target lines; rules on ``rule_metrics`` add their thresholds and
    ``shaded_metrics`` their breach periods; ``y_format`` a d3 format, e.g. ``.0%``."""

    title: str
    style: Literal["lines", "stacked_bars"]
    series: Mapping[str, str]
    y_title: str
    sla: tuple[tuple[str, str], ...] = ()
    rule_metrics: frozenset[str] = frozenset()
    shaded_metrics: frozenset[str] = frozenset()
    y_format: str | None = None


@dataclass(frozen=True)
class ReportFigure:
    """A ``vendor_monthly`` figure of the monthly review (``dashboard.report_model.Metric``):
    ``unit`` count, fraction, percent, ms, per_1k, money or points; ``better`` higher, lower
    or None (a volume); ``basis`` the status that says whether it can be judged (``service``:
    ``status``; ``events``: the row exists); ``additive``: grows with the period's length;
    ``headline``: shown in the review's all-vendors table, not only in the vendor's detail."""

    key: str
    label: str
    unit: Literal["count", "fraction", "percent", "ms", "per_1k", "money", "points"]
    better: Literal["higher", "lower"] | None
    basis: Literal["service", "events"]
    additive: bool = False
    headline: bool = True


@dataclass(frozen=True)
class QualityComponent:
    """A component of the daily quality score (``metrics.scores``), 0-100.

    ``window`` are (column, SQL over ``vendor_daily`` with the 30-day frame ``w30``) inputs;
    ``score`` the component's SQL over them (NULL: not available that day); ``weight`` its
    weight in the quality mean (the built-in latency, reliability and defect components weigh
    1 each). The window columns and ``<name>_score`` are kept in ``vendor_scores``."""

    name: str
    weight: float
    window: tuple[tuple[str, str, str], ...]
    """(column, SQL type, window SQL)."""
    score: str


@dataclass(frozen=True)
class EventKind:
    """One event kind, declared once (see the module docstring)."""

    model: builtins.type[EventBase]
    """The contract model; its ``type: Literal["<kind>"]`` field names the kind."""
    description: str
    type: str = field(init=False, default="")
    """The kind's ``type``, read from :attr:`model`."""
    column_types: Mapping[str, ColumnType] = field(default_factory=dict)
    """Column types other than the model's fields derive (by column name), e.g. ``bigint``."""
    column_names: Mapping[str, str] = field(default_factory=dict)
    """Column names other than ``<part>_<field>`` for nested fields (by path ``part.field``)."""
    columns: tuple[Column, ...] = field(init=False, default=())
    """The kind's own columns, between the common ones and the trailer (table order): the
    model's fields but the envelope's (:func:`ingest.columns.columns_of`)."""
    table: str = ""
    """The event table; default ``<type>s``."""
    topic_setting: str = ""
    """The ``[topics]`` key of its topic; default the table's name."""
    default_topic: str = ""
    """The topic's default name; default ``vendor.<topic_setting>``."""
    money: bool = False
    """Carries money: parsed with exact decimals, never through a binary float."""
    dedup_key: tuple[str, ...] = ("event_id",)
    """What makes two records the same event (a repeat is stored once, a different content
    under the same key is a conflict). The store (``ingest.repeats``, the ``event_ids`` view)
    implements ``("event_id",)`` only; the registry refuses any other key."""
    metrics: MetricContribution | None = None
    evidence: tuple[EvidenceSource, ...] = ()
    charts: tuple[ChartSpec, ...] = ()
    quality: tuple[QualityComponent, ...] = ()
    simulator: ProcessFactory | None = None
    """The kind's simulator process for one vendor (:mod:`ingest.kinds.simulation`): a
    ``SimulatorProcess`` (a rate and a one-event draw) or a stateful process's factory."""
    simulator_source: str = ""
    report: tuple[ReportFigure, ...] = ()
    """The figures this kind adds to the monthly review, in order."""
    explain: Callable[[Mapping[str, object]], list[str]] | None = None
    """Lines for ``vendorwatch explain`` from a ``vendor_monthly`` row."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", _literal_type(self.model))
        own = columns_of(
            self.model,
            exclude=EventBase.model_fields,
            types=self.column_types,
            names=self.column_names,
        )
        object.__setattr__(self, "columns", own)
        table = self.table or f"{self.type}s"
        topic_setting = self.topic_setting or table
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "topic_setting", topic_setting)
        object.__setattr__(self, "default_topic", self.default_topic or f"vendor.{topic_setting}")


def _literal_type(model: builtins.type[EventBase]) -> str:
    """The one value of ``model``'s ``type: Literal[...]`` field; ``TypeError`` otherwise."""
    annotation = model.model_fields["type"].annotation
    values = typing.get_args(annotation) if typing.get_origin(annotation) is Literal else ()
    if len(values) != 1 or not isinstance(values[0], str):
        raise TypeError(f"{model.__name__}.type must be a Literal of one string")
    return values[0]
