"""The ``[read_model]`` settings section (``VENDORWATCH_READ_MODEL__*``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ReadModelSettings(BaseModel):
    """Where and how often the engine publishes the dashboard's read-model snapshots."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dir: Path = Field(default=Path("data/readmodel"), description="Snapshot directory.")
    every_seconds: float = Field(
        default=10.0, ge=0, description="Publish after a metrics run, at most this often."
    )
    keep: int = Field(default=3, ge=2, le=100, description="Snapshot files kept.")
    stale_after: timedelta = Field(
        default=timedelta(minutes=5),
        description="The dashboard warns when the snapshot is older than this.",
    )
