"""The categories of the active taxonomy by code and name, with their department, for the
dashboard's category filter (public, like the departments), on the real PostgreSQL."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


async def test_categories_are_named_from_the_active_taxonomy(routing_api):
    response = await routing_api.client.get("/v1/routing/categories")
    assert response.status_code == 200
    listed = {category["code"]: category for category in response.json()}
    assert listed["jalan_rusak"] == {"code": "jalan_rusak", "name": "Jalan rusak / berlubang", "department": "DPUPR"}
    assert listed["lampu_jalan"]["department"] == "DISHUB"
