"""A kind's columns derive from its contract model: one type per field gives the SQL and the
Arrow type; optional fields and optional nested parts are nullable; overrides are explicit.
And its topic comes from the registry: :class:`Topics` knows the registered kinds' keys only."""

from __future__ import annotations

from typing import Literal

import pyarrow as pa
import pytest
from pydantic import StrictInt, ValidationError

from ingest.columns import bigint, columns_of
from ingest.envelope import EventBase, IsoDate, Money, Number, Part, Text128
from ingest.kinds import KINDS
from ingest.topics import Topics


class Terms(Part):
    fee: Money
    note: str | None = None


class Probe(EventBase):
    type: Literal["probe"]
    name: Text128
    level: Literal["low", "high"]
    count: StrictInt = 1
    ratio: Number | None = None
    due: IsoDate
    terms: Terms
    extra: Terms | None = None


def test_columns_follow_the_model_fields_types_and_optionality() -> None:
    columns = columns_of(
        Probe,
        exclude=EventBase.model_fields,
        types={"count": bigint},
        names={"terms.fee": "fee"},
    )

    assert [(c.name, c.sql_type, c.path, c.nullable) for c in columns] == [
        ("name", "VARCHAR", "name", False),
        ("level", "VARCHAR", "level", False),
        ("count", "BIGINT", "count", False),  # a default is not NULL; the override wins
        ("ratio", "DOUBLE", "ratio", True),
        ("due", "DATE", "due", False),
        ("fee", "DECIMAL(18,4)", "terms.fee", False),
        ("terms_note", "VARCHAR", "terms.note", True),
        ("extra_fee", "DECIMAL(18,4)", "extra.fee", True),  # an optional part: all nullable
        ("extra_note", "VARCHAR", "extra.note", True),
    ]
    assert [c.arrow_type for c in columns[:3]] == [pa.string(), pa.string(), pa.int64()]
    assert columns[5].arrow_type == pa.decimal128(18, 4)


def test_a_field_without_a_column_type_is_refused() -> None:
    class Listed(EventBase):
        type: Literal["listed"]
        tags: list[str]

    with pytest.raises(TypeError, match=r"Listed\.tags: no column type"):
        columns_of(Listed, exclude=EventBase.model_fields)


def test_topics_are_the_registrys_kinds_then_the_engines_and_nothing_else() -> None:
    topics = Topics(defects="qa.defects")

    assert topics.of("defect") == "qa.defects"
    assert topics.names() == [
        *(topics.of(kind.type) for kind in KINDS),
        "vendorwatch.dlq",
        "vendorwatch.control",
        "vendorwatch.alerts",
    ]
    with pytest.raises(KeyError):
        topics.of("not_a_kind")
    with pytest.raises(ValidationError, match="not permitted") as refused:
        Topics(not_a_topic="x")  # type: ignore[call-arg]
    assert refused.value.errors()[0]["loc"] == ("not_a_topic",)
    with pytest.raises(ValidationError, match="letters"):
        Topics(defects="no spaces")
