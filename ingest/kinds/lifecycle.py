"""What the lifecycle kinds (defects, security incidents) share: SQL with one row per lifecycle
key, and the simulator process that opens lifecycles and resolves them later.

A lifecycle is opened at its first ``opened`` event, resolved at its last ``resolved`` event,
as severe as the worst severity reported when opened (or at all, if no ``opened`` event
arrived); time to resolve is known only when both ends are.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from ingest.kinds.simulation import DAY_MS, KindProcess, Payload, Row, SimulationContext, day_tag

WARMUP_DAYS = 14
"""Lifecycles opened this long before the simulation's start may resolve inside it."""


def rank(column: str, levels: tuple[str, ...]) -> str:
    """The 1-based position of ``column`` in ``levels`` (NULL if absent)."""
    quoted = ", ".join(f"'{level}'" for level in levels)
    return f"list_position([{quoted}], {column})"


def by_severity(prefix: str, levels: tuple[str, ...]) -> str:
    """``count(*)`` per severity level as ``<prefix>_<level>`` columns."""
    return ",\n        ".join(
        f"count(*) FILTER (WHERE severity = '{level}') AS {prefix}_{level}" for level in levels
    )


def lifecycle_cte(name: str, table: str, key: str, levels: tuple[str, ...], extra: str) -> str:
    """CTE ``name``: per vendor and ``key`` of ``table``, ``first_at``, ``opened_at``,
    ``resolved_at``, ``severity`` (and ``extra`` aggregates), for the vendors of ``_dirty``."""
    ranked = rank("severity", levels)
    quoted = ", ".join(f"'{level}'" for level in levels)
    return f"""{name} AS (
    SELECT vendor_id, {key},
        min(occurred_at) AS first_at,
        min(occurred_at) FILTER (WHERE status = 'opened') AS opened_at,
        max(occurred_at) FILTER (WHERE status = 'resolved') AS resolved_at,
        [{quoted}][coalesce(max({ranked}) FILTER (WHERE status = 'opened'), max({ranked}))]
            AS severity{extra}
    FROM {table}
    WHERE occurred_at < $as_of AND vendor_id IN (SELECT vendor_id FROM _dirty)
    GROUP BY vendor_id, {key}
)"""


def resolve_hours_mean() -> str:
    """Mean hours from opened to resolved, of the lifecycles where both ends are known."""
    return (
        "avg(CASE WHEN opened_at <= resolved_at\n"
        "            THEN epoch(resolved_at) - epoch(opened_at) END) / 3600"
    )


def lifecycle_ctes(
    of: Callable[[str], str],
    noun: str,
    table: str,
    levels: tuple[str, ...],
    aggregates: str,
    opened_extra: str = "",
) -> str:
    """The CTEs of a lifecycle kind, named after ``noun`` (``defect``, ``incident``):

    - ``<noun>_life``: :func:`lifecycle_cte` of ``table`` by ``<noun>_id``, with
      ``aggregates`` (``, max(x) AS x``);
    - ``<noun>s_opened``: per vendor and period of opening (``of``: the grain's period of a
      timestamp), ``<noun>s_opened``, one count per severity level and ``opened_extra``
      aggregates (``, sum(x) AS y``);
    - ``<noun>s_resolved``: per period of resolution, ``<noun>s_resolved`` and
      ``<noun>_resolve_hours_mean``."""
    life, opened, resolved = f"{noun}_life", f"{noun}s_opened", f"{noun}s_resolved"
    return f"""{lifecycle_cte(life, table, f"{noun}_id", levels, aggregates)},
{opened} AS (
    SELECT vendor_id, {of("opened_at")} AS period,
        count(*) AS {opened},
        {by_severity(opened, levels)}{opened_extra}
    FROM {life} WHERE opened_at IS NOT NULL GROUP BY ALL
),
{resolved} AS (
    SELECT vendor_id, {of("resolved_at")} AS period,
        count(*) AS {resolved},
        {resolve_hours_mean()} AS {noun}_resolve_hours_mean
    FROM {life} WHERE resolved_at IS NOT NULL GROUP BY ALL
)"""


class LifecycleProcess(KindProcess):
    """Lifecycles opened by a daily random process, each resolved after a random time to
    resolve (some are still open at the end); both events are scheduled when it opens.

    A subclass says :meth:`open_day` (the day's openings, from its ``rng`` stream) and, live,
    :meth:`live_rate` / :meth:`live` (which call :meth:`open`). The process is warmed up over
    the :data:`WARMUP_DAYS` before the start. Live, its slice of the draws stays when the kind
    is excluded, so excluding it does not change the other kinds' events."""

    keeps_share_when_excluded = True
    tag = ""
    """The event ids' prefix: ``<tag>-<vendor>-<ident>-o|r``."""

    def __init__(self, context: SimulationContext) -> None:
        self.context = context

    def begin(self, start_ms: int) -> None:
        first_day = start_ms // DAY_MS
        for day in range(first_day - WARMUP_DAYS, first_day):
            self._open_day(day)

    def day(self, day: int, lo_ms: int, hi_ms: int) -> list[Row]:
        self._open_day(day)
        return []  # all scheduled

    def _open_day(self, day: int) -> None:
        self.open_day(self.context.rng(self.tag, day), day, day_tag(day))

    def open_day(self, rng: random.Random, day: int, tag: str) -> None:
        """Open epoch ``day``'s lifecycles (idents ``<tag>-<n>``)."""
        raise NotImplementedError

    def open(self, ident: str, opened_ms: int, ttr_ms: float, fields: Payload) -> None:
        """Schedule a lifecycle's two events; ``fields`` follow ``status`` in each payload."""
        context = self.context
        resolved_ms = opened_ms + max(60_000, int(ttr_ms))
        for status, ts_ms in (("opened", opened_ms), ("resolved", resolved_ms)):
            event_id = f"{self.tag}-{context.vendor.vendor_id}-{ident}-{status[0]}"
            payload = context.envelope(event_id, ts_ms)
            context.schedule(ts_ms, payload | {"status": status} | fields)
