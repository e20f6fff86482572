"""How every kafka-python client of vendorwatch connects: brokers, security protocol, SASL.

:class:`KafkaConnection` is the settings section (flat ``kafka_*`` keys, ``VENDORWATCH_KAFKA_*``);
:class:`KafkaClientConfig` is what a client needs of it, so a layer can accept any settings
object that carries these fields. :func:`kafka_client_options` turns either into the keyword
arguments of ``KafkaConsumer`` / ``KafkaProducer`` / ``KafkaAdminClient``.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class KafkaClientConfig(Protocol):
    """The connection fields a Kafka client is built from."""

    @property
    def kafka_bootstrap(self) -> str: ...
    @property
    def kafka_security_protocol(self) -> str: ...
    @property
    def kafka_sasl_mechanism(self) -> str | None: ...
    @property
    def kafka_sasl_username(self) -> str | None: ...
    @property
    def kafka_sasl_password(self) -> SecretStr | None: ...


class KafkaConnection(BaseModel):
    """Where the brokers are and how to authenticate to them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092", description="Comma-separated host:port list of Kafka brokers."
    )
    kafka_security_protocol: str = Field(
        default="PLAINTEXT", pattern="^(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)$"
    )
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None

    @field_validator("kafka_bootstrap")
    @classmethod
    def _host_port_list(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            valid_port = port.isascii() and port.isdigit() and 0 < int(port) < 65536
            if not sep or not host or not valid_port:
                raise ValueError(f"{server.strip()!r} is not host:port with a port 1-65535")
        return value


def kafka_client_options(config: KafkaClientConfig) -> dict[str, Any]:
    """Connection options shared by every kafka-python client vendorwatch creates. The SASL
    password is in the result in clear: never log it."""
    options: dict[str, Any] = {
        "bootstrap_servers": [s.strip() for s in config.kafka_bootstrap.split(",")],
        "security_protocol": config.kafka_security_protocol,
    }
    if config.kafka_sasl_mechanism:
        options["sasl_mechanism"] = config.kafka_sasl_mechanism
        options["sasl_plain_username"] = config.kafka_sasl_username
        if config.kafka_sasl_password is not None:
            options["sasl_plain_password"] = config.kafka_sasl_password.get_secret_value()
    return options
