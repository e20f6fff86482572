"""Judge a whole series of periods at once: numpy finds where a rule can leave ``ok``, and the
breach state machine (:func:`metrics.hysteresis.advance`) runs only from there on, for as long
as the rule is not ``ok``.

Contract: :func:`judge` returns exactly the steps that stepping every row through ``advance``
would return once the rows that stay ``ok`` are left out (from ``ok``, a row without a value,
with too small a sample, or not breaching records nothing), in the same order: rows in series
order, and within a row, tracks in the order given. The numpy prefilter may only *skip* rows:
every row it does not skip is checked again by the exact per-row rule before it is judged, so a
prefilter that proposes too many rows costs time, never a different result.

Most periods of most vendors are simply ``ok``; a rule that stays firing for months is judged
row by row, because each of those rows is a step to record.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from metrics.effective_rule import EffectiveRule, Severity
from metrics.hysteresis import BreachStatus, Observation, Status, Step, advance

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

if TYPE_CHECKING:
    from metrics.policy import Policy
    from metrics.policy_history import PolicyTimeline

_OK = BreachStatus()


def python_values(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """``column.to_pylist()``: the values ``fetchall`` gives, None for NULL. Dates go through
    numpy, which makes ``datetime.date`` objects 25x faster than pyarrow does."""
    if pa.types.is_date32(column.type):
        return list(column.to_numpy(zero_copy_only=False).tolist())  # NaT becomes None
    return list(column.to_pylist())


class Series:
    """The rows of a query result, column by column (a pyarrow table), read lazily.

    ``column(name)`` is the column as Python values (the same values ``fetchall`` gives),
    ``floats(name)`` as float64 with NaN for NULL; both are converted once and cached.
    """

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.names = tuple(table.column_names)
        self._lists: dict[str, list[Any]] = {}
        self._floats: dict[str, FloatArray] = {}

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def column(self, name: str) -> list[Any]:
        """The column's Python values; KeyError if the series has no such column."""
        values = self._lists.get(name)
        if values is None:
            if name not in self.names:
                raise KeyError(name)
            values = self._lists[name] = python_values(self.table.column(name))
        return values

    def floats(self, name: str) -> FloatArray:
        """``float(value)`` of each row, NaN where NULL (exactly the Python conversion)."""
        values = self._floats.get(name)
        if values is None:
            column = self.table.column(name)
            if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
                values = np.asarray(column.to_numpy(), dtype=np.float64)  # nulls become NaN
            else:  # decimals, booleans: convert as Python does
                values = np.array(
                    [np.nan if v is None else float(v) for v in self.column(name)],
                    dtype=np.float64,
                )
            self._floats[name] = values
        return values

    def row(self, index: int) -> SeriesRow:
        return SeriesRow(self, index)

    def rows(self) -> Iterator[SeriesRow]:
        return (SeriesRow(self, i) for i in range(len(self)))


class SeriesRow(Mapping[str, Any]):
    """One row of a :class:`Series`, read as a mapping of column name to Python value."""

    __slots__ = ("index", "series")

    def __init__(self, series: Series, index: int) -> None:
        self.series = series
        self.index = index

    def __getitem__(self, name: str) -> Any:
        return self.series.column(name)[self.index]

    def __iter__(self) -> Iterator[str]:
        return iter(self.series.names)

    def __len__(self) -> int:
        return len(self.series.names)


def policy_indexes(epochs: Sequence[float] | FloatArray, starts: Sequence[float]) -> list[int]:
    """For each instant, the index of the policy in force (``PolicyTimeline.at``, vectorised)."""
    found = np.searchsorted(np.asarray(starts, dtype=np.float64), epochs, side="right") - 1
    return [int(i) for i in np.maximum(found, 0)]


def segments(keys: Sequence[tuple[Any, ...]]) -> Iterator[tuple[int, int, tuple[Any, ...]]]:
    """``(start, stop, key)`` for each run of equal consecutive keys."""
    start = 0
    for index in range(1, len(keys) + 1):
        if index == len(keys) or keys[index] != keys[start]:
            yield start, index, keys[start]
            start = index


@dataclass(frozen=True)
class PolicySegment:
    """Rows ``[start, stop)`` of a series judged under one policy with the same ``values``."""

    start: int
    stop: int
    policy_index: int
    policy: Policy
    version: str
    values: tuple[Any, ...]


def policy_segments(
    series: Series, timeline: PolicyTimeline, columns: Sequence[str]
) -> Iterator[PolicySegment]:
    """The runs of consecutive rows of ``series`` under the same policy of ``timeline`` (the one
    in force at each row's ``period_end_epoch``) with equal values of ``columns``, in order.

    The judging loop of threshold rules and of SLO windows alike: each resolves its rules once
    per segment. A version hashes the whole policy, so it is computed once per policy."""
    policy_at = policy_indexes(series.floats("period_end_epoch"), timeline.starts)
    keys = list(zip(policy_at, *(series.column(c) for c in columns), strict=True))
    versions: dict[int, str] = {}
    for start, stop, (index, *values) in segments(keys):
        policy = timeline.policies[index]
        if index not in versions:
            versions[index] = str(policy.version)
        yield PolicySegment(start, stop, index, policy, versions[index], tuple(values))


def leaves_ok(rule: EffectiveRule, values: FloatArray, samples: FloatArray | None) -> BoolArray:
    """Rows that breach ``rule`` with enough of a sample (``samples``: NaN means "not used",
    None: no sample at all): the only rows at which an ``ok`` state can change."""
    if rule.direction == "above":
        breach = np.zeros(len(values), dtype=np.bool_)
        for threshold in (rule.warn, rule.critical):
            if threshold is not None:
                breach |= values > threshold
    else:
        breach = np.zeros(len(values), dtype=np.bool_)
        for threshold in (rule.warn, rule.critical):
            if threshold is not None:
                breach |= values < threshold
    if samples is not None and rule.min_sample > 0:
        breach &= np.isnan(samples) | (samples >= rule.min_sample)
    return breach


def stays_ok(rule: EffectiveRule, observation: Observation) -> bool:
    """From ``ok``, an observation that holds (insufficient) or is not breaching stays ``ok``."""
    value, sample = observation.value, observation.sample
    if value is None or value != value or (sample is not None and sample < rule.min_sample):
        return True
    return rule.level(value) == "ok"


@dataclass(frozen=True)
class Track:
    """One rule over rows ``[start, stop)`` of a series, all of one vendor (``key`` is
    ``(vendor_id, rule name)``: tracks with one key continue each other's state, in row order).

    ``order`` places its steps among the other tracks' steps of the same row; ``candidates``
    are the rows (ascending) where the rule may leave ``ok`` (a superset is fine);
    ``observe(row)`` is the row's observation; ``act_by(row)``, when given, the days left to
    the vendor's act-by date on the period's last day (None: no escalation for that row).
    """

    key: tuple[str, str]
    rule: EffectiveRule
    start: int
    stop: int
    order: int
    version: str
    candidates: Sequence[int]
    observe: Callable[[int], Observation]
    act_by: Callable[[int], int | None] | None = None


Judged = tuple[SeriesRow, EffectiveRule, Step, str]


def judge(
    series: Series, tracks: Iterable[Track], starts: Mapping[tuple[str, str], BreachStatus]
) -> list[Judged]:
    """Every step of ``tracks``, continuing from ``starts`` (see the module docstring)."""
    by_key: dict[tuple[str, str], list[Track]] = {}
    for track in tracks:
        by_key.setdefault(track.key, []).append(track)
    found: list[tuple[int, int, Judged]] = []
    for key, chain in by_key.items():
        previous: Status | None = starts.get(key)
        for track in sorted(chain, key=lambda t: t.start):
            previous = _walk(series, track, previous, found)
    found.sort(key=lambda item: (item[0], item[1]))
    return [item[2] for item in found]


def _walk(
    series: Series,
    track: Track,
    previous: Status | None,
    found: list[tuple[int, int, Judged]],
) -> Status | None:
    rule, candidates = track.rule, track.candidates
    index, next_candidate = track.start, 0
    while index < track.stop:
        current = previous if previous is not None else _OK
        if current.state is _OK.state:  # BreachState.OK would be an enum lookup per step
            next_candidate = bisect_left(candidates, index, next_candidate)
            if next_candidate == len(candidates) or candidates[next_candidate] >= track.stop:
                break
            index = candidates[next_candidate]
            observation = track.observe(index)
            if stays_ok(rule, observation):
                index += 1
                continue
        else:
            observation = track.observe(index)
        step = advance(rule, current, observation)
        days = track.act_by(index) if track.act_by is not None else None
        if step.severity is not None and days is not None:
            escalated = rule.escalated(step.severity, days_to_act_by=days)
            if escalated != step.severity:
                step = _with_severity(step, escalated, previous)
        found.append((index, track.order, (series.row(index), rule, step, track.version)))
        previous = step  # a step is the status it leaves (no BreachStatus per step)
        index += 1
    return previous


def _with_severity(step: Step, severity: Severity, previous: Status | None) -> Step:
    changed = previous is None or previous.severity != severity or previous.state != step.state
    reason = f"{step.reason}; escalated to {severity}: the act-by date is near"
    return step._replace(severity=severity, changed=changed, reason=reason)


def days_to_act_by(series: Series) -> Callable[[int], int | None]:
    """Days from the period's last day (its end instant's UTC date) to the row's ``act_by``."""
    act_by = series.table.column("act_by")
    deadlines = act_by.cast(pa.int32()).fill_null(0).to_numpy()  # days since the epoch
    ends = np.floor(series.floats("period_end_epoch") / 86_400)  # the end instant's UTC day
    left: list[int | None] = (deadlines - ends).astype(np.int64).tolist()
    if act_by.null_count:
        missing = act_by.is_null().to_numpy(zero_copy_only=False).tolist()
        left = [None if m else d for m, d in zip(missing, left, strict=True)]
    return left.__getitem__
