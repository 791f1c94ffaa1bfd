"""What status needs from intake (services/status/INTAKE_CONTRACT.md), on real PostgreSQL with
real generated camera photos going through the capture-session + upload path: claiming live
after-photos for a complaint, and the audited reveal of a reporter's identity."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import structlog

from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from tests.integration.intake.conftest import photo_seed
from tests.unit.intake.images import camera_photo

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}
DEPOK = (-6.3925, 106.8226)
FAR_AWAY = (-6.2000, 106.8166)  # central Jakarta, ~21 km north
CLAIM = "/internal/v1/after-photos/claim"
REVEAL = "/internal/v1/identities/reveal"
ACCESS_LOG = "/internal/v1/identities/access-log"
REPORTER = {"name": "Ratna Kusumawati", "phone": "0813-9876-5432", "email": "ratna.k@example.id"}


async def _live_photo(intake, **exif) -> str:
    """A camera photo taken now, uploaded the way the officer's app does it."""
    session = await intake.client.post("/v1/capture-sessions")
    assert session.status_code == 201, session.text
    exif.setdefault("taken_at", datetime.now(UTC))
    response = await intake.client.post(
        "/v1/photos",
        data={"capture_token": session.json()["capture_token"]},
        files={"file": ("IMG_2041.jpg", camera_photo(photo_seed(), **exif), "image/jpeg")},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _complaint(intake, *, privacy: str = "publik", reporter: dict | None = None, photos=()) -> dict:
    body = {
        "description": "Saluran air tersumbat sampah di Jl. Margonda Raya, air meluap ke jalan",
        "category": "drainase",
        "location": {"lat": DEPOK[0], "lon": DEPOK[1], "address": "Jl. Margonda Raya"},
        "privacy": privacy,
        "photos": list(photos),
    }
    if reporter:
        body["reporter"] = reporter
    response = await intake.client.post("/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return response.json()


# -- after-photos -------------------------------------------------------------------------


async def test_live_after_photos_are_claimed_with_verdicts_and_a_repeat_answers_the_same(intake):
    complaint = await _complaint(intake)
    photo_ids = [await _live_photo(intake, gps=DEPOK), await _live_photo(intake)]
    first = await intake.client.post(CLAIM, json={"complaint_id": complaint["id"], "photo_ids": photo_ids}, headers=AUTH)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "photos": [{"photo_id": photo_id, "verdict": "verified_live", "reasons": []} for photo_id in photo_ids]
    }
    bound = await intake.pool.fetch(
        "SELECT id, complaint_id, after_photo_of, claimed_at FROM photos WHERE id = ANY($1::uuid[])",
        [uuid.UUID(p) for p in photo_ids],
    )
    assert {row["after_photo_of"] for row in bound} == {uuid.UUID(complaint["id"])}
    assert all(row["complaint_id"] is None and row["claimed_at"] is not None for row in bound)
    again = await intake.client.post(CLAIM, json={"complaint_id": complaint["id"], "photo_ids": photo_ids}, headers=AUTH)
    assert again.status_code == 200 and again.json() == first.json()
    # A later claim may add a photo to those already bound; the bound ones answer as before.
    extra = await _live_photo(intake)
    more = await intake.client.post(
        CLAIM, json={"complaint_id": complaint["id"], "photo_ids": [photo_ids[0], extra]}, headers=AUTH
    )
    assert more.status_code == 200
    assert [photo["photo_id"] for photo in more.json()["photos"]] == [photo_ids[0], extra]


async def test_after_photos_not_taken_live_or_far_from_the_complaint_say_why(intake):
    complaint = await _complaint(intake)
    old = await _live_photo(intake, taken_at=datetime.now(UTC) - timedelta(days=40))
    elsewhere = await _live_photo(intake, gps=FAR_AWAY)
    response = await intake.client.post(
        CLAIM, json={"complaint_id": complaint["id"], "photo_ids": [old, elsewhere]}, headers=AUTH
    )
    assert response.status_code == 200, response.text
    verdicts = {photo["photo_id"]: photo for photo in response.json()["photos"]}
    assert verdicts[old]["verdict"] == "suspicious" and verdicts[old]["reasons"] == ["old_photo"]
    assert verdicts[elsewhere]["verdict"] == "suspicious"
    assert verdicts[elsewhere]["reasons"] == ["gps_far_from_location"]


async def test_unknown_photos_and_complaints_are_404_naming_them(intake):
    complaint = await _complaint(intake)
    known = await _live_photo(intake)
    unknown = str(uuid.uuid4())
    response = await intake.client.post(
        CLAIM, json={"complaint_id": complaint["id"], "photo_ids": [known, unknown]}, headers=AUTH
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == [unknown]
    assert problem["errors"][0]["pointer"] == "/photo_ids/1"
    # Nothing was bound by the refused claim.
    assert await intake.pool.fetchval("SELECT after_photo_of FROM photos WHERE id = $1", uuid.UUID(known)) is None
    no_complaint = await intake.client.post(
        CLAIM, json={"complaint_id": str(uuid.uuid4()), "photo_ids": [known]}, headers=AUTH
    )
    assert no_complaint.status_code == 404
    assert [error["field"] for error in no_complaint.json()["errors"]] == ["complaint_id"]


async def test_photos_used_elsewhere_are_409_and_after_photos_cannot_become_evidence(intake):
    evidence = await _live_photo(intake, gps=DEPOK)
    complaint = await _complaint(intake, photos=[evidence])
    other = await _complaint(intake)
    as_after = await intake.client.post(
        CLAIM, json={"complaint_id": complaint["id"], "photo_ids": [evidence]}, headers=AUTH
    )
    assert as_after.status_code == 409
    assert [error["field"] for error in as_after.json()["errors"]] == [evidence]
    after = await _live_photo(intake)
    assert (
        await intake.client.post(CLAIM, json={"complaint_id": complaint["id"], "photo_ids": [after]}, headers=AUTH)
    ).status_code == 200
    stolen = await intake.client.post(CLAIM, json={"complaint_id": other["id"], "photo_ids": [after]}, headers=AUTH)
    assert stolen.status_code == 409 and stolen.json()["type"].endswith("/photo-already-used")
    reused = await intake.client.post(
        "/v1/complaints",
        json={
            "description": "Foto hasil perbaikan dipakai ulang sebagai bukti laporan baru",
            "location": {"address": "Jl. Juanda, Depok"},
            "photos": [after],
        },
    )
    assert reused.status_code == 422
    assert await intake.pool.fetchval("SELECT after_photo_of FROM photos WHERE id = $1", uuid.UUID(after)) == uuid.UUID(
        complaint["id"]
    )


@pytest.mark.parametrize(
    "body",
    [
        {"complaint_id": "c0ffee", "photo_ids": ["6d1e0d9c-5f55-4a8e-9c59-6f4c2b3d4e5f"]},
        {"complaint_id": "6d1e0d9c-5f55-4a8e-9c59-6f4c2b3d4e5f", "photo_ids": []},
        {"complaint_id": "6d1e0d9c-5f55-4a8e-9c59-6f4c2b3d4e5f", "photo_ids": [str(uuid.uuid4()) for _ in range(6)]},
        {"complaint_id": "6d1e0d9c-5f55-4a8e-9c59-6f4c2b3d4e5f", "photo_ids": ["6d1e0d9c-5f55-4a8e-9c59-6f4c2b3d4e5f"] * 2},
    ],
    ids=["bad-uuid", "no-photos", "six-photos", "duplicate"],
)
async def test_malformed_claims_are_422_problems(intake, body):
    response = await intake.client.post(CLAIM, json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"]


async def test_status_calls_need_the_internal_token(intake):
    complaint = await _complaint(intake, privacy="rahasia", reporter=REPORTER)
    calls = [
        ("POST", CLAIM, {"complaint_id": complaint["id"], "photo_ids": [str(uuid.uuid4())]}),
        ("POST", REVEAL, {"complaint_id": complaint["id"], "actor": "a", "actor_role": "city_admin", "reason": "periksa"}),
        ("GET", ACCESS_LOG + "?complaint_id=" + complaint["id"], None),
    ]
    for method, path, body in calls:
        for headers in ({}, {"Authorization": "Bearer not-the-token"}):
            response = await intake.client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, path
            assert REPORTER["name"] not in response.text
    assert await intake.pool.fetchval("SELECT count(*) FROM identity_access_log") == 0


# -- identities ---------------------------------------------------------------------------


async def _reveal(intake, complaint: dict, actor: str, actor_role: str, reason: str):
    """Status asking intake for a confidential reporter's identity on a staff member's behalf."""
    body = {"complaint_id": complaint["id"], "actor": actor, "actor_role": actor_role, "reason": reason}
    return await intake.client.post(REVEAL, json=body, headers=AUTH)


async def test_city_admin_sees_a_confidential_identity_and_the_look_is_logged(intake):
    complaint = await _complaint(intake, privacy="rahasia", reporter=REPORTER)
    with structlog.testing.capture_logs() as logs:
        reason = "Verifikasi laporan berulang dari pelapor yang sama"
        response = await _reveal(intake, complaint, "admin.kota", "city_admin", reason)
    assert response.status_code == 200, response.text
    revealed = response.json()
    assert revealed == {"complaint_id": complaint["id"], "privacy": "rahasia", **REPORTER, "audit_id": revealed["audit_id"]}
    row = await intake.pool.fetchrow("SELECT * FROM identity_access_log WHERE id = $1", uuid.UUID(revealed["audit_id"]))
    assert (row["complaint_id"], row["actor"], row["actor_role"], row["outcome"]) == (
        uuid.UUID(complaint["id"]),
        "admin.kota",
        "city_admin",
        "revealed",
    )
    assert row["reason"] == "Verifikasi laporan berulang dari pelapor yang sama"
    assert any(entry["event"] == "identity_revealed" for entry in logs)
    assert not any(value in str(logs) for value in REPORTER.values())


async def test_other_roles_are_refused_and_the_refusal_is_logged(intake):
    complaint = await _complaint(intake, privacy="rahasia", reporter=REPORTER)
    reason = "Ingin menghubungi pelapor langsung"
    response = await _reveal(intake, complaint, "petugas.dpupr", "department_staff", reason)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert not any(value in response.text for value in REPORTER.values())
    rows = await intake.pool.fetch("SELECT * FROM identity_access_log WHERE complaint_id = $1", uuid.UUID(complaint["id"]))
    assert [(row["actor"], row["outcome"]) for row in rows] == [("petugas.dpupr", "refused")]
    assert str(rows[0]["id"]) == response.json()["audit_id"]


async def test_anonymous_reports_reveal_nothing_but_the_request_is_logged(intake):
    complaint = await _complaint(intake, privacy="anonim")
    response = await _reveal(intake, complaint, "admin.kota", "city_admin", "Audit rutin")
    assert response.status_code == 200
    body = response.json()
    assert (body["privacy"], body["name"], body["phone"], body["email"]) == ("anonim", None, None, None)
    assert await intake.pool.fetchval(
        "SELECT outcome FROM identity_access_log WHERE id = $1", uuid.UUID(body["audit_id"])
    ) == "revealed"


async def test_unknown_complaint_is_404_and_a_short_reason_is_422_both_unlogged(intake):
    unknown = await _reveal(intake, {"id": str(uuid.uuid4())}, "admin.kota", "city_admin", "Audit rutin")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    complaint = await _complaint(intake, privacy="rahasia", reporter=REPORTER)
    invisible = ({"reason": "\u200b" * 5}, {"reason": "\u200b\u200c\u200d\u2060\ufeff\u3164 ok"})
    for reason in ({}, {"reason": "cek"}, {"reason": "    cek    "}, {"reason": "x" * 501}, *invisible):
        response = await intake.client.post(
            REVEAL,
            json={"complaint_id": complaint["id"], "actor": "admin.kota", "actor_role": "city_admin", **reason},
            headers=AUTH,
        )
        assert response.status_code == 422, reason
        assert [error["field"] for error in response.json()["errors"]] == ["reason"]
        assert REPORTER["name"] not in response.text
    assert await intake.pool.fetchval("SELECT count(*) FROM identity_access_log") == 0


async def test_access_log_lists_every_look_newest_first_and_cannot_be_rewritten(intake):
    complaint = await _complaint(intake, privacy="rahasia", reporter=REPORTER)
    other = await _complaint(intake, privacy="rahasia", reporter=REPORTER)
    looks = [
        ("admin.kota", "city_admin", "Pemeriksaan laporan ganda"),
        ("petugas.dlh", "department_staff", "Ingin menelepon pelapor"),
        ("admin.kota", "city_admin", "Permintaan aparat penegak hukum"),
    ]
    for actor, role, reason in looks:
        await _reveal(intake, complaint, actor, role, reason)
    await _reveal(intake, other, "admin.kota", "city_admin", "Lain lagi")
    response = await intake.client.get(ACCESS_LOG, params={"complaint_id": complaint["id"]}, headers=AUTH)
    assert response.status_code == 200
    entries = response.json()["entries"]
    assert [(e["actor"], e["actor_role"], e["reason"]) for e in entries] == looks[::-1]
    assert [e["outcome"] for e in entries] == ["revealed", "refused", "revealed"]
    assert all(e["complaint_id"] == complaint["id"] and e["audit_id"] and e["at"] for e in entries)
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    assert not any(value in response.text for value in REPORTER.values())
    bad = await intake.client.get(ACCESS_LOG, params={"complaint_id": "nope"}, headers=AUTH)
    assert bad.status_code == 422
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await intake.pool.execute("DELETE FROM identity_access_log WHERE complaint_id = $1", uuid.UUID(complaint["id"]))
