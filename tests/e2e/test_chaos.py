"""The whole system under load while its parts fail: the broker is stopped and started again,
PostgreSQL is restarted, and every service is killed with SIGKILL and started again, one after
another, while complaints keep arriving. Afterwards:

- no request was answered 500 (503 while the database is away is the promise);
- every complaint intake acknowledged (201) is stored, routed and received at its department
  (status), with exactly one `diterima` entry in its timeline;
- each reporter got the "received" email at most once, and a complaint whose email did not
  leave has that reported in its delivery log (at most once from our side, never silently lost).

Runs on its own Kafka broker and its own PostgreSQL server, so stopping them does not disturb
the other tests."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import time
from collections import Counter
from pathlib import Path

import asyncpg
import pytest

from tests.integration.notify.support import smtp_server
from tests.support.infra import Infra, extra_kafka_broker, extra_postgres, free_port, random_name
from tests.support.load import Load, outcome, reporter_email, wait_until_settled
from tests.support.services import SERVICES, SigapSystem, start_service, wait_ready

pytestmark = pytest.mark.e2e

CHAOS_PG_PORT = 55441
ADMIN_DATABASE = "sigap_chaos"
INTAKE_DEVELOPMENT_INTERNAL_TOKEN = "sigap-development-internal-token-change-me"
RATE_PER_S = 25
LOAD_S = 26


@pytest.fixture
def chaos_postgres():
    with extra_postgres(CHAOS_PG_PORT, ADMIN_DATABASE) as control:
        yield control


async def test_no_acknowledged_complaint_lost_and_no_email_twice_while_everything_fails(
    infra, chaos_postgres, tmp_path
):
    with extra_kafka_broker(tmp_path / "kafka") as broker:
        await asyncio.to_thread(broker.start)
        chaos = dataclasses.replace(infra, kafka_bootstrap=broker.bootstrap, pg_port=CHAOS_PG_PORT)
        admin = await asyncpg.connect(**chaos.pg_kwargs(ADMIN_DATABASE))
        databases = {name: random_name(f"chaos_{name}") for name in SERVICES}
        for database in databases.values():
            await admin.execute(f'CREATE DATABASE "{database}"')
        await admin.close()
        async with smtp_server() as smtp:
            runner = ChaosRunner(chaos, databases, tmp_path, smtp_port=smtp.port)
            try:
                await asyncio.to_thread(runner.start_all)
                load = Load(f"{runner.system.url('intake')}/v1/complaints", rate_per_s=RATE_PER_S)
                await asyncio.gather(load.run(LOAD_S), runner.break_things(broker, chaos_postgres))
                await wait_until_settled(chaos, databases, load)
                mails = Counter(str(message["To"]) for message in smtp.inbox.messages)
                stored, received, deliveries = await outcome(chaos, databases, load)
            except BaseException:
                runner.dump_logs()
                raise
            finally:
                runner.system.stop()

    assert load.statuses[500] == 0, load.statuses
    assert load.statuses[201] >= RATE_PER_S * LOAD_S // 3, load.statuses  # the load went through
    accepted = set(load.accepted)
    assert accepted <= stored
    assert received == {complaint_id: 1 for complaint_id in accepted}
    for complaint_id, n in load.accepted.items():
        address = reporter_email(n)
        assert mails[address] <= 1, f"{address} got {mails[address]} received emails"
        statuses = deliveries.get(complaint_id, [])
        assert len(statuses) == 1, (complaint_id, statuses)  # one delivery row for the received email
        if statuses == ["sent"]:
            assert mails[address] == 1
    not_sent = [cid for cid, statuses in deliveries.items() if cid in accepted and statuses != ["sent"]]
    # Only deliveries caught mid-send by notify's SIGKILL may end up reported instead of sent.
    assert len(not_sent) <= 10, not_sent


class ChaosRunner:
    def __init__(self, infra: Infra, databases: dict[str, str], tmp_path: Path, *, smtp_port: int) -> None:
        self.infra = infra
        self.databases = databases
        self.tmp_path = tmp_path
        self.group_prefix = random_name("chaos")
        self.ports = {name: free_port() for name in SERVICES}
        self.smtp_port = smtp_port
        self.system = SigapSystem()
        self.generation = 0
        self.logs: list[Path] = []

    def _env(self, name: str) -> dict[str, str]:
        # Its topics are its own: read from the start as in production. With the tests' usual
        # "latest", a consumer restarted before its group committed an offset for a partition
        # skipped what had arrived there meanwhile, and those complaints were never received.
        env = {"SIGAP_LOG_LEVEL": "WARNING", "SIGAP_KAFKA_OFFSET_RESET": "earliest"}
        if name == "notify":
            env |= {
                "SIGAP_SMTP_HOST": "127.0.0.1",
                "SIGAP_SMTP_PORT": str(self.smtp_port),
                "SIGAP_DISPATCHER_POLL_INTERVAL_S": "0.2",
                "SIGAP_DISPATCHER_STALE_AFTER_S": "5",
                "SIGAP_INTAKE_INTERNAL_URL": f"http://127.0.0.1:{self.ports['intake']}",
                "SIGAP_INTERNAL_TOKEN": INTAKE_DEVELOPMENT_INTERNAL_TOKEN,
            }
        if name == "status":
            env |= {
                "SIGAP_INTAKE_INTERNAL_URL": f"http://127.0.0.1:{self.ports['intake']}",
                "SIGAP_INTERNAL_TOKEN": INTAKE_DEVELOPMENT_INTERNAL_TOKEN,
            }
        return env

    def start(self, name: str) -> None:
        self.generation += 1
        log_dir = self.tmp_path / f"logs-{self.generation}-{name}"
        log_dir.mkdir()
        self.system.services[name] = start_service(
            name,
            infra=self.infra,
            database=self.databases[name],
            group_prefix=self.group_prefix,
            log_dir=log_dir,
            extra_env=self._env(name),
            port=self.ports[name],
        )
        self.logs.append(log_dir / f"{name}.log")

    def start_all(self) -> None:
        for name in SERVICES:
            self.start(name)
        wait_ready(self.system, timeout_s=90)

    def kill(self, name: str) -> None:
        process = self.system.services[name].process
        os.kill(process.pid, signal.SIGKILL)
        process.wait()

    async def break_things(self, broker, postgres) -> None:
        async def at(second: float, action, *args) -> None:
            await asyncio.sleep(max(0.0, started + second - time.monotonic()))
            await asyncio.to_thread(action, *args)

        started = time.monotonic()
        await at(2, self.kill, "routing")
        await at(3, self.start, "routing")
        await at(5, broker.stop)
        await at(9, broker.start)
        await at(11, self.kill, "status")
        await at(12, self.start, "status")
        await at(14, postgres.stop)
        await at(16, postgres.start)
        await at(18, self.kill, "notify")
        await at(19, self.start, "notify")
        await at(21, self.kill, "intake")
        await at(21.5, self.start, "intake")

    def dump_logs(self) -> None:
        for path in self.logs:
            if path.exists():
                print(f"----- {path.parent.name} (tail)\n{path.read_text(errors='replace')[-3000:]}")
