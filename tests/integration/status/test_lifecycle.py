"""The lifecycle over HTTP on real PostgreSQL: each change writes the complaint, a timeline
entry and an outbox event in one transaction; illegal or stale changes write nothing."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest

pytestmark = pytest.mark.integration


async def _transition(api, headers, complaint_id, **body):
    return await api.client.post(f"/v1/complaints/{complaint_id}/transitions", json=body, headers=headers)


async def _status_changes(api, complaint_id):
    """The outbox's status-change events for a complaint (assignments also go out)."""
    rows = await api.pool.fetch(
        "SELECT payload FROM outbox WHERE key = $1 ORDER BY id", str(complaint_id).encode()
    )
    return [payload for payload in (orjson.loads(row["payload"]) for row in rows) if "previous_status" in payload]


async def _outbox_statuses(api, complaint_id):
    return [payload["status"] for payload in await _status_changes(api, complaint_id)]


async def test_full_lifecycle_with_timeline_and_events(status_api):
    api = status_api
    admin, admin_headers = await api.staff("dept_admin", "DISHUB")
    officer, officer_headers = await api.staff("field_officer", "DISHUB")
    complaint_id = await api.seed_complaint()

    verified = await _transition(api, admin_headers, complaint_id, to="terverifikasi", expected_version=await api.version(complaint_id))
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["status"] == "terverifikasi" and body["sla_stage"] == "finish" and body["verified_at"]

    assigned = await api.client.put(
        f"/v1/complaints/{complaint_id}/assignment", json={"officer": officer, "expected_version": body["version"]}, headers=admin_headers
    )
    assert assigned.status_code == 200, assigned.text
    version = assigned.json()["version"]

    started = await _transition(api, officer_headers, complaint_id, to="dalam_proses", expected_version=version)
    assert started.status_code == 200, started.text
    # Starting work keeps the follow-up deadline verification started.
    assert started.json()["sla_due_at"] == body["sla_due_at"]
    photo = str(uuid.uuid4())
    finished = await _transition(
        api, officer_headers, complaint_id, to="selesai", expected_version=started.json()["version"],
        resolution_note="Lampu sudah diganti", after_photo_ids=[photo],
    )
    assert finished.status_code == 200, finished.text
    done = finished.json()
    assert done["after_photo_ids"] == [photo] and done["resolution_note"] == "Lampu sudah diganti"
    assert done["sla_stage"] is None and done["sla_due_at"] is None

    city, city_headers = await api.staff("city_admin")
    invisible = await _transition(
        api, city_headers, complaint_id, to="dibuka_kembali", expected_version=done["version"], reason="\u200b" * 5
    )
    assert invisible.status_code == 422 and invisible.json()["errors"][0]["field"] == "reason"
    reopened = await _transition(api, city_headers, complaint_id, to="dibuka_kembali", expected_version=done["version"], reason="Mati lagi")
    assert reopened.status_code == 200
    assert reopened.json()["sla_stage"] == "finish" and reopened.json()["resolved_at"] is None
    again = await _transition(api, officer_headers, complaint_id, to="dalam_proses", expected_version=reopened.json()["version"])
    assert again.status_code == 200

    assert await _outbox_statuses(api, complaint_id) == [
        "diterima", "terverifikasi", "dalam_proses", "selesai", "dibuka_kembali", "dalam_proses"
    ]
    # Every change can be announced to the reporter (by pseudonym and chosen channels).
    payloads = await _status_changes(api, complaint_id)
    assert all(p["reporter"] == {"pseudonym": "Pelapor-UJI", "channels": ["sms"]} for p in payloads[1:])
    staff_view = (await api.client.get(f"/v1/staff/complaints/{complaint_id}", headers=admin_headers)).json()
    changes = [e for e in staff_view["timeline"] if e["type"] == "sigap.complaint.status_changed.v1"]
    assert [(e["actor"], e["detail"]["to"]) for e in changes[1:]] == [
        (admin, "terverifikasi"), (officer, "dalam_proses"), (officer, "selesai"), (city, "dibuka_kembali"), (officer, "dalam_proses"),
    ]
    assert changes[4]["detail"]["reason"] == "Mati lagi"
    assert any(e["type"] == "sigap.status.assignment_changed" and e["detail"]["to"] == officer for e in staff_view["timeline"])

    # The public view shows the lifecycle without staff names.
    public = (await api.client.get(f"/v1/complaints/{complaint_id}")).json()
    assert public["status"] == "dalam_proses"
    actors = {entry["actor"] for entry in public["timeline"]}
    assert actors <= {"pelapor", "sistem", "petugas"} and admin not in str(public) and officer not in str(public)


async def test_a_role_that_may_never_make_a_change_gets_403_not_409(status_api):
    api = status_api
    _, admin_headers = await api.staff("dept_admin", "DISHUB")
    officer, officer_headers = await api.staff("field_officer", "DISHUB")
    complaint_id = await api.seed_complaint()
    assigned = await api.assign(complaint_id, admin_headers, officer)
    assert assigned.status_code == 200
    before = await api.version(complaint_id)
    for body in ({"to": "terverifikasi"}, {"to": "ditolak", "reason": "spam"}):
        response = await _transition(api, officer_headers, complaint_id, expected_version=before, **body)
        assert response.status_code == 403, response.text
        problem = response.json()
        assert problem["type"] == "/problems/forbidden"
        assert problem["detail"].startswith("Petugas lapangan tidak berwenang") and "admin dinas" in problem["detail"]
    english = await api.client.post(
        f"/v1/complaints/{complaint_id}/transitions",
        json={"to": "terverifikasi", "expected_version": before},
        headers={**officer_headers, "Accept-Language": "en"},
    )
    assert english.json()["detail"].startswith("A field officer may never move a complaint to terverifikasi")
    assert await api.version(complaint_id) == before
    # A change the officer may make, only not now, stays a conflict: reload and retry.
    early = await _transition(api, officer_headers, complaint_id, to="dalam_proses", expected_version=before)
    assert early.status_code == 409 and early.json()["type"] == "/problems/illegal-transition"


async def test_illegal_transition_is_409_listing_what_is_allowed(status_api):
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    complaint_id = await api.seed_complaint()
    before = await api.version(complaint_id)
    response = await _transition(api, headers, complaint_id, to="selesai", expected_version=before,
                                 resolution_note="x", after_photo_ids=[str(uuid.uuid4())])
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "/problems/illegal-transition"
    assert problem["current_status"] == "diterima"
    assert problem["allowed"] == ["ditolak", "terverifikasi"]
    assert "diterima" in problem["detail"]
    english = await api.client.post(
        f"/v1/complaints/{complaint_id}/transitions",
        json={"to": "dalam_proses", "expected_version": before},
        headers={**headers, "Accept-Language": "en"},
    )
    assert english.json()["title"] == "Status change not allowed"
    assert await api.version(complaint_id) == before
    assert await _outbox_statuses(api, complaint_id) == ["diterima"]


async def test_stale_version_is_refused_and_nothing_changes(status_api):
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    complaint_id = await api.seed_complaint()
    current = await api.version(complaint_id)
    stale = await _transition(api, headers, complaint_id, to="terverifikasi", expected_version=current - 1)
    assert stale.status_code == 409
    assert stale.json()["type"] == "/problems/stale-version"
    assert stale.json()["current_version"] == current
    row = await api.pool.fetchrow("SELECT status, version FROM complaints WHERE id = $1", complaint_id)
    assert (row["status"], row["version"]) == ("diterima", current)


async def test_concurrent_changes_from_the_same_version_apply_once(status_api):
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    complaint_id = await api.seed_complaint()
    version = await api.version(complaint_id)
    responses = await asyncio.gather(
        _transition(api, headers, complaint_id, to="terverifikasi", expected_version=version),
        _transition(api, headers, complaint_id, to="ditolak", expected_version=version, reason="spam"),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert len(await _outbox_statuses(api, complaint_id)) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "ditolak"}, "reason"),
        ({"to": "ditolak", "reason": "tidak suka"}, "reason"),
        ({"to": "ditolak", "reason": "duplicate"}, "duplicate_of"),
        ({"to": "bukan_status"}, "to"),
        ({"to": "terverifikasi", "expected_version": -1}, "expected_version"),
        ({"to": "terverifikasi", "hacker": True}, "hacker"),
    ],
)
async def test_bad_transition_requests_are_422_problems(status_api, body, field):
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    complaint_id = await api.seed_complaint()
    body = {"expected_version": await api.version(complaint_id), **body}
    response = await _transition(api, headers, complaint_id, **body)
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}
    assert await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id) == "diterima"


async def test_finishing_without_an_after_photo_is_refused(status_api):
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    complaint_id = await api.seed_complaint()
    for to in ("terverifikasi", "dalam_proses"):
        assert (await _transition(api, headers, complaint_id, to=to, expected_version=await api.version(complaint_id))).status_code == 200
    response = await _transition(api, headers, complaint_id, to="selesai", expected_version=await api.version(complaint_id), resolution_note="Beres")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "after_photo_ids"
    duplicate = await _transition(api, headers, complaint_id, to="selesai", expected_version=await api.version(complaint_id),
                                  resolution_note="Beres", after_photo_ids=["bukan-uuid"])
    assert duplicate.status_code == 422


async def test_rejection_as_duplicate_records_the_original(status_api):
    api = status_api
    _, headers = await api.staff("city_admin")
    original = await api.seed_complaint()
    complaint_id = await api.seed_complaint()
    response = await _transition(api, headers, complaint_id, to="ditolak", reason="duplicate", duplicate_of=str(original),
                                 expected_version=await api.version(complaint_id))
    assert response.status_code == 200
    assert response.json()["rejection_reason"] == "duplicate" and response.json()["duplicate_of"] == str(original)
    assert response.json()["allowed_transitions"] == []


async def test_the_complaint_id_and_tracking_code_are_no_proof_of_being_the_reporter(status_api):
    # Both are known to strangers (the id from the public list); a reporter reopens through
    # intake with the follow-up token only their device holds (see test_reporter_follow_ups).
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    complaint_id = await api.seed_complaint()
    tracking_code = await api.pool.fetchval("SELECT tracking_code FROM complaints WHERE id = $1", complaint_id)
    for to, extra in (("terverifikasi", {}), ("dalam_proses", {}),
                      ("selesai", {"resolution_note": "Beres", "after_photo_ids": [str(uuid.uuid4())]})):
        response = await _transition(api, headers, complaint_id, to=to, expected_version=await api.version(complaint_id), **extra)
        assert response.status_code == 200
    version = await api.version(complaint_id)
    stranger = await api.client.post(
        f"/v1/complaints/{complaint_id}/reopen",
        json={"tracking_code": tracking_code, "reason": "Lampu mati lagi", "expected_version": version},
    )
    assert stranger.status_code in (404, 405)
    assert await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id) == "selesai"
    assert await api.version(complaint_id) == version
