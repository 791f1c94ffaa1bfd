"""Routing's app, as the service builds it, on a fresh database of the real PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from sigap_routing.bootstrap import build_spec, create_app
from sigap_routing.engine import RoutingEngine
from sigap_routing.geography import Geography
from sigap_routing.settings import RoutingSettings
from sigap_shared.auth import StaffPrincipal, issue_access_token
from tests.support.apps import app_client
from tests.support.infra import random_name

JWT_SECRET = "routing-integration-test-secret-0123456789"


@pytest.fixture(scope="session")
def depok() -> Geography:
    return Geography.depok()


@dataclass
class RoutingApi:
    client: httpx.AsyncClient
    engine: RoutingEngine
    pool: asyncpg.Pool
    settings: RoutingSettings

    @staticmethod
    def token(role: str, department: str | None = None, username: str = "admin.kota") -> dict[str, str]:
        principal = StaffPrincipal(username=username, role=role, department=department)  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {issue_access_token(principal, secret=JWT_SECRET)}"}


def routing_settings(infra, database: str, **overrides) -> RoutingSettings:
    # Tokens here name made-up staff: without SIGAP_STATUS_INTERNAL_URL only their signature is
    # checked, as in development (test_staff_accounts.py checks accounts at status).
    kwargs = infra.settings_kwargs(database=database, group_prefix=random_name("routing"))
    return RoutingSettings(**kwargs | {"jwt_secret": JWT_SECRET, "taxonomy_refresh_s": 60.0} | overrides)


@pytest.fixture
async def routing_api(infra, databases) -> AsyncIterator[RoutingApi]:
    """The HTTP API with the engine the routes use; the consumer is left out (tests hand events
    to the handler, or start their own consumer)."""
    settings = routing_settings(infra, await databases.create("sigap_test_routing"))
    app = create_app(settings, dataclasses.replace(build_spec(settings), consumers=()))
    async with app_client(app, base_url="http://routing.test") as client:
        context = app.state.context
        yield RoutingApi(client=client, engine=context.engine, pool=app.state.runtime.pool, settings=settings)
