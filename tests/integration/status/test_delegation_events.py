"""Routing's hand-on events (transfer, joint handling) applied by status's consumer handlers
against a real database: the lead moves, supporting departments see the complaint, the old
lead loses it, and the timeline tells who did what and why."""

from __future__ import annotations

import uuid

import orjson
import pytest

from sigap_shared.events import Envelope, headers_from_json
from sigap_status.events import handlers
from tests.support.events import support_added, support_removed, transferred

pytestmark = pytest.mark.integration


async def _apply(api, handler, envelope: Envelope) -> None:
    async with api.pool.acquire() as conn, conn.transaction():
        await handler(conn=conn, envelope=envelope)


async def _staff_view(api, complaint_id, headers):
    return await api.client.get(f"/v1/staff/complaints/{complaint_id}", headers=headers)


async def test_transfer_moves_the_lead_and_joint_handling_shares_the_complaint(status_api):
    api = status_api
    complaint_id = await api.seed_complaint(department="DPUPR", category="drainase")
    code = await api.pool.fetchval("SELECT tracking_code FROM complaints WHERE id = $1", complaint_id)
    _, dpupr = await api.staff("dept_admin", "DPUPR")
    _, dlhk = await api.staff("dept_admin", "DLHK")
    _, satpol = await api.staff("dept_admin", "SATPOLPP")
    officer, _ = await api.staff("field_officer", "DPUPR")
    verified = await api.transition(complaint_id, dpupr, "terverifikasi")
    assert verified.status_code == 200, verified.text
    assigned = await api.client.put(
        f"/v1/complaints/{complaint_id}/assignment",
        json={"officer": officer, "expected_version": verified.json()["version"]},
        headers=dpupr,
    )
    assert assigned.status_code == 200, assigned.text
    assert (await _staff_view(api, complaint_id, dlhk)).status_code == 404

    support = {"lead_department": "DPUPR", "department": "DLHK", "reason": "sampah menyumbat saluran"}
    await _apply(
        api, handlers.on_support_changed, support_added(complaint_id=complaint_id, tracking_code=code, **support)
    )
    assert (await _staff_view(api, complaint_id, dlhk)).status_code == 200

    version_before = await api.version(complaint_id)
    transfer = {"from_department": "DPUPR", "to_department": "SATPOLPP", "supporting_departments": ("DLHK",)}
    await _apply(
        api, handlers.on_complaint_transferred, transferred(complaint_id=complaint_id, tracking_code=code, **transfer)
    )
    row = await api.pool.fetchrow(
        "SELECT department, supporting_departments, assigned_officer, version FROM complaints WHERE id = $1",
        complaint_id,
    )
    assert row["department"] == "SATPOLPP"
    assert list(row["supporting_departments"]) == ["DLHK"]
    assert row["assigned_officer"] is None, "the old department's officer does not travel with it"
    # ...and is told so: an unassignment under the department that gave the complaint up.
    released = [
        orjson.loads(row["payload"])
        for row in await api.pool.fetch(
            "SELECT headers, payload FROM outbox WHERE key = $1 ORDER BY id", str(complaint_id).encode()
        )
        if ("ce_type", b"sigap.complaint.assigned.v1") in headers_from_json(row["headers"])
    ]
    assert [(e["officer"], e["previous_officer"], e["department"]) for e in released][-1] == (None, officer, "DPUPR")
    assert row["version"] > version_before
    assert (await _staff_view(api, complaint_id, dpupr)).status_code == 404
    assert (await _staff_view(api, complaint_id, satpol)).status_code == 200
    view = (await _staff_view(api, complaint_id, dlhk)).json()
    types = [entry["type"] for entry in view["timeline"]]
    assert "sigap.complaint.transferred.v1" in types and "sigap.complaint.support_added.v1" in types

    support = {"lead_department": "SATPOLPP", "department": "DLHK", "reason": "saluran sudah bersih"}
    await _apply(
        api, handlers.on_support_changed, support_removed(complaint_id=complaint_id, tracking_code=code, **support)
    )
    assert (await _staff_view(api, complaint_id, dlhk)).status_code == 404


async def test_hand_on_before_the_complaint_is_known_is_retried_not_swallowed(status_api):
    transfer = transferred(
        complaint_id=uuid.uuid4(), from_department="TRIAGE", to_department="DINKES", kind="triase",
        reason="soal puskesmas", actor="admin.kota", actor_role="city_admin",
    )
    with pytest.raises(handlers.ComplaintNotYetKnown):
        await _apply(status_api, handlers.on_complaint_transferred, transfer)
