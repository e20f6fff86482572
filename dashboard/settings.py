"""The dashboard's settings: the ``[dashboard]`` section, and :class:`DashboardConfig`, what
the dashboard reads of the engine's settings (``vendorwatch.settings.Settings`` provides it;
the dashboard never imports the composition root)."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from ingest.connection import KafkaClientConfig
from ingest.topics import Topics
from metrics.settings import MetricsSettings
from readmodel.settings import ReadModelSettings

DashboardRole = Literal["ops", "manager", "admin"]
"""Who may do what on the dashboard: ops acknowledge and silence, managers read and take
reports, admins change rules (and may do what ops do)."""


class DashboardSettings(BaseModel):
    """How the Streamlit dashboard runs (``vendorwatch dashboard``) and who may use it.

    ``demo`` runs open and says so on every page. ``production`` requires a login: Streamlit's
    OIDC login when ``[auth]`` is configured in Streamlit's secrets, else ``users`` with the
    shared ``password`` (or ``password`` under ``[dashboard]`` in Streamlit's secrets).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["demo", "production"] = Field(
        default="demo", description="demo: no login (a banner says so); production: login."
    )
    refresh_seconds: float = Field(
        default=30.0, ge=1, le=3600, description="The overview refreshes itself this often."
    )
    password: SecretStr | None = Field(
        default=None, description="Production password (unless Streamlit secrets hold one)."
    )
    users: dict[str, DashboardRole] = Field(
        default={},
        description="Login name (or OIDC e-mail) -> role: ops, manager or admin.",
    )

    @model_validator(mode="after")
    def _production_has_users(self) -> DashboardSettings:
        if self.mode == "production" and not self.users:
            raise ValueError("users: production mode needs at least one user (name -> role)")
        return self


class DashboardConfig(KafkaClientConfig, Protocol):
    """What the dashboard reads: its own section, where snapshots are, the reporting time zone
    and the policy (metrics), and how to reach the control topic (connection, topics)."""

    @property
    def dashboard(self) -> DashboardSettings: ...
    @property
    def read_model(self) -> ReadModelSettings: ...
    @property
    def metrics(self) -> MetricsSettings: ...
    @property
    def topics(self) -> Topics: ...
