"""Previewing a message template before saving it, through notify's API on real PostgreSQL:
rendered with example values, `$` mistakes and unknown placeholders named, nothing stored; and
every placeholder the shipped templates use has an example value (so the list cannot drift)."""

from __future__ import annotations

import httpx
import pytest

from sigap_notify.bootstrap import create_app
from sigap_notify.template_preview import rules
from sigap_notify.templates.repository import list_templates
from tests.integration.notify.conftest import notify_settings, staff_headers
from tests.integration.notify.support import serve_asgi

pytestmark = pytest.mark.integration


async def test_preview_renders_and_names_mistakes_without_saving(infra, notify_pool, notify_database):
    settings = notify_settings(infra, notify_database)
    app = create_app(settings, consumers=False)
    async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        admin = staff_headers(settings, "city_admin")
        good = await client.post(
            "/v1/templates/preview",
            headers=admin,
            json={"subject": "[$department] ${tracking_code}", "body": "Alasan: ${reason}. Biaya $$0. ${nama_pelapor}"},
        )
        assert good.status_code == 200, good.text
        body = good.json()
        assert body["subject"] == "[DISHUB] SGP-7K3M-Q9"
        assert body["body"] == f"Alasan: {rules.EXAMPLE_VALUES['reason']}. Biaya $0. ${{nama_pelapor}}"
        assert body["problems"] == [] and body["unknown_placeholders"] == ["nama_pelapor"]

        broken = (await client.post("/v1/templates/preview", headers=admin, json={"subject": "Aduan $", "body": "x"})).json()
        assert broken["problems"] and broken["subject"] == ""

        assert (await client.post("/v1/templates/preview", json={"subject": "a", "body": "b"})).status_code == 401
        async with notify_pool.acquire() as conn:
            stored = await list_templates(conn=conn)
        assert not any("nama_pelapor" in row["body"] for row in stored)


async def test_every_shipped_placeholder_has_an_example(notify_pool):
    async with notify_pool.acquire() as conn:
        stored = await list_templates(conn=conn)
    assert stored
    for row in stored:
        assert rules.unknown_placeholders(row["subject"], row["body"]) == [], (row["key"], row["language"])
