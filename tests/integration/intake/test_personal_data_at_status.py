"""Intake and status as their services build them, on real PostgreSQL, talking over HTTP on
loopback: a granted deletion also erases the reporter at status; while status cannot be asked
the erasure is not done (the request stays open, nothing is audited as erased, the officer
answers again), as with notify and routing."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from sigap_shared.db import apply_migrations, package_migrations, shared_migrations
from sigap_status.settings import StatusSettings
from tests.integration.intake.conftest import running_intake
from tests.integration.notify.support import serve_asgi
from tests.integration.status.conftest import status_app
from tests.support.governance import answer_at_intake, ask_privacy, complaint_body, submit
from tests.support.infra import free_port, random_name

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}
BROKEN_STREETLIGHT = complaint_body(
    "Lampu jalan mati sepanjang Jl. Raya Sawangan, gelap total setiap malam", "lampu_jalan",
    privacy="rahasia", at=(-6.41, 106.78), reporter={"name": "Yusuf Hidayat", "email": "yusuf@example.com"},
)  # fmt: skip


async def test_a_granted_deletion_erases_at_status_and_waits_for_status_when_it_is_down(infra, databases, tmp_path):
    name = await databases.create("sigap_it_status")
    settings = StatusSettings(**infra.settings_kwargs(database=name, group_prefix=random_name("status")))
    pool = await asyncpg.create_pool(**infra.pg_kwargs(name), min_size=1, max_size=4)
    try:
        await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_status")])
        port = free_port()
        status_url = f"http://127.0.0.1:{port}"
        async with running_intake(infra, databases, tmp_path / "photos", status_internal_url=status_url) as intake:
            receipt = await submit(intake.client, BROKEN_STREETLIGHT)
            complaint_id = uuid.UUID(receipt["id"])
            request_id = (
                await ask_privacy(intake.client, receipt["tracking_code"], receipt["follow_up_token"], "deletion")
            ).json()["request_id"]

            # Status is down: the erasure waits, and says why.
            refused = await answer_at_intake(intake.client, request_id, auth=AUTH, reason="Data Anda dihapus.")
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert "status" in refused.json()["detail"]
            held = await intake.pool.fetchrow(
                "SELECT reporter_identity, personal_data_erased_at FROM complaints WHERE id = $1", complaint_id
            )
            assert held["reporter_identity"] is not None and held["personal_data_erased_at"] is None
            audit = await intake.client.get(
                "/internal/v1/privacy/audit", params={"complaint_id": str(complaint_id)}, headers=AUTH
            )
            assert [entry["action"] for entry in audit.json()] == ["request_received:deletion"]

            # Status is back: the officer answers again. Status had not heard of the complaint
            # (its events were never handed to it here) and remembers the erasure for later.
            async with serve_asgi(status_app(settings, pool), port=port):
                answered = await answer_at_intake(intake.client, request_id, auth=AUTH, reason="Data Anda dihapus.")
                assert answered.status_code == 200, answered.text
            assert await pool.fetchval("SELECT count(*) FROM erased_reporters WHERE complaint_id = $1", complaint_id) == 1
            audit = await intake.client.get(
                "/internal/v1/privacy/audit", params={"complaint_id": str(complaint_id)}, headers=AUTH
            )
            assert [entry["action"] for entry in audit.json()] == [
                "request_received:deletion", "personal_data_erased", "request_answered",
            ]  # fmt: skip
    finally:
        await pool.close()
