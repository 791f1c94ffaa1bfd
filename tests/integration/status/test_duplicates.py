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
