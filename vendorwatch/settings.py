"""Engine settings: ``VENDORWATCH_*`` environment variables over an optional ``vendorwatch.toml``.

The composition of every layer's settings: ingest's flat keys (:mod:`ingest.settings`) and
the sections ``[metrics]``, ``[alerting]``, ``[read_model]`` and ``[dashboard]``, each defined
by its layer. Nothing below this package imports it.

Precedence (highest first): explicit keyword arguments, environment variables, the TOML file
(``VENDORWATCH_CONFIG`` or ``./vendorwatch.toml``), defaults. Settings are frozen; a bad value
raises :class:`SettingsError` whose message names the setting and the rule it broke.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from pydantic import SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError

from alerting.config import AlertingSettings
from dashboard.settings import DashboardSettings
from ingest.connection import kafka_client_options
from ingest.settings import IngestSettings
from ingest.topics import Topics
from metrics.settings import MetricsSettings
from readmodel.settings import ReadModelSettings

__all__ = [
    "AlertingSettings",
    "DashboardSettings",
    "IngestSettings",
    "MetricsSettings",
    "ReadModelSettings",
    "Settings",
    "SettingsError",
    "Topics",
    "kafka_client_options",
    "load_settings",
    "settings_environment",
]

DEFAULT_CONFIG_FILE = Path("vendorwatch.toml")
NO_CONFIG_FILE = Path(os.devnull)


def config_file() -> Path:
    """The TOML file settings are read from: ``VENDORWATCH_CONFIG``, else ``./vendorwatch.toml``
    (optional). ``VENDORWATCH_CONFIG=/dev/null`` means no file at all."""
    return Path(os.environ.get("VENDORWATCH_CONFIG", DEFAULT_CONFIG_FILE))


class Settings(BaseSettings, IngestSettings):
    """Everything the engine needs to run; see README "Configuration".

    The flat keys are ingest's (:class:`~ingest.settings.IngestSettings`, which the engine's
    settings extend, so ingest takes them as they are); each other layer owns its section.
    """

    model_config = SettingsConfigDict(
        env_prefix="VENDORWATCH_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
    )

    metrics: MetricsSettings = MetricsSettings()
    alerting: AlertingSettings = AlertingSettings()
    read_model: ReadModelSettings = ReadModelSettings()
    dashboard: DashboardSettings = DashboardSettings()

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
