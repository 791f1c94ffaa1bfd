"""Intake's request limits against the real PostgreSQL: buckets in the database, so two
replicas (two pools, two apps) on one database share one allowance per key."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import asyncpg
import pytest

from sigap_intake.bootstrap import build_spec, create_app
from sigap_intake.rate_limit import RateLimiter, retry_after_header
from sigap_shared.db import apply_migrations, package_migrations, shared_migrations
from tests.integration.intake.conftest import running_intake
from tests.support.apps import app_client

pytestmark = pytest.mark.integration

SECRET = b"a test secret of the rate limiter"


@pytest.fixture
async def replicas(infra, databases):
    """Two pools on one intake database, as two replicas hold them."""
    name = await databases.create("sigap_it_limits")
    pools = [await asyncpg.create_pool(**infra.pg_kwargs(name), min_size=1, max_size=4) for _ in range(2)]
    await apply_migrations(pools[0], [shared_migrations(), package_migrations("sigap_intake")])
    yield pools
    for pool in pools:
        await pool.close()


def _limiters(pools, **kwargs) -> list[RateLimiter]:
    return [RateLimiter(pool, secret=SECRET, **{"scope": "device", **kwargs}) for pool in pools]


async def test_a_burst_then_the_rate_and_each_key_its_own_bucket(replicas):
    limiter, _ = _limiters(replicas, per_minute=600, burst=3)  # one more every 0.1 s
    assert [await limiter.acquire("phone-a") for _ in range(3)] == [0, 0, 0]
    wait = await limiter.acquire("phone-a")
    assert 0 < wait <= 0.1 and retry_after_header(wait) == "1"
    assert await limiter.acquire("phone-b") == 0
    await asyncio.sleep(0.15)
    assert await limiter.acquire("phone-a") == 0
    assert await limiter.acquire("phone-a") > 0


async def test_two_replicas_share_one_allowance(replicas):
    first, second = _limiters(replicas, per_minute=1, burst=4)
    answers = [await (first if n % 2 else second).acquire("phone-shared") for n in range(8)]
    assert [wait == 0 for wait in answers] == [True] * 4 + [False] * 4
    # One a minute: the next is about a minute away, whichever replica is asked.
    assert 55 <= await first.acquire("phone-shared") <= 60
    assert 55 <= await second.acquire("phone-shared") <= 60


async def test_concurrent_requests_on_both_replicas_get_exactly_the_burst(replicas):
    limiters = _limiters(replicas, per_minute=1, burst=5)
    answers = await asyncio.gather(*(limiters[n % 2].acquire("phone-racing") for n in range(40)))
    assert sum(1 for wait in answers if wait == 0) == 5


async def test_keys_are_stored_hashed_and_scopes_apart(replicas):
    device, = _limiters(replicas[:1], per_minute=1, burst=1)
    verify, = _limiters(replicas[:1], scope="verify", per_minute=1, burst=1)
    assert await device.acquire("203.0.113.7") == 0
    assert await verify.acquire("203.0.113.7") == 0  # another limiter's bucket
    assert await device.acquire("203.0.113.7") > 0
    stored = [bytes(row["key_hash"]) for row in await replicas[0].fetch("SELECT key_hash FROM rate_limits")]
    assert sorted(stored) == sorted([device.key_hash("203.0.113.7"), verify.key_hash("203.0.113.7")])
    assert all(b"203.0.113.7" not in key for key in stored)
    other_secret = RateLimiter(replicas[0], scope="device", per_minute=1, burst=1, secret=b"another secret")
    assert other_secret.key_hash("203.0.113.7") not in stored


async def test_full_buckets_are_forgotten_and_an_off_limiter_never_asks(replicas):
    off = RateLimiter(replicas[0], scope="device", per_minute=0, burst=1, secret=SECRET)
    assert [await off.acquire("x") for _ in range(3)] == [0, 0, 0]
    assert await replicas[0].fetchval("SELECT count(*) FROM rate_limits") == 0
    limiter, = _limiters(replicas[:1], per_minute=60_000, burst=1)  # full again after 1 ms
    for n in range(499):
        await limiter.acquire(f"device-{n}")
    assert await replicas[0].fetchval("SELECT count(*) FROM rate_limits") == 499
    await asyncio.sleep(0.01)
    await limiter.acquire("the-500th")  # every 500th call forgets the full buckets first
    assert await replicas[0].fetchval("SELECT count(*) FROM rate_limits") == 1


async def test_without_the_database_requests_go_ahead(infra, databases):
    name = await databases.create("sigap_it_limits")
    pool = await asyncpg.create_pool(**infra.pg_kwargs(name), min_size=1, max_size=1)
    await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_intake")])
    limiter = RateLimiter(pool, scope="device", per_minute=1, burst=1, secret=SECRET)
    await pool.close()
    assert await limiter.acquire("phone") == 0


async def test_the_http_limit_holds_across_two_running_replicas(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p", rate_limit_per_minute=6, rate_limit_burst=3) as first:
        settings = first.context.settings
        second_app = create_app(settings, dataclasses.replace(build_spec(settings), consumers=()))
        async with app_client(second_app, base_url="http://intake") as second:
            device = {"X-Device-Id": str(uuid.uuid4())}
            body = {
                "description": "Lampu penerangan jalan mati di depan sekolah, gelap sekali malam hari",
                "category": "lampu_jalan",
                "location": {"lat": -6.40, "lon": 106.82},
                "privacy": "anonim",
            }
            statuses = [
                (await client.post("/v1/complaints", json=body, headers=device)).status_code
                for client in (first.client, second, first.client, second)
            ]
            assert statuses == [201, 201, 201, 429]
            limited = await first.client.post("/v1/capture-sessions", headers=device)
            assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
            assert limited.json()["title"] == "Terlalu banyak permintaan"
            assert await first.pool.fetchval("SELECT count(*) FROM complaints") == 3
