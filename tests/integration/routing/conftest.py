"""Routing's API and engine on a fresh database of the real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from sigap_routing.api import build_router
from sigap_routing.engine import RoutingEngine
from sigap_routing.geography import Geography
from sigap_routing.settings import RoutingSettings
from sigap_shared.auth import StaffPrincipal, issue_access_token
from sigap_shared.db import apply_migrations, create_pool, package_migrations, shared_migrations
from sigap_shared.problems import install_problem_handlers
from sigap_shared.staff_directory import SignatureOnly

JWT_SECRET = "routing-integration-test-secret-0123456789"


@pytest.fixture(scope="session")
def depok() -> Geography:
    return Geography.depok()


@pytest.fixture
async def routing_pool(infra, databases) -> AsyncIterator[asyncpg.Pool]:
    name = await databases.create("sigap_test_routing")
    pool = await create_pool(infra.pg_kwargs(name), min_size=1, max_size=4)  # the services' own pool setup
    await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_routing")])
    yield pool
    await pool.close()


@dataclass
class RoutingApi:
    client: httpx.AsyncClient
    engine: RoutingEngine
    pool: asyncpg.Pool

    @staticmethod
    def token(role: str, department: str | None = None, username: str = "admin.kota") -> dict[str, str]:
        principal = StaffPrincipal(username=username, role=role, department=department)  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {issue_access_token(principal, secret=JWT_SECRET)}"}


@pytest.fixture
async def routing_api(routing_pool, depok) -> AsyncIterator[RoutingApi]:
    engine = RoutingEngine(geography=depok, refresh_s=60.0)
    app = FastAPI()
    install_problem_handlers(app)
    app.state.settings = RoutingSettings(jwt_secret=JWT_SECRET)
    app.state.runtime = SimpleNamespace(pool=routing_pool)
    # Tokens here name made-up staff: only their signature is checked, as in development
    # without SIGAP_STATUS_INTERNAL_URL (test_staff_accounts.py checks accounts at status).
    app.state.staff_directory = SignatureOnly()
    app.include_router(build_router(engine))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://routing.test") as client:
        yield RoutingApi(client=client, engine=engine, pool=routing_pool)
