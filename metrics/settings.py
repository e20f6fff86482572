"""The metric jobs' settings: the ``[metrics]`` section (``VENDORWATCH_METRICS__*``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from metrics.zones import TimeZoneName


class MetricsSettings(BaseModel):
    """How the metric jobs cut periods and judge samples (see docs/metrics.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reporting_tz: TimeZoneName = Field(
        default="UTC", description="IANA time zone whose calendar months vendor_monthly uses."
    )
    min_daily_responses: int = Field(
        default=50, ge=1, description="Fewer responses in a day: status 'insufficient'."
    )
    min_monthly_responses: int = Field(
        default=500, ge=1, description="Fewer responses in a month: status 'insufficient'."
    )
    silent_after: timedelta = Field(
        default=timedelta(hours=6),
        description="A vendor with no response event for this long is reported silent.",
    )
    cycle_seconds: float = Field(
        default=60.0, gt=0, description="`vendorwatch run` recomputes at least this often."
    )
    cycle_min_seconds: float = Field(
        default=2.0,
        ge=0,
        description="New events trigger a recomputation, but no sooner than this after the last.",
    )
    policy_file: Path | None = Field(
        default=None,
        description="Alert policy (TOML); default: the packaged metrics/policies/default.toml.",
    )

    @field_validator("policy_file")
    @classmethod
    def _valid_policy(cls, value: Path | None) -> Path | None:
        if value is not None:
            from metrics.policy import load_policy

            load_policy(value)  # a PolicyError names the file, the key and the rule
        return value

    @field_validator("silent_after")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be positive")
        return value
