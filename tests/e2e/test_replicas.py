"""Two replicas of each of the four services on the same databases and consumer groups, while
complaints arrive round-robin at both intakes: one replica of each service is killed with
SIGKILL and started again, and the other replica of each consumer service is then paused with
SIGSTOP for longer than its Kafka session timeout (its partitions move to the restarted
replica) and resumed with SIGCONT. Afterwards:

- no request was answered 500;
- every complaint an intake acknowledged is stored and received at its department (status)
  with exactly one `diterima` entry;
- no reporter got the "received" email twice, each complaint has exactly one delivery row
  for it, and only deliveries caught mid-send by the SIGKILL may be reported instead of sent.

Left for later (issue 13): the staff live stream across replicas, which is still per process."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.integration.notify.support import smtp_server
from tests.support.infra import Infra, free_port, random_name
from tests.support.load import Load, outcome, reporter_email, wait_until_settled
from tests.support.services import SERVICES, SigapSystem, start_service, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.scale, pytest.mark.timeout(600)]

INTAKE_DEVELOPMENT_INTERNAL_TOKEN = "sigap-development-internal-token-change-me"
RATE_PER_S = 15
LOAD_S = 30
REPLICAS = ("a", "b")
CONSUMER_SERVICES = ("routing", "status", "notify")
# aiokafka's default session timeout is 10 s: a longer pause makes the group rebalance.
PAUSE_S = 14


class Fleet:
    """The replicas of the four services, each on a fixed port so a restart keeps its address."""

    def __init__(self, infra: Infra, databases: dict[str, str], log_dir: Path, *, smtp_port: int) -> None:
        self.infra = infra
        self.databases = databases
        self.log_dir = log_dir
        self.group_prefix = random_name("replicas")
        self.ports = {(name, replica): free_port() for name in SERVICES for replica in REPLICAS}
        self.smtp_port = smtp_port
        self.system = SigapSystem()
        self.generation = 0
        self.logs: list[Path] = []

    def url(self, name: str, replica: str = "a") -> str:
        return f"http://127.0.0.1:{self.ports[(name, replica)]}"

    def _env(self, name: str) -> dict[str, str]:
        env = {
            "SIGAP_LOG_LEVEL": "WARNING",
            "SIGAP_INTERNAL_TOKEN": INTAKE_DEVELOPMENT_INTERNAL_TOKEN,
            # As in production. The tests' "latest" suits a shared topic, but a partition that
            # moves before its group committed an offset would then skip what waits there.
            "SIGAP_KAFKA_OFFSET_RESET": "earliest",
        }
        if name in ("routing", "notify"):
            env["SIGAP_STATUS_INTERNAL_URL"] = self.url("status")
        if name in ("status", "notify"):
            env["SIGAP_INTAKE_INTERNAL_URL"] = self.url("intake")
        if name == "notify":
            env |= {
                "SIGAP_SMTP_HOST": "127.0.0.1",
                "SIGAP_SMTP_PORT": str(self.smtp_port),
                "SIGAP_DISPATCHER_POLL_INTERVAL_S": "0.2",
                # Longer than the pause: a paused sender finishes its batch when resumed. Rows a
                # killed sender held are reported (never sent again) after this long.
                "SIGAP_DISPATCHER_STALE_AFTER_S": str(PAUSE_S * 2),
            }
        return env

    def start(self, name: str, replica: str) -> None:
        self.generation += 1
        log_dir = self.log_dir / f"{self.generation}-{name}-{replica}"
        log_dir.mkdir()
        self.system.services[f"{name}-{replica}"] = start_service(
            name,
            infra=self.infra,
            database=self.databases[name],
            group_prefix=self.group_prefix,
            log_dir=log_dir,
            extra_env=self._env(name),
            port=self.ports[(name, replica)],
        )
        self.logs.append(log_dir / f"{name}.log")

    def start_all(self) -> None:
        for name in SERVICES:  # intake first: status and notify call its internal API
            for replica in REPLICAS:
                self.start(name, replica)
        wait_ready(self.system, timeout_s=120)

    def signal(self, name: str, replica: str, signum: signal.Signals) -> None:
        process = self.system.services[f"{name}-{replica}"].process
        os.kill(process.pid, signum)
        if signum == signal.SIGKILL:
            process.wait()

    def resume_all(self) -> None:
        """SIGCONT to every replica: a stopped process would never stop at the end."""
        for service in self.system.services.values():
            if service.process.poll() is None:
                os.kill(service.process.pid, signal.SIGCONT)

    async def break_things(self) -> None:
        async def at(second: float, action, *args) -> None:
            await asyncio.sleep(max(0.0, started + second - time.monotonic()))
            await asyncio.to_thread(action, *args)

        started = time.monotonic()
        for name in SERVICES:
            await at(3, self.signal, name, "b", signal.SIGKILL)
        for name in SERVICES:
            await at(5, self.start, name, "b")
        await at(5, wait_ready, self.system, 90)
        for name in CONSUMER_SERVICES:
            await at(8, self.signal, name, "a", signal.SIGSTOP)
        await at(8 + PAUSE_S, self.resume_all)

    def dump_logs(self) -> None:
        for path in self.logs:
            if path.exists():
                print(f"----- {path.parent.name} (tail)\n{path.read_text(errors='replace')[-3000:]}")


async def test_two_replicas_each_lose_one_and_pause_one_and_nothing_is_lost_or_sent_twice(infra, databases, tmp_path):
    own = dataclasses.replace(infra, topic_prefix=random_name("replicas") + ".")
    names = {name: await databases.create(f"sigap_replicas_{name}") for name in SERVICES}
    (tmp_path / "logs").mkdir()
    async with smtp_server() as smtp:
        fleet = Fleet(own, names, tmp_path / "logs", smtp_port=smtp.port)
        try:
            await asyncio.to_thread(fleet.start_all)
            load = Load([f"{fleet.url('intake', replica)}/v1/complaints" for replica in REPLICAS], rate_per_s=RATE_PER_S)
            await asyncio.gather(load.run(LOAD_S), fleet.break_things())
            await wait_until_settled(own, names, load)
            mails = Counter(str(message["To"]) for message in smtp.inbox.messages)
            stored, received, deliveries = await outcome(own, names, load)
        except BaseException:
            fleet.dump_logs()
            raise
        finally:
            fleet.resume_all()
            fleet.system.stop()

    print(f"requests: {dict(load.statuses)}")
    assert load.statuses[500] == 0, load.statuses
    assert load.statuses[201] >= RATE_PER_S * LOAD_S // 2, load.statuses
    accepted = set(load.accepted)
    assert accepted <= stored
    assert received == {complaint_id: 1 for complaint_id in accepted}
    for complaint_id, n in load.accepted.items():
        address = reporter_email(n)
        assert mails[address] <= 1, f"{address} got {mails[address]} received emails"
        assert len(deliveries.get(complaint_id, [])) == 1, (complaint_id, deliveries.get(complaint_id))
        if deliveries[complaint_id] == ["sent"]:
            assert mails[address] == 1
    not_sent = [cid for cid in accepted if deliveries[cid] != ["sent"]]
    assert len(not_sent) <= 10, not_sent
