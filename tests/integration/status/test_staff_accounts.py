"""A deactivated account loses access everywhere, not only at status: routing and notify ask
status's internal API whether a token's account is still active with its role and department
(services/status/STAFF_CONTRACT.md). Real status, routing and notify apps on real PostgreSQL,
talking over HTTP; tokens from a real login."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from sigap_notify.bootstrap import create_app
from sigap_routing.bootstrap import build_spec
from sigap_routing.bootstrap import create_app as create_routing_app
from sigap_routing.settings import RoutingSettings
from sigap_shared.auth import AuthError, StaffPrincipal, issue_access_token
from sigap_shared.staff_directory import StatusStaffDirectory
from sigap_status.staff_accounts import queries as account_queries
from tests.integration.notify.conftest import notify_settings
from tests.integration.notify.support import serve_asgi
from tests.support.apps import app_client
from tests.support.infra import free_port, random_name
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def status_internal_api(api) -> AsyncIterator[str]:
    """Status's internal API on the status test database, served over HTTP."""
    async with serve_asgi(api.app) as url:
        yield url


async def _set_active(api, username: str, active: bool) -> None:
    async with api.pool.acquire() as conn:
        await account_queries.set_active(conn=conn, username=username, active=active)
        assert await conn.fetchval("SELECT active FROM staff_users WHERE username = $1", username) is active


def _forged(api, username: str, role: str, department: str | None = None) -> dict[str, str]:
    principal = StaffPrincipal(username=username, role=role, department=department)  # type: ignore[arg-type]
    return {"Authorization": "Bearer " + issue_access_token(principal, secret=api.settings.jwt_secret.get_secret_value())}


@contextlib.asynccontextmanager
async def routing_app(infra, databases, settings: RoutingSettings) -> AsyncIterator[httpx.AsyncClient]:
    """Routing's app as its entrypoint builds it, on a fresh database (its consumer left out:
    not needed here)."""
    name = await databases.create("sigap_test_routing_staff")
    isolated = infra.settings_kwargs(database=name, group_prefix=random_name("routing"))
    settings = RoutingSettings(**settings.model_dump(exclude_unset=True) | isolated)
    app = create_routing_app(settings, dataclasses.replace(build_spec(settings), consumers=()))
    async with app_client(app, base_url="http://routing.test") as client:
        yield client


async def test_routing_refuses_deactivated_changed_and_unknown_accounts(status_api, infra, databases):
    api = status_api
    city = await api.create_user("city_admin")
    admin = await api.create_user("dept_admin", "DPUPR")
    city_headers, admin_headers = await api.login(city), await api.login(admin)
    taxonomy = "/v1/routing/admin/taxonomy"
    async with status_internal_api(api) as status_url:
        settings = RoutingSettings(
            environment="test",
            jwt_secret=api.settings.jwt_secret,
            internal_token=api.settings.internal_token,
            status_internal_url=status_url,
            staff_check_ttl_s=0,
        )
        async with routing_app(infra, databases, settings) as routing:
            assert (await routing.get(taxonomy, headers=city_headers)).status_code == 200
            assert (await routing.get(taxonomy, headers=admin_headers)).status_code == 403

            await _set_active(api, city, False)
            refused = await routing.get(taxonomy, headers=city_headers)
            assert refused.status_code == 401 and refused.json()["type"] == "/problems/unauthorized"
            await _set_active(api, city, True)
            assert (await routing.get(taxonomy, headers=city_headers)).status_code == 200

            # Moved to another department: the old token no longer speaks for the account.
            await api.pool.execute("UPDATE staff_users SET department = 'DLHK' WHERE username = $1", admin)
            assert (await routing.get(taxonomy, headers=admin_headers)).status_code == 401
            # Signed with the right secret, but no such account.
            assert (await routing.get(taxonomy, headers=_forged(api, "hantu.kota", "city_admin"))).status_code == 401

        # Status unreachable: refused with 503, never let through.
        unreachable = RoutingSettings(
            environment="test",
            jwt_secret=api.settings.jwt_secret,
            status_internal_url=f"http://127.0.0.1:{free_port()}",
        )
        async with routing_app(infra, databases, unreachable) as routing:
            down = await routing.get(taxonomy, headers=city_headers)
            assert down.status_code == 503 and down.json()["type"] == "/problems/staff-check-unavailable"


async def test_notify_refuses_a_deactivated_account_and_ends_its_live_stream(status_api, infra, databases):
    api = status_api
    notify_database = await databases.create("sigap_test_notify_staff")
    admin = await api.create_user("dept_admin", "DISHUB")
    headers = await api.login(admin)
    async with status_internal_api(api) as status_url:
        settings = notify_settings(
            infra,
            notify_database,
            jwt_secret=api.settings.jwt_secret,
            internal_token=api.settings.internal_token,
            status_internal_url=status_url,
            staff_check_ttl_s=0,
        )
        app = create_app(settings, consumers=False)
        async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
            contacts = "/v1/departments/DISHUB/contacts"
            assert (await client.get(contacts, headers=headers)).status_code in (200, 404)
            assert (await client.get(contacts, headers=_forged(api, "hantu.dinas", "dept_admin", "DISHUB"))).status_code == 401
            lines: list[str] = []

            async def read_stream() -> None:
                async with client.stream("GET", "/v1/stream", params={"department": "DISHUB"}, headers=headers) as response:
                    assert response.status_code == 200
                    async for line in response.aiter_lines():
                        lines.append(line)

            reader = asyncio.create_task(read_stream())
            try:
                await eventually(lambda: any(line.startswith(": connected") for line in lines), timeout_s=30)
                await _set_active(api, admin, False)
                # Checked again within a second here (the TTL is 0): the server ends the stream.
                await asyncio.wait_for(asyncio.shield(reader), 30)
            finally:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
            refused = await client.get(contacts, headers=headers)
            assert refused.status_code == 401


async def test_an_answer_is_remembered_for_the_ttl_and_no_longer(status_api):
    api = status_api
    city = await api.create_user("city_admin")
    principal = StaffPrincipal(username=city, role="city_admin")
    now = [1000.0]
    async with status_internal_api(api) as status_url:
        directory = StatusStaffDirectory(
            base_url=status_url,
            token=api.settings.internal_token.get_secret_value(),
            ttl_s=30,
            clock=lambda: now[0],
        )
        try:
            await directory.check(principal)
            await _set_active(api, city, False)
            now[0] += 29.9
            await directory.check(principal)  # still within the documented bound
            now[0] += 0.2
            with pytest.raises(AuthError):
                await directory.check(principal)
        finally:
            await directory.close()


async def test_the_internal_api_needs_the_internal_token(status_api):
    api = status_api
    city = await api.create_user("city_admin")
    async with status_internal_api(api) as status_url, httpx.AsyncClient(base_url=status_url) as client:
        assert (await client.get(f"/internal/v1/staff/{city}")).status_code == 401
        wrong = await client.get(f"/internal/v1/staff/{city}", headers={"Authorization": "Bearer salah"})
        assert wrong.status_code == 401
        token = {"Authorization": f"Bearer {api.settings.internal_token.get_secret_value()}"}
        found = await client.get(f"/internal/v1/staff/{city}", headers=token)
        assert found.json() == {"username": city, "role": "city_admin", "department": None, "active": True}
        missing = await client.get("/internal/v1/staff/tidak.ada", headers=token)
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
