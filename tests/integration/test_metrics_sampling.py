"""The gauges sampled from a service's database: the outbox backlog (parked rows apart) and the
age of its oldest unsent row, and a service's own gauge whose label sets drop to 0 once a sample
no longer returns them."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from prometheus_client import Gauge

from sigap_shared.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, OUTBOX_PARKED, SampledGauge, sample_database

pytestmark = pytest.mark.integration

SAMPLED = Gauge("sigap_test_sampled_rows", "Rows per department in a test table.", ["department"])


async def _one_round(pool, *, service: str) -> None:
    """Runs the outbox sampler until its first sleep."""

    async def stop(_: float) -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await sample_database(pool=pool, service=service, outbox=True, sleep=stop)


async def _add_outbox_row(conn, *, age_s: float, sent: bool = False, parked: bool = False) -> None:
    await conn.execute(
        "INSERT INTO outbox (event_id, topic, key, headers, payload, created_at, sent_at, parked_at)"
        " VALUES ($1, 'sigap.test', 'k', '{}', 'v', now() - make_interval(secs => $2),"
        " CASE WHEN $3 THEN now() END, CASE WHEN $4 THEN now() END)",
        uuid.uuid4(),
        age_s,
        sent,
        parked,
    )


async def test_the_outbox_gauges_count_what_waits_and_how_long(messaging_pool):
    service = f"test-{uuid.uuid4().hex[:8]}"
    await _one_round(messaging_pool, service=service)
    assert OUTBOX_BACKLOG.labels(service=service)._value.get() == 0
    assert OUTBOX_OLDEST_AGE.labels(service=service)._value.get() == 0

    async with messaging_pool.acquire() as conn:
        await _add_outbox_row(conn, age_s=90)
        await _add_outbox_row(conn, age_s=5)
        await _add_outbox_row(conn, age_s=600, sent=True)
        await _add_outbox_row(conn, age_s=900, parked=True)
    await _one_round(messaging_pool, service=service)
    assert OUTBOX_BACKLOG.labels(service=service)._value.get() == 2
    assert OUTBOX_PARKED.labels(service=service)._value.get() == 1
    assert 90 <= OUTBOX_OLDEST_AGE.labels(service=service)._value.get() < 200


async def test_a_sampled_gauge_follows_its_query_and_drops_what_is_gone(messaging_pool):
    async with messaging_pool.acquire() as conn:
        await conn.execute("CREATE TABLE overdue (department text NOT NULL)")
        await conn.executemany("INSERT INTO overdue VALUES ($1)", [("DPUPR",), ("DPUPR",), ("DISHUB",)])
    sampled = SampledGauge(gauge=SAMPLED, query="SELECT department, count(*) FROM overdue GROUP BY department")
    seen_after_first_round: dict[str, float] = {}

    async def between_rounds(_: float) -> None:
        if seen_after_first_round:
            raise asyncio.CancelledError
        seen_after_first_round.update(DPUPR=SAMPLED.labels("DPUPR")._value.get(), DISHUB=SAMPLED.labels("DISHUB")._value.get())
        async with messaging_pool.acquire() as conn:
            await conn.execute("DELETE FROM overdue WHERE department = 'DISHUB'")

    with pytest.raises(asyncio.CancelledError):
        await sample_database(pool=messaging_pool, service="test", outbox=False, gauges=[sampled], sleep=between_rounds)
    assert seen_after_first_round == {"DPUPR": 2, "DISHUB": 1}
    assert SAMPLED.labels("DPUPR")._value.get() == 2
    assert SAMPLED.labels("DISHUB")._value.get() == 0
