"""What the public sees of a complaint with a full staff history: the lifecycle and the
department's replies, never staff names, internal notes, assignments, identity looks, merges,
photo verdicts or staff-only remarks; the public list leaves out confidential and anonymous
reporters' complaints."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sigap_status.lifecycle import events as lifecycle_events
from sigap_status.complaints import queries as complaint_queries

pytestmark = pytest.mark.integration

PUBLIC_TYPES = {
    "sigap.complaint.submitted.v1",
    "sigap.complaint.routed.v1",
    "sigap.complaint.status_changed.v1",
    "sigap.status.reporter_message",
}


async def test_public_timeline_shows_the_lifecycle_and_replies_only(status_api):
    api = status_api
    admin, headers = await api.staff("dept_admin", "DISHUB")
    officer, officer_headers = await api.staff("field_officer", "DISHUB")
    start = datetime.now(UTC) - timedelta(hours=2)
    complaint_id = await api.seed_complaint(submitted_at=start)
    duplicate = await api.seed_complaint(submitted_at=start + timedelta(hours=1))

    async def transition(target_headers, **body):
        response = await api.client.post(
            f"/v1/complaints/{complaint_id}/transitions",
            json={"expected_version": await api.version(complaint_id), **body},
            headers=target_headers,
        )
        assert response.status_code == 200, response.text

    await transition(headers, to="terverifikasi", note="Catatan staf: cek dulu ke RT")
    assigned = await api.assign(complaint_id, headers, officer)
    assert assigned.status_code == 200
    await transition(officer_headers, to="dalam_proses")
    progress_photo = str(uuid.uuid4())
    for body in (
        {"body": "Internal: kabel dicuri, lapor polisi", "photo_ids": [progress_photo]},
        {"body": "Perbaikan dijadwalkan besok", "visibility": "reporter"},
    ):
        note = await api.client.post(f"/v1/complaints/{complaint_id}/notes", json=body, headers=officer_headers)
        assert note.status_code == 201
    merged = await api.client.post(
        f"/v1/complaints/{duplicate}/transitions",
        json={"to": "ditolak", "reason": "duplicate", "duplicate_of": str(complaint_id),
              "expected_version": await api.version(duplicate)},
        headers=headers,
    )
    assert merged.status_code == 200
    after_photo = str(uuid.uuid4())
    await transition(officer_headers, to="selesai", resolution_note="Kabel diganti", after_photo_ids=[after_photo])
    async with api.pool.acquire() as conn:  # as the identity endpoint writes it
        entry = complaint_queries.TimelineEntry(
            complaint_id=complaint_id, event_id=uuid.uuid4(), event_type=lifecycle_events.IDENTITY_VIEWED,
            occurred_at=datetime.now(UTC), actor="admin.kota",
            detail={"actor_role": "city_admin", "reason": "Alasan rahasia audit", "audit_id": str(uuid.uuid4())},
        )
        await complaint_queries.add_timeline_entries(conn=conn, entries=[entry])

    staff_view = (await api.client.get(f"/v1/staff/complaints/{complaint_id}", headers=headers)).json()
    staff_types = {entry["type"] for entry in staff_view["timeline"]}
    assert {"sigap.status.internal_note", "sigap.status.assignment_changed", "sigap.status.duplicate_merged",
            lifecycle_events.IDENTITY_VIEWED} <= staff_types

    response = await api.client.get(f"/v1/complaints/{complaint_id}")
    assert response.status_code == 200
    public = response.json()
    assert {entry["type"] for entry in public["timeline"]} == PUBLIC_TYPES
    assert [e["detail"]["to"] for e in public["timeline"] if e["type"] == "sigap.complaint.status_changed.v1"] == [
        "diterima", "terverifikasi", "dalam_proses", "selesai"
    ]
    assert {entry["actor"] for entry in public["timeline"]} <= {"sistem", "pelapor", "petugas"}
    replies = [e["detail"] for e in public["timeline"] if e["type"] == "sigap.status.reporter_message"]
    assert replies == [{"body": "Perbaikan dijadwalkan besok"}]
    text = response.text
    for hidden in (admin, officer, "admin.kota", "Catatan staf", "kabel dicuri", progress_photo, "Alasan rahasia",
                   str(duplicate), "after_photo_verdicts", "Pelapor-UJI"):
        assert hidden not in text, hidden


async def test_public_list_leaves_out_confidential_and_anonymous_reporters(status_api):
    api = status_api
    category = "cat_" + uuid.uuid4().hex[:6]
    visible = await api.seed_complaint(category=category)
    for privacy in ("rahasia", "anonim"):
        hidden = await api.seed_complaint(category=category)
        await api.pool.execute("UPDATE complaints SET privacy = $2 WHERE id = $1", hidden, privacy)
    page = (await api.client.get("/v1/public/complaints", params={"category": category})).json()
    assert [item["id"] for item in page["items"]] == [str(visible)]


async def test_a_public_reporter_who_chose_not_to_be_listed_is_neither_listed_nor_shown(status_api):
    api = status_api
    category = "cat_" + uuid.uuid4().hex[:6]
    listed = await api.seed_complaint(category=category)
    unlisted = await api.seed_complaint(category=category, publicly_visible=False)
    page = (await api.client.get("/v1/public/complaints", params={"category": category})).json()
    assert [item["id"] for item in page["items"]] == [str(listed)]
    assert (await api.client.get(f"/v1/complaints/{listed}")).status_code == 200
    hidden = await api.client.get(f"/v1/complaints/{unlisted}")
    assert hidden.status_code == 404 and hidden.json()["type"] == "/problems/complaint-not-found"
    # Staff still see and handle it.
    _, headers = await api.staff("dept_admin", "DISHUB")
    assert (await api.client.get(f"/v1/staff/complaints/{unlisted}", headers=headers)).status_code == 200


async def test_strangers_get_no_tracking_code_and_no_confidential_complaint(status_api):
    api = status_api
    category = "cat_" + uuid.uuid4().hex[:6]
    public = await api.seed_complaint(category=category)
    codes = {
        row["id"]: row["tracking_code"]
        for row in await api.pool.fetch("SELECT id, tracking_code FROM complaints WHERE id = $1", public)
    }
    view = await api.client.get(f"/v1/complaints/{public}")
    assert view.status_code == 200 and "tracking_code" not in view.json()
    assert codes[public] not in view.text
    for privacy in ("rahasia", "anonim"):
        hidden = await api.seed_complaint(category=category, privacy=privacy)
        response = await api.client.get(f"/v1/complaints/{hidden}")
        assert response.status_code == 404 and response.json()["type"] == "/problems/complaint-not-found"
    listing = await api.client.get("/v1/public/complaints", params={"category": category})
    assert [item["id"] for item in listing.json()["items"]] == [str(public)]
    assert codes[public] not in listing.text
