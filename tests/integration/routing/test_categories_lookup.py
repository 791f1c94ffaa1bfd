"""The categories of the active taxonomy by code and name, with their department, for the
dashboard's category filter (public, like the departments), on the real PostgreSQL."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from sigap_routing.categories import router as categories
from sigap_routing.engine import RoutingEngine
from sigap_shared.problems import install_problem_handlers

pytestmark = pytest.mark.integration


async def test_categories_are_named_from_the_active_taxonomy(routing_pool, depok):
    app = FastAPI()
    install_problem_handlers(app)
    app.state.runtime = SimpleNamespace(pool=routing_pool)
    app.include_router(categories.build_router(RoutingEngine(geography=depok, refresh_s=60.0)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://routing.test") as client:
        response = await client.get("/v1/routing/categories")
    assert response.status_code == 200
    listed = {category["code"]: category for category in response.json()}
    assert listed["jalan_rusak"] == {"code": "jalan_rusak", "name": "Jalan rusak / berlubang", "department": "DPUPR"}
    assert listed["lampu_jalan"]["department"] == "DISHUB"
