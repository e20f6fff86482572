"""Engine settings: ``VENDORWATCH_*`` environment variables over an optional ``vendorwatch.toml``.

Precedence (highest first): explicit keyword arguments, environment variables, the TOML file
(``VENDORWATCH_CONFIG`` or ``./vendorwatch.toml``), defaults. Settings are frozen; a bad value
raises :class:`SettingsError` whose message names the setting and the rule it broke.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError

from alerting.config import AlertingSettings
from ingest.topics import Topics
from metrics.zones import TimeZoneName

DEFAULT_CONFIG_FILE = Path("vendorwatch.toml")
NO_CONFIG_FILE = Path(os.devnull)


def config_file() -> Path:
    """The TOML file settings are read from: ``VENDORWATCH_CONFIG``, else ``./vendorwatch.toml``
    (optional). ``VENDORWATCH_CONFIG=/dev/null`` means no file at all."""
    return Path(os.environ.get("VENDORWATCH_CONFIG", DEFAULT_CONFIG_FILE))


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


MEMORY_SIZE = r"^([0-9]+(?:\.[0-9]+)?) ?(KB|MB|GB|KiB|MiB|GiB)$"
"""A memory size as DuckDB reads one (``64MiB``, ``1.5 GB``): amount, then unit."""


class Settings(BaseSettings):
    """Everything the engine needs to run; see README "Configuration"."""

    model_config = SettingsConfigDict(
        env_prefix="VENDORWATCH_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
    )

    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092", description="Comma-separated host:port list of Kafka brokers."
    )
    kafka_security_protocol: str = Field(
        default="PLAINTEXT", pattern="^(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)$"
    )
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    db: Path = Field(
        default=Path("data/vendorwatch.duckdb"), description="The engine's DuckDB file."
    )
    group_id: str = Field(default="vendorwatch-engine", min_length=1)
    topics: Topics = Topics()
    max_future_skew: timedelta = Field(
        default=timedelta(hours=24), description="How far in the future occurred_at may be."
    )
    max_record_bytes: int = Field(
        default=1_048_576, gt=0, description="Larger records are dead-lettered."
    )
    batch_max_records: int = Field(
        default=50_000,
        gt=0,
        le=1_000_000,
        description="Polled records are handed to the store writer as a batch once they are "
        "at least this many (a batch ends up at most one poll, itself at most this many "
        "records, larger), or after batch_max_wait_ms.",
    )
    batch_max_wait_ms: int = Field(default=500, ge=1, le=60_000)
    ingest_memory_limit: str = Field(
        default="48MiB",
        pattern=MEMORY_SIZE,
        description="DuckDB memory limit of a standalone `vendorwatch ingest` (it stages a "
        "transaction's events in temporary tables that spill to disk beyond the limit; "
        "cached blocks are evicted). The engine, which also runs metrics, keeps DuckDB's "
        "default (80% of RAM).",
    )
    ingest_threads: int | None = Field(
        default=None,
        ge=1,
        le=1024,
        description="DuckDB threads of a standalone `vendorwatch ingest`. Unset: one fewer "
        "than the CPUs the process may run on (at least one), so that the polling thread, "
        "which holds Python's GIL, keeps a core to itself. The engine keeps DuckDB's default "
        "(one per CPU) for its metric jobs.",
    )
    transaction_max_records: int = Field(
        # >= 2 of DuckDB's row groups (122,880 rows): a transaction that large is written
        # straight to the table's blocks instead of through the WAL and a later checkpoint
        default=250_000,
        gt=0,
        le=10_000_000,
        description="While batches keep arriving faster than the store writer stages them, "
        "it goes on staging into one transaction of up to this many records (fewer, larger "
        "commits when ingest falls behind; staged events wait in DuckDB, not in Python).",
    )
    progress_interval_s: float = Field(default=5.0, gt=0)
    metrics: MetricsSettings = MetricsSettings()
    alerting: AlertingSettings = AlertingSettings()
    read_model: ReadModelSettings = ReadModelSettings()
    dashboard: DashboardSettings = DashboardSettings()

    def ingest_writer_threads(self) -> int:
        """The DuckDB threads a standalone ingest uses: ``ingest_threads``, or one fewer than
        the CPUs this process may run on (never fewer than one)."""
        if self.ingest_threads is not None:
            return self.ingest_threads
        return max(1, len(os.sched_getaffinity(0)) - 1)

    @field_validator("kafka_bootstrap")
    @classmethod
    def _host_port_list(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            valid_port = port.isascii() and port.isdigit() and 0 < int(port) < 65536
            if not sep or not host or not valid_port:
                raise ValueError(f"{server.strip()!r} is not host:port with a port 1-65535")
        return value

    @field_validator("max_future_skew")
    @classmethod
    def _non_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must not be negative")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, config_file())
        return (init_settings, env_settings, toml)


# pydantic-settings says: error parsing value for field "topics" from source "EnvSettingsSource"
_SOURCE_FIELD = re.compile(r'field "(\w+)"')


class SettingsError(Exception):
    """Settings could not be loaded; ``str()`` is a message a person can act on."""


def load_settings(**overrides: Any) -> Settings:
    """Load settings, turning validation errors into one readable :class:`SettingsError`."""
    toml_file = config_file()
    named = "VENDORWATCH_CONFIG" in os.environ
    if named and toml_file != NO_CONFIG_FILE and not toml_file.is_file():
        raise SettingsError(f"VENDORWATCH_CONFIG: file {toml_file} does not exist")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            env = "VENDORWATCH_" + name.upper().replace(".", "__")
            message = error["msg"].removeprefix("Value error, ").replace("\n", "\n    ")
            lines.append(f"{name} ({env} or {toml_file}): {message}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
    except SourceError as exc:  # a source could not decode a value, e.g. VENDORWATCH_TOPICS='x'
        field = _SOURCE_FIELD.search(str(exc))
        name = field.group(1) if field else "settings"
        env = "VENDORWATCH_" + name.upper()
        raise SettingsError(
            f"{name} ({env}): not valid JSON ({exc.__cause__}); "
            f"set nested values one by one instead, e.g. {env}__<NAME>"
        ) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise SettingsError(f"{toml_file}: {exc}") from None


def kafka_client_options(settings: Settings) -> dict[str, Any]:
    """Connection options shared by every kafka-python client the engine creates."""
    options: dict[str, Any] = {
        "bootstrap_servers": [s.strip() for s in settings.kafka_bootstrap.split(",")],
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        if settings.kafka_sasl_password is not None:
            options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options


def settings_environment(settings: Settings) -> dict[str, str]:
    """The current environment, minus any ``VENDORWATCH_*``, plus variables that reproduce
    ``settings`` exactly in a child process (no config file is read there). Secrets are
    passed through as they are: never log the result."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENDORWATCH_")}
    env["VENDORWATCH_CONFIG"] = str(NO_CONFIG_FILE)
    for name, value in settings.model_dump(exclude_none=True).items():
        if isinstance(value, dict):  # a nested section such as topics or metrics
            for inner, inner_value in value.items():
                env[f"VENDORWATCH_{name.upper()}__{inner.upper()}"] = _env_value(inner_value)
        else:
            env[f"VENDORWATCH_{name.upper()}"] = _env_value(value)
    return env


def _env_value(value: object) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, timedelta):
        return f"PT{value.total_seconds():g}S"
    if isinstance(value, dict | list):  # e.g. alerting.channels: JSON, as pydantic-settings reads
        return orjson.dumps(value, default=_json_value).decode()
    return str(value)


def _json_value(value: object) -> object:
    if isinstance(value, SecretStr | timedelta):
        return _env_value(value)
    return str(value)
