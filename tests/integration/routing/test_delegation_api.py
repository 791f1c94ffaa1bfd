"""Transfer (`bukan wewenang`), routing from the triage desk and joint handling through the
API, on the real database: state, history and outbox event written together, with who and why."""

from __future__ import annotations

import uuid

import pytest

from sigap_routing.events.handlers import complaint_submitted_handler
from sigap_shared.events import decode, headers_from_json
from tests.support.factories import submitted_envelope

pytestmark = pytest.mark.integration


async def _routed(api, *, description: str | None = None) -> str:
    envelope = submitted_envelope(category=None)
    if description is not None:
        envelope = type(envelope)(
            source=envelope.source, data=envelope.data.model_copy(update={"description": description})
        )
    async with api.pool.acquire() as conn, conn.transaction():
        await complaint_submitted_handler(api.engine)(conn=conn, envelope=envelope)
    return str(envelope.data.complaint_id)


async def _events(api, complaint_id: str) -> list:
    async with api.pool.acquire() as conn:
        rows = await conn.fetch("SELECT headers, payload FROM outbox WHERE key = $1 ORDER BY id", complaint_id.encode())
    return [decode(headers_from_json(row["headers"]), row["payload"]).data for row in rows]


async def test_a_department_hands_a_complaint_on_as_bukan_wewenang(routing_api):
    complaint_id = await _routed(routing_api)  # "Jalan berlubang ..." → DPUPR
    response = await routing_api.client.post(
        f"/v1/routing/complaints/{complaint_id}/transfer",
        json={"to_department": "PDAM", "reason": "bukan wewenang: lubang galian pipa PDAM"},
        headers=routing_api.token("dept_admin", "DPUPR", username="admin.dpupr"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["lead_department"] == "PDAM"

    routed, transferred = await _events(routing_api, complaint_id)
    assert routed.event_type == "sigap.complaint.routed.v1" and routed.department == "DPUPR"
    assert transferred.event_type == "sigap.complaint.transferred.v1"
    assert (transferred.from_department, transferred.to_department, transferred.kind) == (
        "DPUPR",
        "PDAM",
        "bukan_wewenang",
    )
    assert (transferred.actor, transferred.actor_role) == ("admin.dpupr", "dept_admin")
    assert transferred.tracking_code.startswith("SGP-") and transferred.reporter is not None

    decision = (await routing_api.client.get(f"/v1/routing/decisions/{complaint_id}", headers=routing_api.token("city_admin"))).json()
    assert (decision["department"], decision["lead_department"]) == ("DPUPR", "PDAM")  # the correction is kept
    history = (
        await routing_api.client.get(
            f"/v1/routing/complaints/{complaint_id}/history", headers=routing_api.token("auditor")
        )
    ).json()
    assert [(h["kind"], h["to_department"], h["actor"]) for h in history] == [
        ("automatic", "DPUPR", "system:routing"),
        ("transferred", "PDAM", "admin.dpupr"),
    ]
    assert history[1]["reason"] == "bukan wewenang: lubang galian pipa PDAM"

    # DPUPR no longer leads: it cannot move the complaint again
    again = await routing_api.client.post(
        f"/v1/routing/complaints/{complaint_id}/transfer",
        json={"to_department": "DLHK", "reason": "coba lagi"},
        headers=routing_api.token("dept_admin", "DPUPR"),
    )
    assert again.status_code == 403


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        (None, {"to_department": "PDAM", "reason": "bukan wewenang"}, 401),
        (("dept_admin", "DLHK"), {"to_department": "PDAM", "reason": "bukan wewenang"}, 403),
        (("field_officer", "DPUPR"), {"to_department": "PDAM", "reason": "bukan wewenang"}, 403),
        (("dept_admin", "DPUPR"), {"to_department": "DINAS_HANTU", "reason": "bukan wewenang"}, 422),
        (("dept_admin", "DPUPR"), {"to_department": "DPUPR", "reason": "bukan wewenang"}, 409),
        (("dept_admin", "DPUPR"), {"to_department": "PDAM"}, 422),
        (("dept_admin", "DPUPR"), {"to_department": "PDAM", "reason": "x"}, 422),
        (("dept_admin", "DPUPR"), {"to_department": "PDAM", "reason": "\u200b" * 5}, 422),
        (("dept_admin", "DPUPR"), {"to_department": "PDAM", "reason": "\u2800\u3164 \u00a0\u200d"}, 422),
        (("city_admin", None), {"to_department": "PDAM", "reason": "koreksi", "category": "tidak_ada"}, 422),
    ],
)
async def test_a_transfer_that_is_not_allowed_changes_nothing(routing_api, who, body, status):
    complaint_id = await _routed(routing_api)
    headers = routing_api.token(*who) if who else {}
    response = await routing_api.client.post(
        f"/v1/routing/complaints/{complaint_id}/transfer", json=body, headers=headers
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert len(await _events(routing_api, complaint_id)) == 1
    decision = (await routing_api.client.get(f"/v1/routing/decisions/{complaint_id}", headers=routing_api.token("city_admin"))).json()
    assert decision["lead_department"] == "DPUPR"


async def test_unknown_complaint_is_a_404(routing_api):
    response = await routing_api.client.post(
        f"/v1/routing/complaints/{uuid.uuid4()}/transfer",
        json={"to_department": "PDAM", "reason": "bukan wewenang"},
        headers=routing_api.token("city_admin"),
    )
    assert response.status_code == 404


async def test_only_the_city_admin_routes_from_the_triage_desk(routing_api):
    complaint_id = await _routed(routing_api, description="Mohon ditindaklanjuti secepatnya, terima kasih")
    assert (await routing_api.client.get(f"/v1/routing/decisions/{complaint_id}", headers=routing_api.token("city_admin"))).json()["department"] == "TRIAGE"
    denied = await routing_api.client.post(
        f"/v1/routing/complaints/{complaint_id}/transfer",
        json={"to_department": "DLHK", "reason": "ini soal sampah"},
        headers=routing_api.token("dept_admin", "DLHK"),
    )
    assert denied.status_code == 403
    assert "meja triase" in denied.json()["detail"]
    routed = await routing_api.client.post(
        f"/v1/routing/complaints/{complaint_id}/transfer",
        json={"to_department": "DLHK", "reason": "isi lampiran: sampah", "category": "sampah"},
        headers=routing_api.token("city_admin", username="triase.kota"),
    )
    assert routed.status_code == 200, routed.text
    transferred = (await _events(routing_api, complaint_id))[-1]
    assert (transferred.kind, transferred.from_department, transferred.category) == ("triase", "TRIAGE", "sampah")


async def test_joint_handling_adds_and_removes_supporting_departments(routing_api):
    complaint_id = await _routed(routing_api)  # DPUPR leads
    lead = routing_api.token("dept_admin", "DPUPR")
    url = f"/v1/routing/complaints/{complaint_id}/supporting"

    added = await routing_api.client.post(
        url, json={"department": "DLHK", "reason": "pohon perlu dipangkas dulu"}, headers=lead
    )
    assert added.status_code == 200, added.text
    await routing_api.client.post(url, json={"department": "DISHUB", "reason": "lampu jalan ikut rusak"}, headers=lead)
    twice = await routing_api.client.post(url, json={"department": "DLHK", "reason": "lagi"}, headers=lead)
    assert twice.status_code == 409
    itself = await routing_api.client.post(url, json={"department": "DPUPR", "reason": "sendiri"}, headers=lead)
    assert itself.status_code == 409
    outsider = await routing_api.client.post(
        url, json={"department": "DINKES", "reason": "ikut"}, headers=routing_api.token("dept_admin", "DLHK")
    )
    assert outsider.status_code == 403

    decision = (await routing_api.client.get(f"/v1/routing/decisions/{complaint_id}", headers=routing_api.token("city_admin"))).json()
    assert (decision["lead_department"], decision["supporting_departments"]) == ("DPUPR", ["DLHK", "DISHUB"])

    # a supporting department may withdraw itself, with a reason
    removed = await routing_api.client.delete(
        f"{url}/DISHUB", params={"reason": "lampu sudah diperbaiki"}, headers=routing_api.token("dept_admin", "DISHUB")
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["supporting_departments"] == ["DLHK"]
    no_reason = await routing_api.client.delete(f"{url}/DLHK", headers=lead)
    assert no_reason.status_code == 422

    # the lead hands over to its supporter: DLHK leads, and no longer merely supports
    handed = await routing_api.client.post(
        f"/v1/routing/complaints/{complaint_id}/transfer",
        json={"to_department": "DLHK", "reason": "bukan wewenang: akar pohon merusak jalan"},
        headers=lead,
    )
    assert handed.json() | {"event_type": None} == {
        "complaint_id": complaint_id,
        "lead_department": "DLHK",
        "supporting_departments": [],
        "event_type": None,
    }
    kinds = [event.event_type.split(".")[2] for event in await _events(routing_api, complaint_id)]
    assert kinds == ["routed", "support_added", "support_added", "support_removed", "transferred"]


async def test_corrections_from_real_use_measure_routing_accuracy(routing_api):
    kept, moved = await _routed(routing_api), await _routed(routing_api)  # both DPUPR
    triaged = await _routed(routing_api, description="Mohon ditindaklanjuti secepatnya, terima kasih")
    await routing_api.client.post(
        f"/v1/routing/complaints/{moved}/transfer",
        json={"to_department": "PDAM", "reason": "bukan wewenang"},
        headers=routing_api.token("dept_admin", "DPUPR"),
    )
    await routing_api.client.post(
        f"/v1/routing/complaints/{triaged}/transfer",
        json={"to_department": "DLHK", "reason": "soal sampah"},
        headers=routing_api.token("city_admin"),
    )
    assert kept != moved
    forbidden = await routing_api.client.get(
        "/v1/routing/admin/accuracy", headers=routing_api.token("dept_admin", "DPUPR")
    )
    assert forbidden.status_code == 403
    body = (await routing_api.client.get("/v1/routing/admin/accuracy", headers=routing_api.token("city_admin"))).json()
    by_department = {row["department"]: row for row in body["departments"]}
    assert by_department["DPUPR"] == {"department": "DPUPR", "decided": 2, "triaged": 0, "corrected": 1}
    assert by_department["TRIAGE"] == {"department": "TRIAGE", "decided": 1, "triaged": 1, "corrected": 0}
    assert (body["decided"], body["triaged"], body["corrected"], body["confirmed_share"]) == (3, 1, 1, 0.5)
