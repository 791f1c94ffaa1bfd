"""A complaint routed again (re-routing, or a second routing replica) is received once."""

from __future__ import annotations

import pytest

from sigap_status.events import handlers
from sigap_status.sla.rules import SlaPolicy
from tests.support import events

pytestmark = pytest.mark.integration


async def test_a_second_routing_does_not_receive_the_complaint_again(status_api):
    complaint_id = await status_api.seed_complaint(department="DISHUB")
    tracking_code = await status_api.pool.fetchval("SELECT tracking_code FROM complaints WHERE id = $1", complaint_id)
    rerouted = events.routed(complaint_id=complaint_id, tracking_code=tracking_code, department="DISHUB")
    async with status_api.pool.acquire() as conn, conn.transaction():
        await handlers.on_complaints_routed(conn=conn, envelopes=[rerouted], policy=SlaPolicy())
    statuses = await status_api.pool.fetch("SELECT payload FROM outbox WHERE key = $1", str(complaint_id).encode())
    assert len(statuses) == 1
    timeline = await status_api.pool.fetch("SELECT event_type FROM timeline WHERE complaint_id = $1", complaint_id)
    assert [row["event_type"] for row in timeline].count("sigap.complaint.routed.v1") == 2
