"""Status handles a poll's submitted and routed events as batches (a few statements for the
whole run): the result must be what one event at a time gives, also when a run holds two
events of one complaint or a routing that arrives before its submission."""

from __future__ import annotations

import orjson
import pytest

from sigap_shared.events import headers_from_json
from sigap_status.events import handlers
from sigap_status.sla.rules import SlaPolicy
from tests.support.factories import routed_for, submitted_envelope

pytestmark = pytest.mark.integration


async def _received_events(pool, complaint_ids) -> list[dict]:
    rows = await pool.fetch(
        "SELECT headers, payload FROM outbox WHERE key = ANY($1::bytea[]) ORDER BY id",
        [str(complaint_id).encode() for complaint_id in complaint_ids],
    )
    return [
        orjson.loads(row["payload"])
        for row in rows
        if ("ce_type", b"sigap.complaint.status_changed.v1") in headers_from_json(row["headers"])
    ]


async def test_a_batch_gives_what_one_event_at_a_time_gives(status_api):
    pool = status_api.pool
    submitted = [submitted_envelope(category="jalan_rusak") for _ in range(4)]
    early = submitted_envelope(category="sampah")  # routed before its submission arrives
    routed = [routed_for(envelope, "DPUPR") for envelope in submitted]
    rerouted = routed_for(submitted[0], "DISHUB", kelurahan=None)  # the same complaint again, same run

    async with pool.acquire() as conn, conn.transaction():
        await handlers.on_complaints_submitted(conn=conn, envelopes=submitted, policy=SlaPolicy())
    async with pool.acquire() as conn, conn.transaction():
        await handlers.on_complaints_routed(conn=conn, envelopes=[*routed, routed_for(early, "DLHK"), rerouted], policy=SlaPolicy())
    async with pool.acquire() as conn, conn.transaction():
        await handlers.on_complaints_submitted(conn=conn, envelopes=[early], policy=SlaPolicy())

    ids = [envelope.data.complaint_id for envelope in [*submitted, early]]
    rows = {
        row["id"]: row
        for row in await pool.fetch(
            "SELECT id, department, kelurahan, status, received_at, sla_stage, sla_due_at, version, description,"
            " reporter_channels FROM complaints WHERE id = ANY($1::uuid[])",
            ids,
        )
    }
    assert set(rows) == set(ids)
    # The second routing of the first complaint moved it, kept its area and did not receive it again.
    assert (rows[ids[0]]["department"], rows[ids[0]]["kelurahan"]) == ("DISHUB", "Beji")
    assert [rows[i]["department"] for i in ids[1:]] == ["DPUPR", "DPUPR", "DPUPR", "DLHK"]
    for complaint_id, row in rows.items():
        assert row["status"] == "diterima" and row["received_at"] is not None
        assert row["sla_stage"] == "verify" and row["sla_due_at"] > row["received_at"]
        assert row["description"].startswith("Jalan berlubang")  # also the one routed first
        assert list(row["reporter_channels"]) == ["email"]
    received = await _received_events(pool, ids)
    assert sorted(event["complaint_id"] for event in received) == sorted(str(i) for i in ids)  # once each
    assert {event["complaint_id"]: event["department"] for event in received}[str(ids[0])] == "DPUPR"

    # One event at a time, for comparison: the same rows.
    single = [submitted_envelope(category="jalan_rusak") for _ in range(2)]
    for envelope in single:
        async with pool.acquire() as conn, conn.transaction():
            await handlers.on_complaints_submitted(conn=conn, envelopes=[envelope], policy=SlaPolicy())
            await handlers.on_complaints_routed(conn=conn, envelopes=[routed_for(envelope, "DPUPR")], policy=SlaPolicy())
    async with pool.acquire() as conn, conn.transaction():
        await handlers.on_complaints_routed(conn=conn, envelopes=[routed_for(single[0], "DISHUB", kelurahan=None)], policy=SlaPolicy())
    one = await pool.fetchrow(
        "SELECT department, kelurahan, status, sla_stage, version FROM complaints WHERE id = $1",
        single[0].data.complaint_id,
    )
    batched = rows[ids[0]]
    assert (one["department"], one["kelurahan"], one["status"], one["sla_stage"], one["version"]) == (
        batched["department"],
        batched["kelurahan"],
        batched["status"],
        batched["sla_stage"],
        batched["version"],
    )
    timeline = await pool.fetch(
        "SELECT complaint_id, event_type FROM timeline WHERE complaint_id = ANY($1::uuid[])",
        [ids[0], single[0].data.complaint_id],
    )
    per_complaint = {
        complaint_id: sorted(row["event_type"] for row in timeline if row["complaint_id"] == complaint_id)
        for complaint_id in (ids[0], single[0].data.complaint_id)
    }
    assert (
        per_complaint[ids[0]]
        == per_complaint[single[0].data.complaint_id]
        == [
            "sigap.complaint.routed.v1",
            "sigap.complaint.routed.v1",
            "sigap.complaint.status_changed.v1",
            "sigap.complaint.submitted.v1",
        ]
    )
