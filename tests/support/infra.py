"""Real Kafka and PostgreSQL for the test session.

With a Docker engine (a developer laptop), testcontainers starts both. Without one (our
development and CI machines), the project's own scripts in `deploy/` start local processes,
or reuse ones already running; whatever this session started, it stops again."""

from __future__ import annotations

import dataclasses
import os
import random
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap: str
    pg_host: str
    pg_port: int
    pg_user: str
    pg_password: str
    # Every service a test session starts publishes and consumes topics under this prefix, so
    # sessions sharing a broker (or `make run` beside them) never see each other's events.
    topic_prefix: str = ""

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    def pg_kwargs(self, database: str) -> dict[str, object]:
        return {
            "host": self.pg_host,
            "port": self.pg_port,
            "user": self.pg_user,
            "password": self.pg_password,
            "database": database,
        }

    def settings_kwargs(
        self, *, database: str, group_prefix: str, topic_prefix: str | None = None
    ) -> dict[str, object]:
        """Keyword arguments of a service's settings class for a service run inside the test
        process, isolated like `service_env`'s."""
        return {
            "environment": "test",
            "kafka_bootstrap": self.kafka_bootstrap,
            "kafka_group_prefix": group_prefix,
            "kafka_offset_reset": "latest",
            "kafka_topic_prefix": self.topic_prefix if topic_prefix is None else topic_prefix,
            "pg_host": self.pg_host,
            "pg_port": self.pg_port,
            "pg_user": self.pg_user,
            "pg_password": self.pg_password,
            "pg_database": database,
        }

    def service_env(self, *, database: str, http_port: int, group_prefix: str) -> dict[str, str]:
        return {
            "SIGAP_ENVIRONMENT": "test",
            "SIGAP_LOG_FORMAT": "json",
            "SIGAP_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "SIGAP_KAFKA_GROUP_PREFIX": group_prefix,
            "SIGAP_KAFKA_OFFSET_RESET": "latest",
            "SIGAP_KAFKA_TOPIC_PREFIX": self.topic_prefix,
            "SIGAP_PG_HOST": self.pg_host,
            "SIGAP_PG_PORT": str(self.pg_port),
            "SIGAP_PG_USER": self.pg_user,
            "SIGAP_PG_PASSWORD": self.pg_password,
            "SIGAP_PG_DATABASE": database,
            "SIGAP_HTTP_HOST": "127.0.0.1",
            "SIGAP_HTTP_PORT": str(http_port),
            # Only intake reads it: tests of the other services post complaints without photos.
            "SIGAP_MIN_PHOTOS": "0",
        }


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# Listening ports for the servers tests start come from below the kernel's ephemeral range
# (32768-60999 on Linux): a port the kernel hands out is also what any outgoing connection
# (a client to Kafka, say) may take meanwhile, and a server then fails to bind it.
_LISTEN_PORTS = range(20000, 32000)
_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, never the same one twice in a session."""
    for _ in range(500):
        port = random.choice(_LISTEN_PORTS)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port below the ephemeral range")


def docker_available() -> bool:
    if os.environ.get("SIGAP_TEST_NO_DOCKER"):
        return False
    try:
        import docker  # installed with testcontainers

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means "no usable engine"
        return False


def _run(script: str, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        ["bash", str(DEPLOY / script), *args],
        check=True,
        env={**os.environ, **(env or {})},
        cwd=REPO_ROOT,
    )


@contextmanager
def local_infra() -> Iterator[Infra]:
    infra = Infra(
        kafka_bootstrap=f"127.0.0.1:{os.environ.get('SIGAP_KAFKA_PORT', '9092')}",
        pg_host="127.0.0.1",
        pg_port=int(os.environ.get("SIGAP_PG_PORT", "55432")),
        pg_user=os.environ.get("SIGAP_PG_USER", "sigap"),
        pg_password=os.environ.get("SIGAP_PG_PASSWORD", "sigap"),
    )
    kafka_port = int(infra.kafka_bootstrap.rsplit(":", 1)[1])
    already_running = port_open("127.0.0.1", kafka_port) and port_open("127.0.0.1", infra.pg_port)
    if not already_running:
        _run("infra.sh", "up")
    try:
        yield infra
    finally:
        if not already_running:
            _run("infra.sh", "down")


@contextmanager
def container_infra() -> Iterator[Infra]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with KafkaContainer("apache/kafka:3.9.1").with_kraft() as kafka, PostgresContainer(
        "postgres:15", username="sigap", password="sigap", dbname="postgres"
    ) as postgres:
        yield Infra(
            kafka_bootstrap=kafka.get_bootstrap_server(),
            pg_host=postgres.get_container_host_ip(),
            pg_port=int(postgres.get_exposed_port(5432)),
            pg_user="sigap",
            pg_password="sigap",
        )


@contextmanager
def session_infra() -> Iterator[Infra]:
    manager = container_infra() if docker_available() else local_infra()
    with manager as infra:
        yield dataclasses.replace(infra, topic_prefix=random_name("test") + ".")


@contextmanager
def extra_kafka_broker(tmp_dir: Path) -> Iterator["BrokerControl"]:
    """A second, independent local broker that a test can start and stop at will."""
    control = BrokerControl(data_dir=tmp_dir, port=free_port(), controller_port=free_port())
    try:
        yield control
    finally:
        control.stop()


@dataclass
class BrokerControl:
    data_dir: Path
    port: int
    controller_port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return {
            "SIGAP_DATA_DIR": str(self.data_dir),
            "SIGAP_KAFKA_PORT": str(self.port),
            "SIGAP_KAFKA_CONTROLLER_PORT": str(self.controller_port),
        }

    def start(self) -> None:
        _run("kafka.sh", "start", env=self._env())

    def stop(self) -> None:
        _run("kafka.sh", "stop", env=self._env())


def random_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@dataclass
class PostgresControl:
    """A second local PostgreSQL server that a test may stop and start under load."""

    port: int
    database: str

    def _env(self) -> dict[str, str]:
        return {"SIGAP_PG_PORT": str(self.port), "SIGAP_PG_DATABASES": self.database}

    def start(self) -> None:
        _run("postgres.sh", "start", env=self._env())

    def stop(self) -> None:
        _run("postgres.sh", "stop", env=self._env())


@contextmanager
def extra_postgres(port: int, database: str) -> Iterator[PostgresControl]:
    control = PostgresControl(port=port, database=database)
    control.start()
    try:
        yield control
    finally:
        control.stop()


async def delete_prefixed_topics(infra: Infra) -> int:
    """Remove the topics a test session created under its prefix, so a long-lived developer
    broker does not collect thousands of partitions over many sessions."""
    from aiokafka.admin import AIOKafkaAdminClient

    if not infra.topic_prefix:
        return 0
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap, request_timeout_ms=30000)
    await admin.start()
    try:
        ours = [name for name in await admin.list_topics() if name.startswith(infra.topic_prefix)]
        if ours:
            await admin.delete_topics(ours)
        return len(ours)
    finally:
        await admin.close()


@dataclass
class KafkaClusterControl:
    """A 3-node local Kafka cluster (deploy/kafka-cluster.sh) whose nodes a test may stop and
    start again one at a time."""

    data_dir: Path
    ports: tuple[int, int, int]
    controller_ports: tuple[int, int, int]

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def _env(self) -> dict[str, str]:
        return {
            "SIGAP_DATA_DIR": str(self.data_dir),
            "SIGAP_KAFKA_CLUSTER_PORTS": " ".join(map(str, self.ports)),
            "SIGAP_KAFKA_CLUSTER_CONTROLLER_PORTS": " ".join(map(str, self.controller_ports)),
        }

    def start(self) -> None:
        _run("kafka-cluster.sh", "start", env=self._env())

    def stop(self) -> None:
        _run("kafka-cluster.sh", "stop", env=self._env())

    def stop_node(self, node: int) -> None:
        _run("kafka-cluster.sh", "stop-node", str(node), env=self._env())

    def start_node(self, node: int) -> None:
        _run("kafka-cluster.sh", "start-node", str(node), env=self._env())


@contextmanager
def kafka_cluster(tmp_dir: Path) -> Iterator[KafkaClusterControl]:
    """A 3-node cluster on free ports, stopped (every node) when the block ends."""
    control = KafkaClusterControl(
        data_dir=tmp_dir,
        ports=(free_port(), free_port(), free_port()),
        controller_ports=(free_port(), free_port(), free_port()),
    )
    try:
        yield control
    finally:
        control.stop()
