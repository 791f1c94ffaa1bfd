"""Events about a complaint status has not seen submitted: a routing arrives before its
submission (different topics; legitimate) or for a complaint that does not exist (forged).
Either way nothing is visible or announced until the submission is known: the routing waits
on the complaint's row, unseen by queues, staff views and statistics, and the complaint is
received (`diterima`, its SLA and the event everyone hears) when its submission arrives, once,
whichever of the two events comes first, also when they are handled at the same moment."""

from __future__ import annotations

import asyncio
import orjson
import pytest

from sigap_shared.events import ComplaintRouted, Envelope
from sigap_status.events import handlers
from sigap_status.sla.rules import SlaPolicy
from tests.support.factories import routed_for, submitted_envelope

pytestmark = pytest.mark.integration


def _routed(submitted: Envelope) -> Envelope:
    return routed_for(submitted, "DPUPR", kelurahan=None)


async def _receptions(pool, complaint_id) -> list[dict]:
    rows = await pool.fetch("SELECT payload FROM outbox WHERE key = $1 ORDER BY id", str(complaint_id).encode())
    return [event for event in (orjson.loads(row["payload"]) for row in rows) if event.get("status") == "diterima"]


async def _queue_ids(api, headers, **params) -> set[str]:
    response = await api.client.get("/v1/staff/queue", params={"limit": 200, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def _handle(pool, *envelopes: Envelope) -> None:
    for envelope in envelopes:
        async with pool.acquire() as conn, conn.transaction():
            if isinstance(envelope.data, ComplaintRouted):
                await handlers.on_complaints_routed(conn=conn, envelopes=[envelope], policy=SlaPolicy())
            else:
                await handlers.on_complaints_submitted(conn=conn, envelopes=[envelope], policy=SlaPolicy())


async def test_a_routing_for_a_complaint_never_submitted_stays_invisible_and_silent(status_api):
    api = status_api
    _, dpupr = await api.staff("dept_admin", "DPUPR")
    _, city = await api.staff("city_admin")
    forged = _routed(submitted_envelope(category="jalan_rusak"))  # its submission never comes
    complaint_id = str(forged.data.complaint_id)
    await _handle(api.pool, forged)
    real = submitted_envelope(category="jalan_rusak")
    await _handle(api.pool, real, _routed(real))

    assert str(real.data.complaint_id) in await _queue_ids(api, dpupr)  # the queue works
    assert complaint_id not in await _queue_ids(api, dpupr)
    assert complaint_id not in await _queue_ids(api, city)
    assert complaint_id not in await _queue_ids(api, dpupr, sort="newest")
    hidden = await api.client.get(f"/v1/staff/complaints/{complaint_id}", headers=dpupr)
    assert hidden.status_code == 404, hidden.text
    assert await _receptions(api.pool, forged.data.complaint_id) == []  # nobody is told
    assert len(await _receptions(api.pool, real.data.complaint_id)) == 1
    stats = (await api.client.get("/v1/staff/statistics", params={"department": "DPUPR"}, headers=city)).json()
    received = sum(row["count"] for row in stats["counts"] if row["department"] == "DPUPR")
    assert received == 1, stats


async def test_a_routing_before_its_submission_is_received_when_the_submission_arrives(status_api):
    api = status_api
    _, dpupr = await api.staff("dept_admin", "DPUPR")
    submitted = submitted_envelope(category="jalan_rusak")
    complaint_id = submitted.data.complaint_id
    await _handle(api.pool, _routed(submitted))
    assert str(complaint_id) not in await _queue_ids(api, dpupr)
    assert await _receptions(api.pool, complaint_id) == []

    await _handle(api.pool, submitted)
    assert str(complaint_id) in await _queue_ids(api, dpupr)
    [reception] = await _receptions(api.pool, complaint_id)
    assert (reception["department"], reception["previous_status"]) == ("DPUPR", None)
    assert reception["reporter"]["pseudonym"] == submitted.data.reporter.pseudonym
    row = await api.pool.fetchrow(
        "SELECT status, sla_stage, sla_due_at, received_at, description FROM complaints WHERE id = $1", complaint_id
    )
    assert row["status"] == "diterima" and row["sla_stage"] == "verify" and row["sla_due_at"] > row["received_at"]
    assert row["description"] == submitted.data.description
    # Redelivered, neither event receives it again.
    await _handle(api.pool, submitted, _routed(submitted))
    assert len(await _receptions(api.pool, complaint_id)) == 1


@pytest.mark.parametrize("first", ["submitted", "routed"])
async def test_submission_and_routing_handled_at_the_same_moment_receive_the_complaint_once(status_api, first):
    """Two replicas may handle the two topics at once: whichever transaction commits first,
    the other one sees it (it waits on the new row) and the complaint is received once."""
    pool = status_api.pool
    submitted = submitted_envelope(category="jalan_rusak")
    routed = _routed(submitted)
    order = [submitted, routed] if first == "submitted" else [routed, submitted]

    async def apply(conn, envelope):
        if envelope is routed:
            await handlers.on_complaints_routed(conn=conn, envelopes=[envelope], policy=SlaPolicy())
        else:
            await handlers.on_complaints_submitted(conn=conn, envelopes=[envelope], policy=SlaPolicy())

    async with pool.acquire() as first_conn, pool.acquire() as second_conn:
        first_tx = first_conn.transaction()
        await first_tx.start()
        await apply(first_conn, order[0])
        second_tx = second_conn.transaction()
        await second_tx.start()
        second = asyncio.create_task(apply(second_conn, order[1]))

        async def waiting_on_the_row() -> bool:
            return await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ) > 0

        for _ in range(200):
            if await waiting_on_the_row():
                break
            await asyncio.sleep(0.05)
        assert not second.done()
        await first_tx.commit()
        await second
        await second_tx.commit()
    row = await pool.fetchrow("SELECT status, department FROM complaints WHERE id = $1", submitted.data.complaint_id)
    assert (row["status"], row["department"]) == ("diterima", "DPUPR")
    assert len(await _receptions(pool, submitted.data.complaint_id)) == 1
