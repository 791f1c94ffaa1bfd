"""Routing in the running system: a complaint with no category is classified from its text and
located in its kelurahan, the enriched ComplaintRouted reaches Kafka and the status service,
and a taxonomy edit through the admin API decides the very next complaint."""

from __future__ import annotations

import uuid

import httpx
import pytest

from sigap_shared.events import TOPIC_COMPLAINT_ROUTED, decode
from tests.support.kafka import collect, eventually

pytestmark = pytest.mark.e2e

KUKUSAN_BEJI = {"lat": -6.3731, "lon": 106.819, "address": "Jl. Palakali, Kukusan"}


def _complaint(description: str, *, category: str | None = None, location: dict | None = None) -> dict:
    body = {
        "kind": "pengaduan",
        "title": None,
        "description": description,
        "location": location or KUKUSAN_BEJI,
        "privacy": "anonim",
    }
    if category:
        body["category"] = category
    return body


async def _submit(sigap, body: dict) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{sigap.url('intake')}/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _status_view(sigap, headers: dict[str, str], complaint_id: str) -> dict | None:
    """The complaint at status as staff see it (anonymous reporters' complaints are not public)."""
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"{sigap.url('status')}/v1/staff/complaints/{complaint_id}", headers=headers)
    return response.json() if response.status_code == 200 else None


async def _decision(sigap, staff, complaint_id: str) -> dict | None:
    """The decision as a city admin reads it (decisions quote the complaint: staff only)."""
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(
            f"{sigap.url('routing')}/v1/routing/decisions/{complaint_id}", headers=await staff.headers("city_admin")
        )
    return response.json() if response.status_code == 200 else None


async def test_a_complaint_without_category_is_classified_located_and_announced(sigap, infra, staff):
    complaint_id = await _submit(
        sigap, _complaint("Sampah numpuk di TPS Kukusan udah seminggu ga diangkut, bau bgt gan")
    )
    decision = await eventually(lambda: _decision(sigap, staff, complaint_id), timeout_s=30)
    assert (decision["department"], decision["category"], decision["needs_triage"]) == ("DLHK", "sampah", False)
    assert decision["area"]["kelurahan"] == {"code": "32.76.06.1002", "name": "Kukusan"}
    assert decision["area"]["kecamatan"] == {"code": "32.76.06", "name": "Beji"}
    assert decision["taxonomy_version"] >= 1
    assert any("'sampah'" in reason for reason in decision["reasons"])

    auditor = await staff.headers("auditor")

    async def placed() -> dict | None:
        body = await _status_view(sigap, auditor, complaint_id)
        return body if body and body.get("department") == "DLHK" else None

    await eventually(placed, timeout_s=30)

    records = await collect(
        infra.kafka_bootstrap,
        [infra.topic(TOPIC_COMPLAINT_ROUTED)],
        keep=lambda record: record.key == complaint_id.encode(),
        until=lambda kept: len(kept) >= 1,
    )
    routed = decode(records[0].headers, records[0].value).data
    assert (routed.kelurahan_code, routed.kelurahan_name) == ("32.76.06.1002", "Kukusan")
    assert (routed.kecamatan_code, routed.kecamatan_name) == ("32.76.06", "Beji")
    assert routed.inside_city is True
    assert routed.classifier_version and routed.taxonomy_version >= 1


async def test_a_complaint_outside_the_city_goes_to_triage_saying_so(sigap, staff):
    complaint_id = await _submit(
        sigap, _complaint("Jalan berlubang besar dekat Monas", location={"lat": -6.1754, "lon": 106.8272})
    )
    decision = await eventually(lambda: _decision(sigap, staff, complaint_id), timeout_s=30)
    assert decision["department"] == "TRIAGE" and decision["needs_triage"] is True
    assert decision["area"]["inside_city"] is False
    assert decision["area"]["message"] == "Lokasi berada di luar wilayah Kota Depok"


async def test_a_taxonomy_edit_through_the_api_decides_the_next_complaint(sigap, staff):
    admin = await staff.headers("city_admin")
    word = f"zzkebun{uuid.uuid4().hex[:6]}"  # a word no taxonomy version knew
    text = f"Lahan {word} warga di Kukusan terbengkalai"

    async with httpx.AsyncClient(base_url=sigap.url("routing"), timeout=10) as client:
        active = (await client.get("/v1/routing/admin/taxonomy", headers=admin)).json()
        first = await _submit(sigap, _complaint(text))
        assert (await eventually(lambda: _decision(sigap, staff, first), timeout_s=30))["department"] == "TRIAGE"

        taxonomy = active["taxonomy"]
        taxonomy["categories"].append(
            {"code": f"kebun_{word[-6:]}", "name": "Kebun warga", "department": "DKPPP", "keywords": {word: 9}}
        )
        response = await client.put(
            "/v1/routing/admin/taxonomy", json={"comment": "e2e", "taxonomy": taxonomy}, headers=admin
        )
        assert response.status_code == 200, response.text
        version = response.json()["version"]
        assert version > active["version"]

    second = await _submit(sigap, _complaint(text))
    decision = await eventually(lambda: _decision(sigap, staff, second), timeout_s=30)
    assert (decision["department"], decision["taxonomy_version"]) == ("DKPPP", version)


async def test_a_transfer_and_joint_handling_travel_through_kafka(sigap, infra, staff):
    complaint_id = await _submit(sigap, _complaint("Jalan berlubang besar di depan gang, udah sebulan ga diperbaiki"))
    decision = await eventually(lambda: _decision(sigap, staff, complaint_id), timeout_s=30)
    assert decision["department"] == "DPUPR"

    async with httpx.AsyncClient(base_url=sigap.url("routing"), timeout=10) as client:
        supported = await client.post(
            f"/v1/routing/complaints/{complaint_id}/supporting",
            json={"department": "DISHUB", "reason": "rambu peringatan perlu dipasang"},
            headers=await staff.headers("dept_admin", "DPUPR"),
        )
        assert supported.status_code == 200, supported.text
        transferred = await client.post(
            f"/v1/routing/complaints/{complaint_id}/transfer",
            json={"to_department": "PDAM", "reason": "bukan wewenang: bekas galian pipa PDAM"},
            headers=await staff.headers("dept_admin", "DPUPR"),
        )
        assert transferred.status_code == 200, transferred.text

    records = await collect(
        infra.kafka_bootstrap,
        [infra.topic(TOPIC_COMPLAINT_ROUTED)],
        keep=lambda record: record.key == complaint_id.encode(),
        until=lambda kept: any(dict(record.headers)["ce_type"] == b"sigap.complaint.transferred.v1" for record in kept),
    )
    # Delivery is at least once: a relay may publish an event again, with the same id.
    envelopes = {}
    for record in records:
        envelope = decode(record.headers, record.value)
        envelopes.setdefault(envelope.id, envelope)
    events = [envelope.data for envelope in envelopes.values()]
    assert events[0].event_type == "sigap.complaint.routed.v1"
    handed_on = [event for event in events if event.event_type != "sigap.complaint.routed.v1"]
    assert [event.event_type for event in handed_on] == [
        "sigap.complaint.support_added.v1",
        "sigap.complaint.transferred.v1",
    ]
    support, transfer = handed_on
    assert (support.lead_department, support.department, support.supporting_departments) == (
        "DPUPR",
        "DISHUB",
        ("DISHUB",),
    )
    assert (transfer.from_department, transfer.to_department, transfer.kind) == ("DPUPR", "PDAM", "bukan_wewenang")
    assert transfer.actor == "dept-admin.dpupr" and transfer.supporting_departments == ("DISHUB",)

    auditor = await staff.headers("auditor")

    # ...and the status service applies them: PDAM now leads, DISHUB supports, the timeline says why.
    async def handed_on_in_status() -> dict | None:
        body = await _status_view(sigap, auditor, complaint_id)
        return body if body and body["department"] == "PDAM" else None

    status_view = await eventually(handed_on_in_status, timeout_s=60)
    assert "sigap.complaint.transferred.v1" in [entry["type"] for entry in status_view["timeline"]]
