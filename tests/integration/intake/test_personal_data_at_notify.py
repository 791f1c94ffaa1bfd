"""Intake and notify as their services build them, on real PostgreSQL, talking over HTTP on
loopback: an access answer carries the address the reporter subscribed at notify, and a
granted deletion erases it there too (UU 27/2022: contact addresses are personal data)."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from sigap_notify.bootstrap import create_app as create_notify_app
from sigap_shared.db import apply_migrations, package_migrations, shared_migrations
from tests.integration.intake.conftest import running_intake
from tests.integration.notify.conftest import notify_settings, subscribe_directly
from tests.integration.notify.support import serve_asgi
from tests.support.governance import answer_at_intake, ask_privacy, complaint_body, submit

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}
SUBSCRIBED = "rina.subscribed@example.com"
ILLEGAL_PARKING = complaint_body(
    "Parkir liar di trotoar Jl. Dewi Sartika, pejalan kaki turun ke jalan", "parkir",
    privacy="rahasia", at=(-6.40, 106.82), reporter={"email": "rina@example.com"},
)  # fmt: skip


@pytest.fixture
async def notify_database(databases) -> str:
    return await databases.create("sigap_it_notify")


@pytest.fixture
async def notify_pool(infra, notify_database):
    pool = await asyncpg.create_pool(**infra.pg_kwargs(notify_database), min_size=1, max_size=4)
    await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_notify")])
    yield pool
    await pool.close()


async def test_notify_exports_and_then_erases_the_reporters_subscribed_address(
    infra, databases, notify_pool, notify_database, tmp_path
):
    settings = notify_settings(infra, notify_database, internal_token=DEVELOPMENT_INTERNAL_TOKEN)
    async with serve_asgi(create_notify_app(settings, consumers=False), lifespan="on") as notify_url:
        async with running_intake(infra, databases, tmp_path / "photos", notify_internal_url=notify_url) as intake:
            receipt = await submit(intake.client, ILLEGAL_PARKING)
            code, token = receipt["tracking_code"], receipt["follow_up_token"]
            await subscribe_directly(
                notify_pool, settings, tracking_code=code, complaint_id=uuid.UUID(receipt["id"]),
                channel="email", address=SUBSCRIBED,
            )  # fmt: skip

            async def ask_and_grant(kind: str) -> dict:
                asked = await ask_privacy(intake.client, code, token, kind)
                request_id = asked.json()["request_id"]
                answered = await answer_at_intake(intake.client, request_id, auth=AUTH, reason="Dikerjakan.")
                assert answered.status_code == 200, answered.text
                return answered.json()

            granted = await ask_and_grant("access")
            assert granted["has_export"] is True and granted["export"] is None  # the dpo takes it apart
            taken = await intake.client.get(
                f"/internal/v1/privacy/requests/{granted['id']}",
                params={"export_to": "dpo.kota", "export_role": "dpo"},
                headers=AUTH,
            )
            assert taken.status_code == 200, taken.text
            export = taken.json()["export"]
            assert [sub["address"] for sub in export["notify"]["subscriptions"]] == [SUBSCRIBED]
            assert export["status"] == {"not_configured": True}

            await ask_and_grant("deletion")
            assert await notify_pool.fetchval(
                "SELECT count(*) FROM reporter_subscriptions WHERE complaint_id = $1", uuid.UUID(receipt["id"])
            ) == 0
            # Erasing again is harmless: the retention job may meet the same complaint.
            again = await intake.client.post("/internal/v1/privacy/retention/run", headers=AUTH)
            assert again.status_code == 200
