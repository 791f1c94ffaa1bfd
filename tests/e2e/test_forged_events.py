"""Forged events on the real topics of the running system: a `complaint.routed` for a complaint
that was never submitted, and an `sla_breached` for one nobody knows. Once status and notify
have consumed them (their inbox claims are the signal), the DPUPR queue shows no phantom and
nobody is told anything; a real complaint submitted meanwhile goes through as usual. In
production the broker refuses such events before any of this: only each service's principal
may write to its topics (README, "Who may write to which topic")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from sigap_shared.events import TOPIC_COMPLAINT_ROUTED, TOPIC_COMPLAINT_SLA, encode
from tests.support import events
from tests.support.kafka import eventually, produce_raw

pytestmark = pytest.mark.e2e

POTHOLE = {
    "kind": "pengaduan",
    "description": "Jalan berlubang besar di depan gang, udah sebulan ga diperbaiki",
    "category": "jalan_rusak",
    "location": {"lat": -6.3731, "lon": 106.819, "address": "Jl. Palakali, Kukusan"},
    "privacy": "anonim",
}


async def _claimed(infra, database: str, event_ids: set[uuid.UUID]) -> bool:
    connection = await asyncpg.connect(**infra.pg_kwargs(database))
    try:
        rows = await connection.fetch("SELECT event_id FROM inbox WHERE event_id = ANY($1::uuid[])", list(event_ids))
    finally:
        await connection.close()
    return {row["event_id"] for row in rows} == event_ids


async def test_forged_events_about_unknown_complaints_have_no_effect(sigap, infra, staff):
    now = datetime.now(UTC)
    phantom = events.routed(department="DPUPR", confidence=0.99, routed_at=now)
    alarm = events.sla_breached(
        department="DPUPR", status="diterima", stage="verify", due_at=now - timedelta(days=1), breached_at=now
    )
    for envelope, topic in ((phantom, TOPIC_COMPLAINT_ROUTED), (alarm, TOPIC_COMPLAINT_SLA)):
        record = encode(envelope)
        await produce_raw(infra.kafka_bootstrap, infra.topic(topic), [(record.key, record.value, record.headers)])
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{sigap.url('intake')}/v1/complaints", json=POTHOLE)
        assert response.status_code == 201, response.text
        real = response.json()["id"]

        status_db, notify_db = sigap.services["status"].database, sigap.services["notify"].database
        await eventually(lambda: _claimed(infra, status_db, {phantom.id}), timeout_s=60)
        await eventually(lambda: _claimed(infra, notify_db, {phantom.id, alarm.id}), timeout_s=60)
        dpupr = await staff.headers("dept_admin", "DPUPR")

        async def queue() -> set[str] | None:
            page = await client.get(
                f"{sigap.url('status')}/v1/staff/queue", params={"limit": 200, "sort": "newest"}, headers=dpupr
            )
            ids = {item["id"] for item in page.json()["items"]}
            return ids if real in ids else None

        assert str(phantom.data.complaint_id) not in await eventually(queue, timeout_s=60)
        city = await staff.headers("city_admin")
        for forged in (phantom, alarm):
            log = await client.get(
                f"{sigap.url('notify')}/v1/complaints/{forged.data.complaint_id}/notifications", headers=city
            )
            assert log.status_code == 200 and log.json()["notifications"] == [], log.text
