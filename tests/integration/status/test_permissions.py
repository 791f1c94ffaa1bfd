"""The whole permission matrix on real PostgreSQL: role × action × own/supporting/other
department. Another department's complaint is indistinguishable from a missing one (404)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

LEAD, SUPPORTING, OTHER = "DISHUB", "DLH", "DISKES"

# subject -> (role, department, assigned to the complaint?)
SUBJECTS = {
    "city_admin": ("city_admin", None, False),
    "auditor": ("auditor", None, False),
    "dept_admin_lead": ("dept_admin", LEAD, False),
    "dept_admin_supporting": ("dept_admin", SUPPORTING, False),
    "dept_admin_other": ("dept_admin", OTHER, False),
    "field_officer_assigned": ("field_officer", LEAD, True),
    "field_officer_unassigned": ("field_officer", LEAD, False),
    "field_officer_other": ("field_officer", OTHER, False),
    "anonymous": (None, None, False),
}

# subject -> expected (view, start work, assign, listed in its queue)
MATRIX = {
    "city_admin": (200, 200, 200, True),
    "auditor": (200, 403, 403, True),
    "dept_admin_lead": (200, 200, 200, True),
    "dept_admin_supporting": (200, 403, 403, True),
    "dept_admin_other": (404, 404, 404, False),
    "field_officer_assigned": (200, 200, 403, True),
    "field_officer_unassigned": (404, 404, 404, False),
    "field_officer_other": (404, 404, 404, False),
    "anonymous": (401, 401, 401, None),
}
ACTIONS = ("view", "start_work", "assign", "queue")


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("subject", list(SUBJECTS))
async def test_permission_matrix(status_api, subject, action):
    api = status_api
    _, lead_admin = await api.staff("dept_admin", LEAD)
    assigned_officer = await api.create_user("field_officer", LEAD)
    complaint_id = await api.seed_complaint(department=LEAD, supporting=[SUPPORTING])
    # Verified and assigned, so "start work" is a legal next step for every acting role.
    verified = await api.client.post(
        f"/v1/complaints/{complaint_id}/transitions",
        json={"to": "terverifikasi", "expected_version": await api.version(complaint_id)},
        headers=lead_admin,
    )
    assert verified.status_code == 200
    assigned = await api.client.put(
        f"/v1/complaints/{complaint_id}/assignment",
        json={"officer": assigned_officer, "expected_version": verified.json()["version"]},
        headers=lead_admin,
    )
    assert assigned.status_code == 200

    role, department, is_assigned = SUBJECTS[subject]
    if role is None:
        headers = {}
    elif is_assigned:
        headers = await api.login(assigned_officer)
    else:
        _, headers = await api.staff(role, department)
    version = await api.version(complaint_id)
    expected_view, expected_start, expected_assign, expected_listed = MATRIX[subject]

    if action == "view":
        response = await api.client.get(f"/v1/staff/complaints/{complaint_id}", headers=headers)
        assert response.status_code == expected_view, response.text
        if expected_view == 404:
            # Exactly what an unknown id gets: no existence leak.
            assert response.json()["type"] == "/problems/complaint-not-found"
    elif action == "start_work":
        response = await api.client.post(
            f"/v1/complaints/{complaint_id}/transitions",
            json={"to": "dalam_proses", "expected_version": version},
            headers=headers,
        )
        assert response.status_code == expected_start, response.text
        status = await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id)
        assert status == ("dalam_proses" if expected_start == 200 else "terverifikasi")
    elif action == "assign":
        response = await api.client.put(
            f"/v1/complaints/{complaint_id}/assignment",
            json={"officer": None, "expected_version": version},
            headers=headers,
        )
        assert response.status_code == expected_assign, response.text
        officer = await api.pool.fetchval("SELECT assigned_officer FROM complaints WHERE id = $1", complaint_id)
        assert officer == (None if expected_assign == 200 else assigned_officer)
    else:
        response = await api.client.get("/v1/staff/queue", headers=headers)
        if expected_listed is None:
            assert response.status_code == 401
            return
        assert response.status_code == 200, response.text
        listed = {item["id"] for item in response.json()["items"]}
        assert (str(complaint_id) in listed) is expected_listed
    assert response.headers["content-type"].startswith(
        "application/json" if response.status_code == 200 else "application/problem+json"
    )


async def test_department_staff_cannot_ask_for_another_departments_queue(status_api):
    _, headers = await status_api.staff("dept_admin", LEAD)
    response = await status_api.client.get("/v1/staff/queue", params={"department": OTHER}, headers=headers)
    assert response.status_code == 403
    own = await status_api.client.get("/v1/staff/queue", params={"department": LEAD}, headers=headers)
    assert own.status_code == 200


async def test_only_an_active_field_officer_of_the_lead_department_can_be_assigned(status_api):
    api = status_api
    _, headers = await api.staff("dept_admin", LEAD)
    complaint_id = await api.seed_complaint(department=LEAD)
    other_officer = await api.create_user("field_officer", OTHER)
    lead_admin_name = await api.create_user("dept_admin", LEAD)
    for officer in (other_officer, lead_admin_name, "tidak-ada-orangnya"):
        response = await api.client.put(
            f"/v1/complaints/{complaint_id}/assignment",
            json={"officer": officer, "expected_version": await api.version(complaint_id)},
            headers=headers,
        )
        assert response.status_code == 422, officer
        assert response.json()["errors"][0]["field"] == "officer"
    assert await api.pool.fetchval("SELECT assigned_officer FROM complaints WHERE id = $1", complaint_id) is None
