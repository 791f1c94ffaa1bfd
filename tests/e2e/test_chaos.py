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
import time
from collections import Counter

import asyncpg
import pytest

from tests.integration.notify.support import smtp_server
from tests.support.fleet import Fleet, assert_nothing_lost_or_doubled
from tests.support.infra import extra_kafka_broker, extra_postgres, random_name
from tests.support.load import Load, outcome, wait_until_settled
from tests.support.services import SERVICES

pytestmark = pytest.mark.e2e

CHAOS_PG_PORT = 55441
ADMIN_DATABASE = "sigap_chaos"
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
            fleet = Fleet(
                chaos, databases, tmp_path / "logs", smtp_port=smtp.port,
                settings={"SIGAP_DISPATCHER_STALE_AFTER_S": "5"},
            )
            try:
                await asyncio.to_thread(fleet.start_all, 90)
                load = Load(f"{fleet.url('intake')}/v1/complaints", rate_per_s=RATE_PER_S)
                await asyncio.gather(load.run(LOAD_S), break_things(fleet, broker, chaos_postgres))
                await wait_until_settled(chaos, databases, load)
                mails = Counter(str(message["To"]) for message in smtp.inbox.messages)
                stored, received, deliveries = await outcome(chaos, databases, load)
            except BaseException:
                fleet.dump_logs()
                raise
            finally:
                fleet.stop()

    assert_nothing_lost_or_doubled(
        load, mails, stored, received, deliveries, least_acknowledged=RATE_PER_S * LOAD_S // 3
    )


async def break_things(fleet: Fleet, broker, postgres) -> None:
    async def at(second: float, action, *args) -> None:
        await asyncio.sleep(max(0.0, started + second - time.monotonic()))
        await asyncio.to_thread(action, *args)

    started = time.monotonic()
    await at(2, fleet.kill, "routing")
    await at(3, fleet.start, "routing")
    await at(5, broker.stop)
    await at(9, broker.start)
    await at(11, fleet.kill, "status")
    await at(12, fleet.start, "status")
    await at(14, postgres.stop)
    await at(16, postgres.start)
    await at(18, fleet.kill, "notify")
    await at(19, fleet.start, "notify")
    await at(21, fleet.kill, "intake")
    await at(21.5, fleet.start, "intake")
