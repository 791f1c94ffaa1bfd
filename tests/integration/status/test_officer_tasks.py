"""A field officer's tasks (`/v1/staff/tasks`) on real PostgreSQL: their own open complaints,
nearest first from their position or oldest first without one, with distance and SLA; other
officers' and other departments' complaints answer 404, other roles 403."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sigap_status.tasks.rules import Point, distance_m

pytestmark = pytest.mark.integration

# Balai Kota Depok, and two places about 0.6 km and 3.2 km from it.
OFFICER_AT = (-6.3931, 106.8233)
NEAR = (-6.3880, 106.8250)
FAR = (-6.3650, 106.8260)


@pytest.fixture
async def api(status_api):
    return status_api


async def _assign(api, headers, complaint_id, officer, *, verify=True):
    if verify:
        verified = await api.transition(complaint_id, headers, "terverifikasi")
        assert verified.status_code == 200, verified.text
    assigned = await api.assign(complaint_id, headers, officer)
    assert assigned.status_code == 200, assigned.text


async def test_an_officer_sees_their_open_tasks_nearest_first_or_oldest_first(api):
    department = "DP" + uuid.uuid4().hex[:6].upper()
    _, admin = await api.staff("dept_admin", department)
    officer = await api.create_user("field_officer", department)
    colleague = await api.create_user("field_officer", department)
    headers = await api.login(officer)
    base = datetime.now(UTC) - timedelta(hours=5)
    far = await api.seed_complaint(department=department, location=FAR, submitted_at=base)
    near = await api.seed_complaint(department=department, location=NEAR, submitted_at=base + timedelta(hours=1))
    theirs = await api.seed_complaint(department=department, location=OFFICER_AT, submitted_at=base + timedelta(hours=2))
    finished = await api.seed_complaint(department=department, location=OFFICER_AT, submitted_at=base)
    unassigned = await api.seed_complaint(department=department, location=OFFICER_AT)
    for complaint_id in (far, near, finished):
        await _assign(api, admin, complaint_id, officer)
    await _assign(api, admin, theirs, colleague)
    started = await api.transition(finished, headers, "dalam_proses")
    assert started.status_code == 200, started.text
    done = await api.client.post(
        f"/v1/complaints/{finished}/transitions",
        headers=headers,
        json={
            "to": "selesai",
            "expected_version": await api.version(finished),
            "resolution_note": "Sudah diperbaiki",
            "after_photo_ids": [str(uuid.uuid4())],
        },
    )
    assert done.status_code == 200, done.text

    oldest = await api.client.get("/v1/staff/tasks", headers=headers)
    assert oldest.status_code == 200, oldest.text
    assert oldest.json()["order"] == "oldest"
    assert [item["id"] for item in oldest.json()["items"]] == [str(far), str(near)]
    assert all(item["distance_m"] is None for item in oldest.json()["items"])

    nearest = await api.client.get(
        "/v1/staff/tasks", headers=headers, params={"near_lat": OFFICER_AT[0], "near_lon": OFFICER_AT[1]}
    )
    assert nearest.status_code == 200, nearest.text
    items = nearest.json()["items"]
    assert nearest.json()["order"] == "nearest"
    assert [item["id"] for item in items] == [str(near), str(far)]
    here = Point(*OFFICER_AT)
    assert items[0]["distance_m"] == pytest.approx(distance_m(here, Point(*NEAR)), abs=0.1)
    assert 500 < items[0]["distance_m"] < 700 and 3000 < items[1]["distance_m"] < 3400
    first = items[0]
    assert (first["lat"], first["lon"]) == NEAR
    assert first["description"] and first["tracking_code"].startswith("SGP-")
    assert first["status"] == "terverifikasi" and first["allowed_transitions"] == ["dalam_proses"]
    assert first["sla_due_at"] is not None and first["sla_state"] in ("on_track", "due_soon")

    one = await api.client.get(
        f"/v1/staff/tasks/{near}", headers=headers, params={"near_lat": OFFICER_AT[0], "near_lon": OFFICER_AT[1]}
    )
    assert one.status_code == 200, one.text
    assert one.json()["distance_m"] == first["distance_m"] and one.json()["version"] == first["version"]
    # A finished task leaves the list but stays readable to the officer who finished it.
    closed = await api.client.get(f"/v1/staff/tasks/{finished}", headers=headers)
    assert closed.status_code == 200 and closed.json()["status"] == "selesai"
    assert closed.json()["resolution_note"] == "Sudah diperbaiki" and closed.json()["allowed_transitions"] == []

    # Another officer's task and an unassigned complaint are unknown to this officer.
    for hidden in (theirs, unassigned, uuid.uuid4()):
        response = await api.client.get(f"/v1/staff/tasks/{hidden}", headers=headers)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_another_departments_task_is_unknown_and_only_officers_have_tasks(api):
    department, other = ("DP" + uuid.uuid4().hex[:6].upper() for _ in range(2))
    _, other_admin = await api.staff("dept_admin", other)
    other_officer = await api.create_user("field_officer", other)
    # Same username pattern, another department: assignment and visibility follow the department.
    officer = await api.create_user("field_officer", department)
    headers = await api.login(officer)
    elsewhere = await api.seed_complaint(department=other, location=NEAR)
    await _assign(api, other_admin, elsewhere, other_officer)

    assert (await api.client.get(f"/v1/staff/tasks/{elsewhere}", headers=headers)).status_code == 404
    assert (await api.client.get("/v1/staff/tasks", headers=headers)).json()["items"] == []
    other_headers = await api.login(other_officer)
    listed = (await api.client.get("/v1/staff/tasks", headers=other_headers)).json()["items"]
    assert [item["id"] for item in listed] == [str(elsewhere)]

    for role in ("dept_admin", "city_admin", "auditor"):
        _, staff_headers = await api.staff(role, other if role == "dept_admin" else None)
        refused = await api.client.get("/v1/staff/tasks", headers=staff_headers)
        assert refused.status_code == 403, refused.text
        assert "petugas lapangan" in refused.json()["detail"]
    assert (await api.client.get("/v1/staff/tasks")).status_code == 401


@pytest.mark.parametrize(
    "params",
    [{"near_lat": "-6.39"}, {"near_lon": "106.8"}, {"near_lat": "91", "near_lon": "106.8"}, {"near_lat": "x", "near_lon": "1"},
     {"limit": "0"}],
)
async def test_a_bad_position_is_a_422_problem(api, params):
    officer = await api.create_user("field_officer", "DISHUB")
    response = await api.client.get("/v1/staff/tasks", headers=await api.login(officer), params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
