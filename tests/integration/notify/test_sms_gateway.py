"""SMS through the city's HTTP gateway: a real HTTP server in the test process plays the
provider; the reporter's number comes from the intake stand-in at send time."""

from __future__ import annotations

import uuid

import pytest

from sigap_shared.events import ReporterRef
from tests.integration.notify.conftest import (
    handle,
    lifecycle,
    notify_settings,
    random_department,
    running_dispatchers,
    tracking_code,
)
from tests.integration.notify.support import FakeIntake, Gateway, serve_asgi
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration


async def test_sms_gateway_outage_then_recovery_sends_each_message_once(infra, notify_pool, notify_database):
    gateway, intake = Gateway(), FakeIntake()
    pseudonym = "Pelapor-" + uuid.uuid4().hex[:8].upper()
    intake.contacts[(pseudonym, "sms")] = {"address": "+6281234567890", "language": "id"}
    complaint_id, code = uuid.uuid4(), tracking_code()
    events = lifecycle(
        complaint_id=complaint_id,
        code=code,
        department=random_department(),
        reporter=ReporterRef(pseudonym=pseudonym, channels=("sms",)),
    )[:3]
    async with serve_asgi(gateway.app()) as gateway_url, serve_asgi(intake.app()) as intake_url:
        settings = notify_settings(
            infra,
            notify_database,
            sms_gateway_url=f"{gateway_url}/send",
            sms_gateway_token="gateway-token",
            intake_internal_url=intake_url,
            internal_token=intake.token,
            delivery_max_attempts=10_000,
        )
        async with running_dispatchers(settings, notify_pool, count=2):
            for envelope in events:
                await handle(notify_pool, envelope)
            await eventually(lambda: gateway.refused >= 6, timeout_s=60)
            gateway.failing = False

            async def all_sent():
                rows = await notify_pool.fetch(
                    "SELECT status, address_masked FROM notifications WHERE complaint_id = $1", complaint_id
                )
                return rows if len(rows) == 3 and {r["status"] for r in rows} == {"sent"} else None

            rows = await eventually(all_sent, timeout_s=60)
    assert len(gateway.messages) == 3 and len(set(gateway.keys)) == 3
    assert {m["to"] for m in gateway.messages} == {"+6281234567890"}
    assert sorted(m["text"].split(".")[0] for m in gateway.messages) == sorted(
        [
            "Terima kasih",
            f"Laporan {code} telah diverifikasi dan diteruskan ke {events[0].data.department}",
            f"Laporan {code} sedang ditangani oleh {events[0].data.department}",
        ]
    )
    assert [m["reference"] for m in gateway.messages] == gateway.keys
    assert {r["address_masked"] for r in rows} == {"+62*******7890"}
