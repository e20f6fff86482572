"""The compose file's Kafka service: one KRaft node whose listeners, advertised addresses,
healthcheck and data volume agree with each other and with vendorwatch's bootstrap setting."""

from __future__ import annotations

import re

from tests.deploy.files import (
    KAFKA_SERVICE,
    Compose,
    listener_map,
    service_env,
    vendorwatch_services,
)
from vendorwatch.settings import Settings


def test_kafka_listeners_are_consistent(compose: Compose) -> None:
    env = service_env(compose["services"][KAFKA_SERVICE])
    listeners = listener_map(env["KAFKA_LISTENERS"])
    advertised = listener_map(env["KAFKA_ADVERTISED_LISTENERS"])
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    controllers = env["KAFKA_CONTROLLER_LISTENER_NAMES"].split(",")

    assert set(protocols) >= set(listeners)
    assert set(controllers) <= set(listeners)
    assert not set(controllers) & set(advertised), "controller listeners are not advertised"
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] in advertised
    for name, (_, port) in advertised.items():
        assert name in listeners, f"advertised {name} is not a listener"
        assert listeners[name][1] == port, f"{name}: advertised port differs from the bound one"
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node_id, _, voter = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].partition("@")
    assert node_id == env["KAFKA_NODE_ID"]
    voter_host, _, voter_port = voter.partition(":")
    assert voter_host in {KAFKA_SERVICE, compose["services"][KAFKA_SERVICE].get("hostname")}
    assert int(voter_port) == listeners[controllers[0]][1]


def test_kafka_is_a_single_node_with_single_replica_internal_topics(compose: Compose) -> None:
    env = service_env(compose["services"][KAFKA_SERVICE])
    for name in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[name] == "1", name
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"
    assert int(env["KAFKA_NUM_PARTITIONS"]) >= 1


def test_kafka_keeps_its_data_in_a_named_volume(compose: Compose) -> None:
    kafka = compose["services"][KAFKA_SERVICE]
    log_dirs = service_env(kafka)["KAFKA_LOG_DIRS"]
    mounts = dict(v.split(":")[1::-1] for v in kafka["volumes"])  # target -> source
    assert log_dirs in mounts
    assert mounts[log_dirs] in (compose.get("volumes") or {})


def advertised_addresses(compose: Compose) -> dict[str, tuple[str, int]]:
    env = service_env(compose["services"][KAFKA_SERVICE])
    return listener_map(env["KAFKA_ADVERTISED_LISTENERS"])


def test_containers_bootstrap_from_an_advertised_in_network_listener(compose: Compose) -> None:
    advertised = {f"{h}:{p}" for h, p in advertised_addresses(compose).values()}
    kafka_names = {KAFKA_SERVICE, compose["services"][KAFKA_SERVICE].get("hostname")}
    for name, service in vendorwatch_services(compose).items():
        bootstrap = service_env(service).get("VENDORWATCH_KAFKA_BOOTSTRAP")
        assert bootstrap, f"{name} must set VENDORWATCH_KAFKA_BOOTSTRAP (default is loopback)"
        Settings(kafka_bootstrap=bootstrap)  # a valid setting
        for server in bootstrap.split(","):
            assert server.strip() in advertised, f"{name}: {server} is not advertised"
            assert server.strip().rpartition(":")[0] in kafka_names, f"{name}: {server}"


def test_the_host_reaches_the_broker_at_the_default_bootstrap(compose: Compose) -> None:
    """A host process with default settings (127.0.0.1:9092) reaches the published listener."""
    default = Settings.model_fields["kafka_bootstrap"].default
    host, _, port = default.rpartition(":")
    by_address = {f"{h}:{p}": name for name, (h, p) in advertised_addresses(compose).items()}
    assert default in by_address, f"no listener advertises {default}"
    env = service_env(compose["services"][KAFKA_SERVICE])
    container_port = listener_map(env["KAFKA_LISTENERS"])[by_address[default]][1]
    published = [str(p).split(":") for p in compose["services"][KAFKA_SERVICE]["ports"]]
    assert any(m[-1] == str(container_port) and m[-2] == port for m in published), published
    assert host in {"127.0.0.1", "localhost"}


def test_the_kafka_healthcheck_asks_the_broker(compose: Compose) -> None:
    kafka = compose["services"][KAFKA_SERVICE]
    test = kafka["healthcheck"]["test"]
    text = test if isinstance(test, str) else " ".join(test)
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in text
    server = re.search(r"--bootstrap-server\s+(\S+)", text)
    assert server
    # Inside the container: an advertised address (the tool reconnects to what is advertised).
    assert server[1] in {f"{h}:{p}" for h, p in advertised_addresses(compose).values()}
    host = server[1].rpartition(":")[0]
    assert host in {KAFKA_SERVICE, kafka.get("hostname"), "127.0.0.1", "localhost"}
