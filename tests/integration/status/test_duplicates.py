"""Duplicate suggestions (same category, open, nearby, earlier) and merging by rejecting as a
duplicate of an existing complaint."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.integration


async def test_nearby_open_earlier_complaints_of_the_same_category_are_suggested(status_api):
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    _, other_headers = await api.staff("dept_admin", "DLH")
    category = "cat_" + uuid.uuid4().hex[:6]
    start = datetime.now(UTC) - timedelta(hours=5)
    here = (-6.3925, 106.8226)
    near = await api.seed_complaint(category=category, location=(-6.3926, 106.8227), submitted_at=start)  # ~15 m
    closed = await api.seed_complaint(category=category, location=here, submitted_at=start)
    await api.pool.execute("UPDATE complaints SET status = 'selesai' WHERE id = $1", closed)
    await api.seed_complaint(category=category, location=(-6.40, 106.8226), submitted_at=start)  # ~830 m
    await api.seed_complaint(category="lain_" + category, location=here, submitted_at=start)
    other_department = await api.seed_complaint(department="DLH", category=category, location=here, submitted_at=start)
    complaint_id = await api.seed_complaint(category=category, location=here, submitted_at=start + timedelta(hours=1))
    later = await api.seed_complaint(category=category, location=here, submitted_at=start + timedelta(hours=2))

    response = await api.client.get(f"/v1/staff/complaints/{complaint_id}/duplicate-candidates", headers=headers)
    assert response.status_code == 200
    assert [c["id"] for c in response.json()] == [str(near)]
    assert response.json()[0]["distance_m"] < 30
    _, city = await api.staff("city_admin")
    everything = (await api.client.get(f"/v1/staff/complaints/{complaint_id}/duplicate-candidates", headers=city)).json()
    assert {c["id"] for c in everything} == {str(near), str(other_department)}
    assert str(later) not in str(everything)
    hidden = await api.client.get(f"/v1/staff/complaints/{complaint_id}/duplicate-candidates", headers=other_headers)
    assert hidden.status_code == 404

    merged = await api.client.post(
        f"/v1/complaints/{complaint_id}/transitions",
        json={"to": "ditolak", "reason": "duplicate", "duplicate_of": str(near), "expected_version": await api.version(complaint_id)},
        headers=headers,
    )
    assert merged.status_code == 200 and merged.json()["duplicate_of"] == str(near)


async def test_merging_into_an_unknown_complaint_is_refused(status_api):
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    complaint_id = await api.seed_complaint()
    response = await api.client.post(
        f"/v1/complaints/{complaint_id}/transitions",
        json={"to": "ditolak", "reason": "duplicate", "duplicate_of": str(uuid.uuid4()), "expected_version": await api.version(complaint_id)},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "duplicate_of"
    assert await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id) == "diterima"


async def _merge(api, headers, complaint_id, original):
    return await api.client.post(
        f"/v1/complaints/{complaint_id}/transitions",
        json={
            "to": "ditolak",
            "reason": "duplicate",
            "duplicate_of": str(original),
            "expected_version": await api.version(complaint_id),
        },
        headers=headers,
    )


async def test_a_merge_shows_on_the_original_for_staff_only(status_api):
    api = status_api
    admin, headers = await api.staff("dept_admin", "DISHUB")
    start = datetime.now(UTC) - timedelta(hours=3)
    original = await api.seed_complaint(submitted_at=start)
    complaint_id = await api.seed_complaint(submitted_at=start + timedelta(hours=1))
    code = await api.pool.fetchval("SELECT tracking_code FROM complaints WHERE id = $1", complaint_id)
    assert (await _merge(api, headers, complaint_id, original)).status_code == 200

    staff_view = (await api.client.get(f"/v1/staff/complaints/{original}", headers=headers)).json()
    merged = [entry for entry in staff_view["timeline"] if entry["type"] == "sigap.status.duplicate_merged"]
    assert [(e["actor"], e["detail"]["duplicate"], e["detail"]["tracking_code"]) for e in merged] == [
        (admin, str(complaint_id), code)
    ]
    public = (await api.client.get(f"/v1/complaints/{original}")).json()
    assert all(entry["type"] != "sigap.status.duplicate_merged" for entry in public["timeline"])
    assert admin not in str(public)


async def test_merging_is_only_into_an_earlier_handled_complaint_the_staff_can_see(status_api):
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    start = datetime.now(UTC) - timedelta(hours=5)
    complaint_id = await api.seed_complaint(submitted_at=start + timedelta(hours=2))
    later = await api.seed_complaint(submitted_at=start + timedelta(hours=3))
    rejected = await api.seed_complaint(submitted_at=start)
    await api.pool.execute("UPDATE complaints SET status = 'ditolak', rejection_reason = 'spam' WHERE id = $1", rejected)
    other_department = await api.seed_complaint(department="DISKES", submitted_at=start)
    english = {**headers, "Accept-Language": "en"}
    unknown = await _merge(api, english, complaint_id, uuid.uuid4())
    assert unknown.status_code == 422 and "does not exist" in unknown.json()["detail"]

    for original, expected_detail in (
        (later, "A complaint can only be merged into an earlier one"),
        (rejected, "The original complaint was rejected; merge into one that is being handled"),
        # Another department's complaint is answered exactly like an unknown one: no existence leak.
        (other_department, unknown.json()["detail"]),
    ):
        response = await _merge(api, english, complaint_id, original)
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == expected_detail
        assert response.json()["errors"][0]["field"] == "duplicate_of"
    assert await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id) == "diterima"
    assert await api.pool.fetchval(
        "SELECT count(*) FROM timeline WHERE event_type = 'sigap.status.duplicate_merged'"
        " AND complaint_id = ANY($1::uuid[])", [later, rejected, other_department]
    ) == 0
    # The city admin sees every department, so may merge across them.
    _, city = await api.staff("city_admin")
    assert (await _merge(api, city, complaint_id, other_department)).status_code == 200
