"""Intake's HTTP API in-process (httpx ASGI transport) on a fresh, migrated PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from sigap_intake.api import router
from sigap_intake.bootstrap import SPEC
from sigap_intake.context import IntakeContext
from sigap_intake.settings import IntakeSettings
from sigap_shared.db import apply_migrations, package_migrations, shared_migrations
from sigap_shared.problems import install_problem_handlers
from sigap_shared.runtime import Runtime, create_service_app


@dataclass
class IntakeUnderTest:
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    context: IntakeContext
    database: str


async def start_intake(
    infra, databases, photo_dir: Path, *, whole_service: bool = False, **overrides
) -> tuple[IntakeUnderTest, FastAPI]:
    """Intake's public router on a bare app; or, with `whole_service`, the app the service runs
    (`create_service_app` with every router and the shared input limits), without its lifespan."""
    name = await databases.create("sigap_it_intake")
    pool = await asyncpg.create_pool(**infra.pg_kwargs(name), min_size=1, max_size=6)
    await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_intake")])
    # Most tests here are about something other than the photo minimum; those that test it
    # ask for min_photos=1 explicitly.
    overrides.setdefault("min_photos", 0)
    settings = IntakeSettings(pg_database=name, photo_dir=photo_dir, **overrides)
    if whole_service:
        app = create_service_app(settings, SPEC)
    else:
        app = FastAPI()
        install_problem_handlers(app)
        app.include_router(router)
    app.state.settings = settings
    app.state.runtime = Runtime(settings=settings, pool=pool)
    context = IntakeContext.from_settings(settings)
    app.state.intake = context
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake", timeout=30)
    return IntakeUnderTest(client=client, pool=pool, context=context, database=name), app


@pytest.fixture
async def intake(infra, databases, tmp_path) -> AsyncIterator[IntakeUnderTest]:
    under_test, _ = await start_intake(infra, databases, tmp_path / "photos")
    yield under_test
    await under_test.client.aclose()
    await under_test.pool.close()


def with_internal_api(app: FastAPI) -> FastAPI:
    from sigap_intake import internal_api

    app.include_router(internal_api.router)
    return app


def with_open311(app: FastAPI) -> FastAPI:
    from sigap_intake import open311

    app.include_router(open311.router)
    return app
