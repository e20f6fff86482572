"""The month of a response by UTC day (``MONTHLY.response_period_of`` with
:func:`response_period_params`) against the per-instant time zone conversion it replaced, in
zones with DST, half- and quarter-hour offsets, and days skipped or repeated."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from metrics.service import DAILY, MONTHLY, response_period_params

ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/Sao_Paulo",
    "America/St_Johns",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "America/Adak",
    "America/Havana",  # local midnight twice (01:00 -> 00:00 on 2026-11-01)
    "America/Santiago",  # 24:00 -> 23:00: the hour before midnight twice
    "America/Asuncion",  # midnight skipped (00:00 -> 01:00 on 2017-10-01)
)
TOUCHED = datetime(2010, 1, 17, 5, tzinfo=UTC)
AS_OF = datetime(2031, 12, 3, 7, tzinfo=UTC)

_MONTHS = (
    "CAST(unnest(generate_series(DATE '2010-02-01', DATE '2031-12-01', INTERVAL 1 MONTH)) AS DATE)"
)
_COMPARE = f"""
WITH instants AS (
    -- around every month start, to the microsecond, and every 7 hours and 13 seconds
    SELECT m.start_at + to_microseconds(o.offset_us) AS x
    FROM (SELECT {MONTHLY.start(_MONTHS)} AS start_at) m,
        (SELECT unnest([-3600000001, -1, 0, 1, 59999999, 3600000000, 43200000000,
            -43200000000, -86399999999, 86399999999]) AS offset_us) o
    UNION ALL
    SELECT {MONTHLY.start(MONTHLY.of("$touched"))} + to_seconds(i * 25213) AS x
    FROM range(27000) t(i)
)
SELECT count(*), count(*) FILTER (WHERE {{by_day}} IS DISTINCT FROM {MONTHLY.of("x")})
FROM instants WHERE x < $as_of
"""


def _differing(zone: str, by_day: str) -> tuple[int, int]:
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE _dirty AS SELECT 'v' AS vendor_id, ? AS touched_at", [TOUCHED])
    params: dict[str, Any] = {"tz": zone, "as_of": AS_OF}
    params |= response_period_params(con, MONTHLY, params)
    sql = _COMPARE.format(by_day=by_day)
    used = {k: v for k, v in (params | {"touched": TOUCHED}).items() if f"${k}" in sql}
    row = con.execute(sql, used).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@pytest.mark.parametrize("zone", ZONES)
def test_the_month_by_utc_day_is_the_month_by_time_zone(zone: str) -> None:
    total, differing = _differing(zone, MONTHLY.of_response("x"))
    assert total > 27000
    assert differing == 0


def test_the_comparison_sees_a_wrong_month() -> None:
    """The check above fails for a lookup that ignores where in the day a month starts."""
    wrong = MONTHLY.of_response("x").replace("utc_day_last_month", "utc_day_first_month")
    assert _differing("Europe/Berlin", wrong)[1] > 0


@pytest.mark.parametrize(
    "instant",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1969, 12, 31, 0, 0, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(1955, 6, 15, 12, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_the_utc_day_of_a_response_rounds_down_before_1970_too(instant: datetime) -> None:
    con = duckdb.connect()
    day = con.execute(f"SELECT {DAILY.of_response('$x')}", {"x": instant}).fetchone()
    assert day == (instant.date(),)
