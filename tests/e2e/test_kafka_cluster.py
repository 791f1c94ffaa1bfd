"""The four services on a 3-node Kafka cluster, with topics of 3 copies of which 2 must hold a
record before it is acknowledged (the production settings), while complaints keep arriving and
one node is stopped and later started again. Afterwards:

- the topics the services created have 3 replicas and `min.insync.replicas=2`;
- no request was answered 500, and every service answered /readyz with 200 all along;
- every complaint intake acknowledged (201) is stored and received at its department (status)
  with exactly one `diterima` entry, and its reporter got the "received" email exactly once.

Runs on a cluster of its own (deploy/kafka-cluster.sh) and the session's PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from tests.integration.notify.support import smtp_server
from tests.support.infra import Infra, kafka_cluster, random_name
from tests.support.load import Load, outcome, reporter_email, wait_until_settled
from tests.support.services import SigapSystem, start_private_system

pytestmark = [pytest.mark.e2e, pytest.mark.scale, pytest.mark.timeout(600)]

INTAKE_DEVELOPMENT_INTERNAL_TOKEN = "sigap-development-internal-token-change-me"
RATE_PER_S = 15
LOAD_S = 24
STOPPED_NODE = 2
REPLICATION = {"SIGAP_KAFKA_REPLICATION_FACTOR": "3", "SIGAP_KAFKA_MIN_INSYNC_REPLICAS": "2"}


async def test_no_acknowledged_complaint_lost_or_duplicated_while_a_broker_is_down(infra, databases, tmp_path):
    (tmp_path / "logs").mkdir()
    with kafka_cluster(tmp_path / "kafka") as cluster:
        await asyncio.to_thread(cluster.start)
        scale = dataclasses.replace(
            infra, kafka_bootstrap=cluster.bootstrap, topic_prefix=random_name("scale") + "."
        )
        async with smtp_server() as smtp:
            system = await start_private_system(
                scale, databases, label="scale", log_dir=tmp_path / "logs", extra_env=_settings(smtp.port)
            )
            names = {name: service.database for name, service in system.services.items()}
            try:
                load = Load(f"{system.url('intake')}/v1/complaints", rate_per_s=RATE_PER_S)
                readiness = Counter[str]()
                done = asyncio.Event()
                await asyncio.gather(
                    _then(load.run(LOAD_S), done),
                    _stop_and_restart_a_node(cluster),
                    _watch_readiness(system, readiness, done),
                )
                await wait_until_settled(scale, names, load)
                mails = Counter(str(message["To"]) for message in smtp.inbox.messages)
                stored, received, deliveries = await outcome(scale, names, load)
                replicas, min_insync = await _topic_layout(scale)
            except BaseException:
                for name, service in system.services.items():
                    print(f"----- {name} (tail)\n{service.log_text()[-3000:]}")
                raise
            finally:
                system.stop()

    print(f"requests: {dict(load.statuses)}; readiness answers: {dict(readiness)}")
    assert replicas == {3}, replicas
    assert min_insync == {"2"}, min_insync
    assert load.statuses[500] == 0, load.statuses
    assert load.statuses[201] >= RATE_PER_S * LOAD_S // 2, load.statuses  # the load went through
    assert set(readiness) <= {"200"}, readiness
    accepted = set(load.accepted)
    assert accepted <= stored
    assert received == {complaint_id: 1 for complaint_id in accepted}
    for complaint_id, n in load.accepted.items():
        assert deliveries[complaint_id] == ["sent"], (complaint_id, deliveries[complaint_id])
        assert mails[reporter_email(n)] == 1, f"{reporter_email(n)} got {mails[reporter_email(n)]} received emails"


def _settings(smtp_port: int):
    internal = {"SIGAP_INTERNAL_TOKEN": INTAKE_DEVELOPMENT_INTERNAL_TOKEN}

    def extra_env(name: str, system: SigapSystem) -> dict[str, str]:
        env = {**REPLICATION, "SIGAP_LOG_LEVEL": "WARNING"}
        if name == "status":
            env |= {"SIGAP_INTAKE_INTERNAL_URL": system.url("intake"), **internal}
        if name == "notify":
            env |= {
                "SIGAP_SMTP_HOST": "127.0.0.1",
                "SIGAP_SMTP_PORT": str(smtp_port),
                "SIGAP_DISPATCHER_POLL_INTERVAL_S": "0.2",
                "SIGAP_INTAKE_INTERNAL_URL": system.url("intake"),
                **internal,
            }
        return env

    return extra_env


async def _then(work, done: asyncio.Event) -> None:
    try:
        await work
    finally:
        done.set()


async def _stop_and_restart_a_node(cluster) -> None:
    await asyncio.sleep(5)
    await asyncio.to_thread(cluster.stop_node, STOPPED_NODE)
    await asyncio.sleep(8)
    await asyncio.to_thread(cluster.start_node, STOPPED_NODE)


async def _watch_readiness(system: SigapSystem, answers: Counter[str], done: asyncio.Event) -> None:
    """Asks every service's /readyz once a second until the load is over; counts the answers
    (status codes, or the error when there was no answer)."""
    async with httpx.AsyncClient(timeout=10) as client:
        while not done.is_set():
            started = time.monotonic()
            for service in system.services.values():
                try:
                    response = await client.get(f"{service.url}/readyz")
                    answers[str(response.status_code)] += 1
                    if response.status_code != 200:
                        print(f"{service.name} not ready: {response.text}")
                except httpx.HTTPError as exc:
                    answers[type(exc).__name__] += 1
            await asyncio.sleep(max(0.0, started + 1 - time.monotonic()))


async def _topic_layout(infra: Infra) -> tuple[set[int], set[str]]:
    """Replica counts of every partition and min.insync.replicas of every topic the services
    created under this test's prefix."""
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap, request_timeout_ms=30000)
    await admin.start()
    try:
        ours = [name for name in await admin.list_topics() if name.startswith(infra.topic_prefix)]
        assert ours, "the services created no topics"
        replicas = {
            len(partition["replicas"])
            for topic in await admin.describe_topics(ours)
            for partition in topic["partitions"]
        }
        described = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, {"min.insync.replicas": None}) for name in ours]
        )
        min_insync = {
            entry[1]
            for response in described
            for resource in response.resources
            for entry in resource[4]
            if entry[0] == "min.insync.replicas"
        }
        return replicas, min_insync
    finally:
        await admin.close()
