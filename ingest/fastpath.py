"""A DuckDB-side fast path for ``response_time`` records, the bulk of all events.

:func:`surely_valid_response_times` is a query over a relation of raw records (``ord``,
``topic``, ``partition``, ``offset``, ``value``) that picks the records which are *surely*
valid under the contract and returns their typed columns (``ord``, then
:func:`ingest.schema.table_columns` order), computed by DuckDB off the GIL.

Contract: every row the query returns would be accepted by :func:`ingest.contract.parse_event`
on its topic, and its column values equal those the pydantic path stores. The rules are
deliberately narrower than the contract; a record outside them is simply not returned and goes
through ``parse_event``, which stays the single authority and writes every dead-letter reason.
The fast path takes only records that are

* on a topic whose one allowed type is ``response_time``, at most ``max_record_bytes`` long,
  valid UTF-8;
* a *flat* JSON object in strict grammar (checked by one regular expression, so the JSON
  reader's leniencies such as ``NaN`` never matter): only spaces as whitespace, strings
  without escapes or control characters, values that are strings, numbers, booleans or null;
* with distinct keys, every key one of the model's fields (no unknown extras);
* with every field of the right JSON type and within its rule: ``occurred_at`` as
  ``YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)`` with at most 6 fractional digits, a year from
  1000 on, and at most ``max_future_skew`` after ``received_at``; ``latency_ms`` a finite
  non-negative number below 1e15 without a sign bit; ``schema_version`` absent or exactly
  ``1``; string lengths counted in code points as pydantic does.

``tests/ingest/test_fastpath.py`` checks this against ``parse_event`` differentially.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ingest.kinds.response_time import ResponseTime
from ingest.schema import table_columns

FIELDS = (
    "type",
    "event_id",
    "vendor_id",
    "occurred_at",
    "schema_version",
    "source",
    "service",
    "latency_ms",
    "success",
    "request_id",
)
if set(FIELDS) != set(ResponseTime.model_fields):  # pragma: no cover - a contract change
    raise ImportError("ingest.fastpath.FIELDS no longer matches the ResponseTime model")

_STRING = r'"[^"\\\x00-\x1f]*"'
_UNSIGNED_NUMBER = r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
TIMESTAMP = (
    r"[1-9][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
VENDOR_ID = r"[A-Za-z0-9][A-Za-z0-9._-]*"
VALUE_BY_FIELD = {
    "type": '"response_time"',
    "event_id": _STRING,
    "vendor_id": f'"{VENDOR_ID}"',
    "occurred_at": f'"{TIMESTAMP}"',
    "schema_version": "1",
    "source": f"(?:{_STRING}|null)",
    "service": _STRING,
    "latency_ms": _UNSIGNED_NUMBER,
    "success": "(?:true|false)",
    "request_id": f"(?:{_STRING}|null)",
}
"""What the fast path admits as the JSON value of each field (narrower than the contract).
String lengths are checked by :data:`RULES` instead: bounded repeats such as ``{1,128}``
made RE2 ~1.8x slower on the ingest benchmark's records."""
_MEMBER = "(?:" + "|".join(f'"{k}" *: *{v}' for k, v in VALUE_BY_FIELD.items()) + ")"
FLAT_OBJECT = f" *\\{{ *{_MEMBER} *(?:, *{_MEMBER} *)*\\}} *"
"""A flat JSON object in strict grammar whose every member is a known field with an admitted
value (RE2 syntax; strings have no escapes, so a key can never hide inside a string)."""

REQUIRED = ("type", "event_id", "vendor_id", "occurred_at", "service", "latency_ms")
LATENCY_BELOW = 1e15
_STRUCT = (
    "{"
    + ", ".join(f'"{name}": "{"DOUBLE" if name == "latency_ms" else "VARCHAR"}"' for name in FIELDS)
    + "}"
)

COLUMN_SQL = {
    "event_id": "f.event_id",
    "vendor_id": "f.vendor_id",
    "occurred_at": "TRY_CAST(f.occurred_at AS TIMESTAMPTZ)",
    "service": "f.service",
    "latency_ms": "f.latency_ms",
    "success": "coalesce(f.success = 'true', true)",
    "request_id": "f.request_id",
    "schema_version": "1",
    "source": "f.source",
    "topic": "topic",
    "partition": '"partition"',
    "offset": '"offset"',
    "ingested_at": "$received_at",
    "raw": "text",
}
"""Each ``response_times`` column, computed from the fields ``f`` of one candidate record."""

PRESENT = " + ".join(f"(f.{name} IS NOT NULL)::INT" for name in FIELDS)
RULES = (
    # Keys are distinct. Without any ``null`` in the text no member is null, so the object
    # has distinct keys exactly when it has as many keys as non-null parsed fields (cheap);
    # ``list_distinct`` (about 5x dearer) is left to the rare records that mention null.
    "CASE WHEN contains(text, 'null') THEN len(keys) = len(list_distinct(keys)) "
    f"ELSE len(keys) = {PRESENT} END",
    *(f"f.{name} IS NOT NULL" for name in REQUIRED),
    # lengths in code points (DuckDB's length, pydantic's too), as the contract bounds them
    "length(f.event_id) BETWEEN 1 AND 128",
    "length(f.service) BETWEEN 1 AND 128",
    "length(f.vendor_id) <= 64",
    "f.source IS NULL OR length(f.source) <= 128",
)
"""Rules beyond :data:`FLAT_OBJECT`: keys are distinct, required fields are present, strings
are within the contract's lengths."""

VALUE_RULES = (
    "occurred_at IS NOT NULL AND occurred_at <= $latest",
    "isfinite(latency_ms) AND latency_ms >= 0 AND NOT signbit(latency_ms)",
    "latency_ms < $latency_below",
)
"""Rules on the typed values (valid calendar date, future skew, finite latency)."""


def _build_query() -> str:
    columns = ",\n           ".join(
        f'{COLUMN_SQL[c.name]} AS "{c.name}"' for c in table_columns("response_time")
    )
    rules = "\n      AND ".join(f"({rule})" for rule in RULES)
    value_rules = "\n  AND ".join(f"({rule})" for rule in VALUE_RULES)
    # Each record is parsed once: ``unnest([x])`` evaluates ``x`` in an UNNEST operator of
    # its own, which the optimizer does not inline into the expressions that use ``keys``
    # and ``f`` (inlined, from_json ran once per use: ~5x dearer). A materialized CTE did the
    # same but held every parsed record of the batch at once; this way the query streams,
    # ~20 % less CPU and ~15 MB less of DuckDB's memory limit for a 50k-record batch.
    return f"""
WITH parsed AS NOT MATERIALIZED (
    SELECT ord, topic, "partition", "offset", text,
           unnest([json_keys(text)]) AS keys, unnest([from_json(text, '{_STRUCT}')]) AS f
    FROM (
        SELECT ord, topic, "partition", "offset", try(decode(value)) AS text
        FROM raw_records
        WHERE list_contains($topics, topic) AND octet_length(value) <= $max_bytes
    )
    WHERE regexp_full_match(text, $flat_object)
)
SELECT * FROM (
    SELECT ord,
           {columns}
    FROM parsed
    WHERE {rules}
)
WHERE {value_rules}
"""


QUERY = _build_query()


def surely_valid_response_times(
    *,
    topics: list[str],
    received_at: datetime,
    max_future_skew: timedelta,
    max_record_bytes: int,
) -> tuple[str, dict[str, Any]]:
    """The fast-path query over the relation ``raw_records`` and its parameters.

    ``topics`` are the topics whose allowed type is ``response_time``. The query returns
    ``ord`` and the ``response_times`` table columns of each surely valid record.
    """
    return QUERY, {
        "topics": topics,
        "max_bytes": max_record_bytes,
        "flat_object": FLAT_OBJECT,
        "latest": received_at + max_future_skew,
        "received_at": received_at,
        "latency_below": LATENCY_BELOW,
    }
