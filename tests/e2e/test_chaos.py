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
import httpx
import pytest

from tests.integration.notify.support import smtp_server
from tests.support.infra import Infra, extra_kafka_broker, extra_postgres, free_port, random_name
from tests.support.services import SERVICES, SigapSystem, start_service, wait_ready

pytestmark = pytest.mark.e2e

CHAOS_PG_PORT = 55441
ADMIN_DATABASE = "sigap_chaos"
INTAKE_DEVELOPMENT_INTERNAL_TOKEN = "sigap-development-internal-token-change-me"
RATE_PER_S = 25
LOAD_S = 26


def _complaint(n: int) -> dict:
    return {
        "kind": "pengaduan",
        "description": f"Jalan berlubang besar di depan gang nomor {n}, sudah ada motor jatuh, mohon diperbaiki",
        "category": "jalan_rusak",
        "location": {"lat": -6.3912, "lon": 106.8243},
        "privacy": "publik",
        "reporter": {"email": f"pelapor.{n}@example.com"},
    }


class Load:
    """Posts complaints at a steady rate and remembers what intake acknowledged."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.accepted: dict[str, int] = {}  # complaint id -> n
        self.statuses: Counter[int | str] = Counter()

    async def run(self, seconds: float) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            tasks = []
            start = time.monotonic()
            n = 0
            while time.monotonic() - start < seconds:
                tasks.append(asyncio.create_task(self._post(client, n)))
                n += 1
                await asyncio.sleep(max(0.0, start + n / RATE_PER_S - time.monotonic()))
            await asyncio.gather(*tasks)

    async def _post(self, client: httpx.AsyncClient, n: int) -> None:
        try:
            response = await client.post(self.url, json=_complaint(n))
        except httpx.HTTPError as exc:  # intake itself killed: no answer is no acknowledgement
            self.statuses[type(exc).__name__] += 1
            return
        self.statuses[response.status_code] += 1
        if response.status_code == 201:
            self.accepted[response.json()["id"]] = n


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
                load = Load(f"{runner.system.url('intake')}/v1/complaints")
                await asyncio.gather(load.run(LOAD_S), runner.break_things(broker, chaos_postgres))
                await _wait_for_everything(chaos, databases, load)
                mails = Counter(str(message["To"]) for message in smtp.inbox.messages)
                stored, received, deliveries = await _outcome(chaos, databases, load)
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
        address = f"pelapor.{n}@example.com"
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
        env = {"SIGAP_LOG_LEVEL": "WARNING"}
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


async def _wait_for_everything(infra: Infra, databases: dict[str, str], load: Load, timeout_s: float = 180) -> None:
    """Until every acknowledged complaint is received at its department and its received email
    is settled (sent, or reported as failed/undeliverable)."""
    accepted = list(load.accepted)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            status = await asyncpg.connect(**infra.pg_kwargs(databases["status"]))
            notify = await asyncpg.connect(**infra.pg_kwargs(databases["notify"]))
            try:
                received = await status.fetchval(
                    "SELECT count(*) FROM complaints WHERE id = ANY($1::uuid[]) AND status IS NOT NULL", accepted
                )
                settled = await notify.fetchval(
                    "SELECT count(DISTINCT complaint_id) FROM notifications"
                    " WHERE complaint_id = ANY($1::uuid[]) AND template = 'reporter.status.diterima'"
                    " AND channel = 'email' AND status IN ('sent', 'failed', 'undeliverable')",
                    accepted,
                )
            finally:
                await status.close()
                await notify.close()
            if received == len(accepted) and settled == len(accepted):
                return
        except (OSError, asyncpg.PostgresError):
            received = settled = -1
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout_s}s: {received} received, {settled} settled of {len(accepted)}")
        await asyncio.sleep(1)


async def _outcome(
    infra: Infra, databases: dict[str, str], load: Load
) -> tuple[set[str], dict[str, int], dict[str, list[str]]]:
    accepted = list(load.accepted)
    intake = await asyncpg.connect(**infra.pg_kwargs(databases["intake"]))
    status = await asyncpg.connect(**infra.pg_kwargs(databases["status"]))
    notify = await asyncpg.connect(**infra.pg_kwargs(databases["notify"]))
    try:
        stored = {str(row["id"]) for row in await intake.fetch("SELECT id FROM complaints")}
        received = {
            str(row["complaint_id"]): row["entries"]
            for row in await status.fetch(
                "SELECT complaint_id, count(*) AS entries FROM timeline"
                " WHERE complaint_id = ANY($1::uuid[]) AND event_type = 'sigap.complaint.status_changed.v1'"
                " AND detail->>'to' = 'diterima' GROUP BY complaint_id",
                accepted,
            )
        }
        deliveries: dict[str, list[str]] = {}
        for row in await notify.fetch(
            "SELECT complaint_id, status FROM notifications WHERE complaint_id = ANY($1::uuid[])"
            " AND template = 'reporter.status.diterima' AND channel = 'email'",
            accepted,
        ):
            deliveries.setdefault(str(row["complaint_id"]), []).append(row["status"])
    finally:
        await intake.close()
        await status.close()
        await notify.close()
    return stored, received, deliveries
