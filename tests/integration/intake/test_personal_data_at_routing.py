"""Intake and routing as their services build them, on real PostgreSQL, talking over HTTP on
loopback: a granted deletion also erases the reporter at routing, which had not decided on the
complaint yet and remembers the erasure; while routing cannot be asked the erasure is not done
(the request stays open, nothing is audited as erased, the officer answers again)."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from sigap_routing.bootstrap import build_spec, create_app
from tests.integration.intake.conftest import running_intake
from tests.integration.notify.support import serve_asgi
from tests.integration.routing.conftest import routing_settings
from tests.support.governance import answer_at_intake, ask_privacy, complaint_body, submit
from tests.support.infra import free_port

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}
FLOODED_ROAD = complaint_body(
    "Jalan tergenang setinggi betis di depan Stasiun Citayam setiap hujan deras", "banjir",
    privacy="rahasia", at=(-6.45, 106.80), reporter={"name": "Dewi Anggraini", "email": "dewi.a@example.com"},
)  # fmt: skip


async def test_a_granted_deletion_erases_at_routing_and_waits_for_routing_when_it_is_down(infra, databases, tmp_path):
    settings = routing_settings(infra, await databases.create("sigap_it_routing"))
    port = free_port()
    async with running_intake(
        infra, databases, tmp_path / "photos", routing_url=f"http://127.0.0.1:{port}"
    ) as intake:
        receipt = await submit(intake.client, FLOODED_ROAD)
        complaint_id = uuid.UUID(receipt["id"])
        request_id = (
            await ask_privacy(intake.client, receipt["tracking_code"], receipt["follow_up_token"], "deletion")
        ).json()["request_id"]

        # Routing is down: the erasure waits, and says why.
        refused = await answer_at_intake(intake.client, request_id, auth=AUTH, reason="Data Anda dihapus.")
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "routing" in refused.json()["detail"]
        held = await intake.pool.fetchrow(
            "SELECT reporter_identity, personal_data_erased_at FROM complaints WHERE id = $1", complaint_id
        )
        assert held["reporter_identity"] is not None and held["personal_data_erased_at"] is None

        # Routing is back: the officer answers again. Routing had not decided on the complaint
        # (its submission was never handed to it here) and remembers the erasure for later.
        app = create_app(settings, dataclasses.replace(build_spec(settings), consumers=()))
        async with serve_asgi(app, port=port, lifespan="on"):
            answered = await answer_at_intake(intake.client, request_id, auth=AUTH, reason="Data Anda dihapus.")
            assert answered.status_code == 200, answered.text
            pool = app.state.runtime.pool
            assert await pool.fetchval("SELECT count(*) FROM erased_reporters WHERE complaint_id = $1", complaint_id) == 1
        audit = await intake.client.get("/internal/v1/privacy/audit", params={"complaint_id": str(complaint_id)}, headers=AUTH)
        assert [entry["action"] for entry in audit.json()] == [
            "request_received:deletion", "personal_data_erased", "request_answered",
        ]  # fmt: skip
