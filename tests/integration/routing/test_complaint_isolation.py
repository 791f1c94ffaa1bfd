"""Routing's per-complaint reads follow the isolation rule of every service: city-wide roles
see every complaint, a department's staff only those it leads or supports, and a complaint
they may not see answers exactly as an unknown one (404). The decision quotes the complaint's
own words in its reasons, so it is for staff only."""

from __future__ import annotations

import uuid

import pytest

from sigap_routing.events.handlers import complaint_submitted_handler
from tests.support.factories import submitted_envelope

pytestmark = pytest.mark.integration


DESCRIPTIONS = {
    "lampu_jalan": "Lampu PJU di Jl. Nusantara Raya mati semua sejak 3 hari",
    "jalan_rusak": "Jalan berlubang di depan SDN Beji 1, sudah sebulan belum diperbaiki",
}


async def _routed(api, category: str) -> str:
    envelope = submitted_envelope(category=category)
    envelope = type(envelope)(
        source=envelope.source, data=envelope.data.model_copy(update={"description": DESCRIPTIONS[category]})
    )
    async with api.pool.acquire() as conn, conn.transaction():
        await complaint_submitted_handler(api.engine)(conn=conn, envelope=envelope)
    return str(envelope.data.complaint_id)


def _paths(complaint_id: str) -> list[str]:
    return [f"/v1/routing/complaints/{complaint_id}/history", f"/v1/routing/decisions/{complaint_id}"]


async def _statuses(api, complaint_id: str, headers: dict[str, str]) -> list[int]:
    return [(await api.client.get(path, headers=headers)).status_code for path in _paths(complaint_id)]


async def test_another_departments_complaint_answers_as_an_unknown_one(routing_api):
    complaint_id = await _routed(routing_api, "lampu_jalan")
    lead = (await routing_api.client.get(f"/v1/routing/decisions/{complaint_id}", headers=routing_api.token("city_admin"))).json()
    assert lead["lead_department"] == "DISHUB", lead
    unknown = str(uuid.uuid4())
    dpupr = routing_api.token("dept_admin", "DPUPR", username="admin.dpupr")
    for path in _paths(complaint_id):
        hidden, missing = (
            await routing_api.client.get(path, headers=dpupr),
            await routing_api.client.get(path.replace(complaint_id, unknown), headers=dpupr),
        )
        assert hidden.status_code == missing.status_code == 404, (path, hidden.text)
        assert hidden.headers["content-type"] == "application/problem+json"
        assert hidden.json()["type"] == missing.json()["type"]
        assert hidden.json()["title"] == missing.json()["title"]
    assert await _statuses(routing_api, complaint_id, routing_api.token("dept_admin", "DISHUB")) == [200, 200]
    assert await _statuses(routing_api, complaint_id, routing_api.token("city_admin")) == [200, 200]
    assert await _statuses(routing_api, complaint_id, routing_api.token("auditor")) == [200, 200]
    # Routing does not know who is assigned, and a field officer sees only their own tasks.
    officer = routing_api.token("field_officer", "DISHUB", username="petugas.dishub")
    assert await _statuses(routing_api, complaint_id, officer) == [404, 404]


async def test_reads_need_a_staff_login(routing_api):
    complaint_id = await _routed(routing_api, "lampu_jalan")
    for path in _paths(complaint_id):
        response = await routing_api.client.get(path)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_visibility_follows_transfers_and_joint_handling(routing_api):
    complaint_id = await _routed(routing_api, "jalan_rusak")  # DPUPR leads
    dpupr, pdam, dlhk = (routing_api.token("dept_admin", code) for code in ("DPUPR", "PDAM", "DLHK"))
    added = await routing_api.client.post(
        f"/v1/routing/complaints/{complaint_id}/supporting",
        json={"department": "DLHK", "reason": "pohon tumbang menutup jalan"},
        headers=dpupr,
    )
    assert added.status_code == 200, added.text
    assert await _statuses(routing_api, complaint_id, dlhk) == [200, 200]  # supports
    assert await _statuses(routing_api, complaint_id, pdam) == [404, 404]
    moved = await routing_api.client.post(
        f"/v1/routing/complaints/{complaint_id}/transfer",
        json={"to_department": "PDAM", "reason": "bukan wewenang: galian pipa PDAM"},
        headers=dpupr,
    )
    assert moved.status_code == 200, moved.text
    assert await _statuses(routing_api, complaint_id, pdam) == [200, 200]
    assert await _statuses(routing_api, complaint_id, dpupr) == [404, 404]  # gave it up
