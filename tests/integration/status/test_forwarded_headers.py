"""The address the login throttle counts is the connection's, unless the operator names the
reverse proxies whose X-Forwarded-For may be believed (SIGAP_FORWARDED_ALLOW_IPS). Status runs
as a real process through its entrypoint, so uvicorn is configured exactly as in production."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx
import pytest

from tests.support.infra import random_name
from tests.support.services import start_service

pytestmark = pytest.mark.integration

FORGED = "203.0.113.7"


async def _failed_login_addresses(infra, databases, tmp_path, extra_env: dict[str, str]) -> set[str]:
    tmp_path.mkdir()
    database = await databases.create("sigap_test_status_proxy")
    service = start_service(
        "status",
        infra=infra,
        database=database,
        group_prefix=random_name("proxy"),
        log_dir=tmp_path,
        extra_env=extra_env,
    )
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                assert service.process.poll() is None, service.log_text()[-3000:]
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "status did not start"
                await asyncio.sleep(0.2)
            for forwarded in (FORGED, "198.51.100.1, " + FORGED):
                response = await client.post(
                    "/v1/auth/login",
                    json={"username": "admin.kota", "password": "tebakan-sandi-1"},
                    headers={"X-Forwarded-For": forwarded},
                )
                assert response.status_code == 401, response.text
    finally:
        service.process.terminate()
        service.process.wait(timeout=30)
    conn = await asyncpg.connect(**infra.pg_kwargs(database))
    try:
        rows = await conn.fetch("SELECT subject FROM login_failures WHERE scope = 'ip'")
    finally:
        await conn.close()
    return {row["subject"] for row in rows}


async def test_a_loopback_client_cannot_choose_its_address_with_x_forwarded_for(infra, databases, tmp_path):
    assert await _failed_login_addresses(infra, databases, tmp_path / "default", {}) == {"127.0.0.1"}


async def test_forwarded_addresses_are_believed_from_configured_proxies_only(infra, databases, tmp_path):
    trusted = await _failed_login_addresses(
        infra, databases, tmp_path / "trusted", {"SIGAP_FORWARDED_ALLOW_IPS": "127.0.0.1"}
    )
    assert trusted == {FORGED}
    elsewhere = await _failed_login_addresses(
        infra, databases, tmp_path / "elsewhere", {"SIGAP_FORWARDED_ALLOW_IPS": "10.0.0.0/8"}
    )
    assert elsewhere == {"127.0.0.1"}
