"""The whole permission matrix on real PostgreSQL: role × every staff action × own/supporting/
other department, each answer expected as the domain's rules decide it (the rules themselves
are held to the written policy in tests/unit/status/test_permission_policy.py). Another
department's complaint is indistinguishable from a missing one (404)."""

from __future__ import annotations

import pytest

from sigap_status.lifecycle import rules as domain
from tests.support.permissions import ACTIONS, LEAD, OTHER, SUBJECTS, SUPPORTING, expected_answer, principal

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("subject", list(SUBJECTS))
async def test_permission_matrix(status_api, subject, action):
    api = status_api
    _, lead_admin = await api.staff("dept_admin", LEAD)
    assigned_officer = await api.create_user("field_officer", LEAD)
    complaint_id = await api.seed_complaint(department=LEAD, supporting=[SUPPORTING])
    # Verified and assigned, so "start work" is a legal next step for every acting role.
    verified = await api.transition(complaint_id, lead_admin, "terverifikasi")
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
    row = await api.pool.fetchrow("SELECT status, version FROM complaints WHERE id = $1", complaint_id)
    view = domain.ComplaintView(
        id=complaint_id,
        tracking_code="",
        status=row["status"],
        department=LEAD,
        version=row["version"],
        supporting_departments=(SUPPORTING,),
        assigned_officer=assigned_officer,
    )
    expected = expected_answer(action, principal(subject, assigned_officer), view)
    timeline_before = await _timeline_length(api, complaint_id)
    base = f"/v1/complaints/{complaint_id}"

    if action == "queue":
        response = await api.client.get("/v1/staff/queue", headers=headers)
        if expected is None:
            assert response.status_code == 401
            return
        assert response.status_code == 200, response.text
        listed = {item["id"] for item in response.json()["items"]}
        assert (str(complaint_id) in listed) is expected
        return
    if action == "view":
        response = await api.client.get(f"/v1/staff/complaints/{complaint_id}", headers=headers)
    elif action == "duplicate_candidates":
        response = await api.client.get(f"/v1/staff/complaints/{complaint_id}/duplicate-candidates", headers=headers)
    elif action == "start_work":
        response = await api.client.post(
            f"{base}/transitions", json={"to": "dalam_proses", "expected_version": version}, headers=headers
        )
        status = await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id)
        assert status == ("dalam_proses" if expected == 200 else "terverifikasi")
    elif action == "reject":
        response = await api.client.post(
            f"{base}/transitions", json={"to": "ditolak", "reason": "spam", "expected_version": version}, headers=headers
        )
        status = await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id)
        assert status == ("ditolak" if expected == 200 else "terverifikasi")
    elif action == "assign":
        response = await api.client.put(
            f"{base}/assignment", json={"officer": None, "expected_version": version}, headers=headers
        )
        officer = await api.pool.fetchval("SELECT assigned_officer FROM complaints WHERE id = $1", complaint_id)
        assert officer == (None if expected == 200 else assigned_officer)
    elif action == "wait_for_reporter":
        response = await api.client.put(
            f"{base}/waiting-for-reporter", json={"waiting": True, "expected_version": version}, headers=headers
        )
        paused = await api.pool.fetchval("SELECT sla_paused_at FROM complaints WHERE id = $1", complaint_id)
        assert (paused is not None) is (expected == 200)
    elif action in ("internal_note", "reporter_message"):
        response = await api.client.post(
            f"{base}/notes",
            json={"body": "Catatan uji", "visibility": "internal" if action == "internal_note" else "reporter"},
            headers=headers,
        )
    else:
        response = await api.client.get(
            f"/v1/staff/complaints/{complaint_id}/reporter-identity",
            params={"reason": "Perlu menghubungi pelapor"},
            headers=headers,
        )
    assert response.status_code == expected, response.text
    if expected == 404:
        # Exactly what an unknown id gets: no existence leak.
        assert response.json()["type"] == "/problems/complaint-not-found"
    if expected >= 400:
        assert await _timeline_length(api, complaint_id) == timeline_before, "a refused action leaves no trace"
    assert response.headers["content-type"].startswith(
        "application/json" if expected < 400 else "application/problem+json"
    )


async def _timeline_length(api, complaint_id) -> int:
    return await api.pool.fetchval("SELECT count(*) FROM timeline WHERE complaint_id = $1", complaint_id)


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
