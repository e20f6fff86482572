"""The DuckDB fast path never accepts what pydantic refuses, and stores identical values.

Differential: each generated record value goes through :func:`surely_valid_response_times`
(DuckDB) and through :func:`parse_event` + the store's column extraction (pydantic). Whenever
the fast path takes a record, pydantic must accept it and every column must be equal (floats
bit for bit). The fast path may decline a valid record (it then goes the pydantic way), but it
must take the common compact shape the simulator and upstream APMs send.
"""

from __future__ import annotations

import json
import math
import struct
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from ingest.contract import ContractViolation, parse_event
from ingest.fastpath import surely_valid_response_times
from ingest.records import AcceptedEvent, Record
from ingest.schema import table_columns
from ingest.staging import column_values

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
SKEW = timedelta(hours=24)
MAX_BYTES = 2_000
TOPIC = "rt"
COLUMNS = table_columns("response_time")


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def fast_path(con: duckdb.DuckDBPyConnection, values: list[bytes]) -> dict[int, dict[str, Any]]:
    """ord -> column values of the records the fast path takes."""
    raw = pa.table(
        {
            "ord": pa.array(range(len(values)), pa.int32()),
            "topic": pa.array([TOPIC] * len(values), pa.string()),
            "partition": pa.array([0] * len(values), pa.int32()),
            "offset": pa.array(range(len(values)), pa.int64()),
            "value": pa.array(values, pa.binary()),
        }
    )
    query, params = surely_valid_response_times(
        topics=[TOPIC], received_at=NOW, max_future_skew=SKEW, max_record_bytes=MAX_BYTES
    )
    con.register("raw_records", raw)
    try:
        rows = con.execute(query, params).fetchall()
    finally:
        con.unregister("raw_records")
    return {row[0]: dict(zip([c.name for c in COLUMNS], row[1:], strict=True)) for row in rows}


def pydantic_path(value: bytes, offset: int) -> dict[str, Any] | None:
    """Column values the pydantic path stores, or None when it dead-letters the record."""
    try:
        event = parse_event(
            value,
            allowed_type="response_time",
            received_at=NOW,
            max_future_skew=SKEW,
            max_record_bytes=MAX_BYTES,
        )
    except ContractViolation:
        return None
    item = AcceptedEvent(Record(TOPIC, 0, offset, None, value), event)
    arrays = {c.name: pa.array(column_values(c, [item], NOW), c.arrow_type) for c in COLUMNS}
    # through Arrow and DuckDB, as the store does, so both sides have DuckDB's Python types
    return {name: array[0].as_py() for name, array in arrays.items()}


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    return bool(a == b) and type(a) is type(b)


def check(con: duckdb.DuckDBPyConnection, values: list[bytes]) -> int:
    """Assert the differential property; return how many records the fast path took."""
    taken = fast_path(con, values)
    for ord_, fast in taken.items():
        slow = pydantic_path(values[ord_], ord_)
        assert slow is not None, f"fast path took a record pydantic refuses: {values[ord_]!r}"
        for name, value in slow.items():
            assert same(fast[name], value), (name, fast[name], value, values[ord_])
    return len(taken)


TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from('"\\/\n\x00é👍'),
    max_size=140,
)
IDENT = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,70}", fullmatch=True) | TEXT
TIMESTAMPS = st.one_of(
    st.datetimes(
        min_value=datetime(999, 1, 1),
        max_value=datetime(9999, 12, 31),
        timezones=st.sampled_from([UTC, None])
        | st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m))),
    ).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
        r"([Zz]|[+-][0-9]{2}:[0-9]{2})?",
        fullmatch=True,
    ),
    st.sampled_from(
        [
            "2026-11-02T12:00:00Z",
            "2026-11-02T12:00:00.000001Z",
            "2026-11-02T13:00:00+01:00",
            "2026-02-29T00:00:00Z",
            "2024-02-29T00:00:00Z",
            "2026-10-03T24:00:00Z",
            "2026-10-03T23:59:60Z",
            "2026-10-03T14:05:00.1234567Z",
            "0000-01-01T00:00:00Z",
        ]
    ),
)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.from_regex(r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["1e-400", "4.9e-324", "1e400", "-0", "-0.0", "NaN", "Infinity", "01", "1."]),
)
ANY_JSON = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "type": st.sampled_from(["response_time", "defect", "Response_time"]) | ANY_JSON,
    "event_id": IDENT | ANY_JSON,
    "vendor_id": IDENT | ANY_JSON,
    "occurred_at": TIMESTAMPS | ANY_JSON,
    "schema_version": st.sampled_from([1, 2, 0, True, 1.0, "1", None]),
    "source": TEXT | st.none() | ANY_JSON,
    "service": TEXT | ANY_JSON,
    "latency_ms": NUMBERS | ANY_JSON,
    "success": st.booleans() | ANY_JSON,
    "request_id": TEXT | st.none() | ANY_JSON,
    "extra": ANY_JSON | st.lists(st.integers(), max_size=2),
}
REQUIRED = ("type", "event_id", "vendor_id", "occurred_at", "service", "latency_ms")


def render(value: Any) -> str:
    """JSON text for a value; number strings from NUMBERS are emitted as raw tokens."""
    if isinstance(value, RawNumber):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(value)]
    return json.dumps(value, ensure_ascii=False)


class RawNumber(str):
    """A number token to write as is (possibly not valid JSON, e.g. ``01``)."""


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    doc: list[tuple[str, Any]] = []
    for name, values in FIELD_VALUES.items():
        present = name in REQUIRED and draw(st.integers(0, 19)) > 0
        if present or draw(st.booleans()):
            value = draw(values)
            if name == "latency_ms" and isinstance(value, str) and draw(st.booleans()):
                value = RawNumber(value)
            doc.append((name, value))
    if doc and draw(st.integers(0, 9)) == 0:
        doc.append(draw(st.sampled_from(doc)))  # a duplicate key
    order = draw(st.permutations(doc))
    space = draw(st.sampled_from(["", " ", "\t", "\n"]))
    body = f",{space}".join(f"{json.dumps(k)}:{space}{render(v)}" for k, v in order)
    text = draw(st.sampled_from(["{%s}", " {%s} ", "[{%s}]", "\ufeff{%s}", "{%s"])) % body
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=4)) + text.encode() + draw(st.binary(max_size=4))
    return text.encode("utf-8", "surrogatepass")


@st.composite
def near_valid(draw: st.DrawFn) -> bytes:
    """A valid compact record, then (mostly) one field replaced by a generated value."""
    doc: dict[str, Any] = orjson.loads(COMPACT)
    doc["latency_ms"] = draw(st.floats(min_value=0, max_value=1e16) | st.integers(0, 2**63))
    doc["event_id"] = draw(st.text(min_size=1, max_size=130))
    for name in ("source", "success", "request_id"):
        if draw(st.booleans()):
            del doc[name]
    if draw(st.integers(0, 4)):
        name = draw(st.sampled_from(sorted(FIELD_VALUES)))
        doc[name] = draw(FIELD_VALUES[name])
    body = ",".join(f"{json.dumps(k)}:{render(v)}" for k, v in doc.items())
    return ("{" + body + "}").encode("utf-8", "surrogatepass")


COMPACT = orjson.dumps(
    {
        "type": "response_time",
        "event_id": "rt-acme-1",
        "vendor_id": "acme-support",
        "occurred_at": "2026-10-03T14:05:00.123Z",
        "source": "apm",
        "service": "helpdesk",
        "latency_ms": 842.5,
        "success": False,
        "request_id": "r-1",
    }
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents() | near_valid(), min_size=1, max_size=25))
@example([COMPACT, b'{"type":"response_time","latency_ms":1e400}'])
def test_fast_path_takes_only_what_pydantic_accepts_with_identical_values(
    con: duckdb.DuckDBPyConnection, values: list[bytes]
) -> None:
    event("the fast path took some" if check(con, values) else "the fast path took none")


@settings(max_examples=300, deadline=None)
@given(
    latency=st.floats(min_value=0, max_value=1e16, allow_nan=False)
    | st.integers(min_value=0, max_value=2**64 - 1),
    occurred_at=st.datetimes(
        min_value=datetime(1000, 1, 1), max_value=datetime(2026, 11, 2, 12), timezones=st.just(UTC)
    ),
    event_id=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=130),
)
def test_valid_compact_records_take_the_fast_path_with_identical_values(
    con: duckdb.DuckDBPyConnection, latency: float, occurred_at: datetime, event_id: str
) -> None:
    doc = orjson.loads(COMPACT)
    doc.update(latency_ms=latency, occurred_at=occurred_at.isoformat(), event_id=event_id)
    value = orjson.dumps(doc)
    taken = check(con, [value])
    simple = event_id and len(event_id) <= 128 and not any(c in event_id for c in '"\\')
    simple = simple and all(ord(c) >= 0x20 for c in event_id)
    if simple and latency < 1e15:
        assert taken == 1, value


def test_the_common_shape_is_taken_and_near_misses_are_not(con: duckdb.DuckDBPyConnection) -> None:
    base = orjson.loads(COMPACT)
    near_misses = [
        {**base, "latency_ms": -0.0},
        {**base, "schema_version": 2},
        {**base, "occurred_at": "2026-10-03T14:05:00.1234567Z"},
        {**base, "occurred_at": "2026-11-03T14:05:00Z"},  # beyond the skew
        {**base, "event_id": "x" * 129},
        {**base, "event_id": ""},
        {**base, "service": "s" * 129},
        {**base, "vendor_id": "v" * 65},
        {**base, "source": "a" * 129},
        {**base, "note": "unknown fields go the pydantic way"},
        {**base, "success": None},
    ]
    values = [COMPACT, *(orjson.dumps(d) for d in near_misses)]
    values.append(COMPACT.replace(b'"latency_ms":842.5', b'"latency_ms":NaN'))
    values.append(COMPACT[:-1] + b',"event_id":"rt-acme-2"}')  # duplicate key
    # duplicate keys where a null hides one member from the parsed fields
    values.append(COMPACT[:-1] + b',"source":null,"source":"apm"}')
    values.append(COMPACT[:-1] + b',"request_id":"r-1","request_id":null}')
    assert set(fast_path(con, values)) == {0}
    assert check(con, values) == 1
    # lengths count code points, not bytes: the longest of each is still taken
    longest = {**base, "event_id": "é" * 128, "service": "ß" * 128, "vendor_id": "v" * 64}
    assert check(con, [orjson.dumps({**longest, "source": "€" * 128})]) == 1
