"""The evidence panel reads ``alert_log`` rows with the rules' own model: rows the previous
release wrote render in full; evidence not in that shape is shown as stored, with the reason."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.evidence import parsed
from metrics.evidence_model import Evidence

OLD_ROWS: dict[str, str] = orjson.loads(
    (
        Path(__file__).parents[1] / "metrics" / "fixtures" / "evidence_previous_release.json"
    ).read_bytes()
)


def _panel(evidence: str) -> None:  # runs inside AppTest: imports stay local
    from dashboard.evidence import show

    show(
        {
            "alert_id": "a1",
            "rule": "r",
            "metric": "fallback_metric",
            "grain": "day",
            "value": 1.0,
            "policy_version": "p@1",
            "reason": "because",
            "evidence": evidence,
        }
    )


def panel(evidence: str) -> AppTest:
    at = AppTest.from_function(_panel, kwargs={"evidence": evidence})
    at.run(timeout=30)
    assert not at.exception
    return at


@pytest.mark.parametrize("kind", sorted(OLD_ROWS))
def test_a_row_of_the_previous_release_renders_in_full(kind: str) -> None:
    assert isinstance(parsed(OLD_ROWS[kind]), Evidence)
    at = panel(OLD_ROWS[kind])
    words = " ".join(str(m.value) for m in at.markdown)
    assert "**Thresholds**" in words
    assert "**The run of periods judged**" in words
    old = orjson.loads(OLD_ROWS[kind])
    assert f"metric {old['metric']} per day" in at.caption[0].value
    if "events" in old:
        count, table = old["events"]["count"], old["events"]["table"]
        assert f"**Events behind it:** {count} in `{table}`" in words
        events = next(d.value for d in at.dataframe if "offset" in d.value.columns)
        assert list(events.columns[:4]) == ["topic", "partition", "offset", "event_id"]
        assert len(events) == len(old["events"]["sample"])
    else:
        inputs = next(d.value for d in at.dataframe if "input" in d.value.columns)
        assert dict(zip(inputs["input"], inputs["value"], strict=True))["run_rate"] == (
            "22614.6333"
        )


def test_evidence_in_another_shape_is_shown_as_stored_with_the_reason() -> None:
    hand_written = orjson.dumps({"metric": "m", "period": "2026-11-01", "values": []}).decode()
    reason = parsed(hand_written)
    assert isinstance(reason, str)
    assert reason.startswith("period:")
    at = panel(hand_written)
    assert any("not in the expected shape" in c.value for c in at.caption)
    assert "metric fallback_metric per day" in at.caption[0].value
    assert orjson.loads(at.json[0].value) == orjson.loads(hand_written)  # nothing dropped
    assert parsed("") is None
    assert isinstance(parsed("not json"), str)
