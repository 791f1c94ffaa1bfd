"""Intake's reporter follow-ups (added information, rating, reopen request) applied by
status's consumer handler against a real database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest

from sigap_shared.events import ComplaintInformationAdded, ComplaintRated, ComplaintReopenRequested, Envelope
from sigap_status.events import handlers
from sigap_status.sla.rules import SlaPolicy

pytestmark = pytest.mark.integration


async def _apply(api, data) -> None:
    async with api.pool.acquire() as conn, conn.transaction():
        await handlers.on_reporter_follow_up(conn=conn, envelope=Envelope(source="sigap/intake", data=data), policy=SlaPolicy())


async def _finish(api, complaint_id) -> None:
    _, admin = await api.staff("dept_admin", "DISHUB")
    officer, officer_headers = await api.staff("field_officer", "DISHUB")
    url = f"/v1/complaints/{complaint_id}/transitions"
    verified = await api.client.post(
        url, json={"to": "terverifikasi", "expected_version": await api.version(complaint_id)}, headers=admin
    )
    assigned = await api.client.put(
        f"/v1/complaints/{complaint_id}/assignment",
        json={"officer": officer, "expected_version": verified.json()["version"]},
        headers=admin,
    )
    started = await api.client.post(
        url, json={"to": "dalam_proses", "expected_version": assigned.json()["version"]}, headers=officer_headers
    )
    finished = await api.client.post(
        url,
        json={
            "to": "selesai",
            "expected_version": started.json()["version"],
            "resolution_note": "Lampu sudah diganti",
            "after_photo_ids": [str(uuid.uuid4())],
        },
        headers=officer_headers,
    )
    assert finished.status_code == 200, finished.text


async def _timeline(api, complaint_id) -> list[dict]:
    rows = await api.pool.fetch(
        "SELECT event_type, actor, detail FROM timeline WHERE complaint_id = $1 ORDER BY occurred_at, id", complaint_id
    )
    return [{"type": r["event_type"], "actor": r["actor"], "detail": orjson.loads(r["detail"])} for r in rows]


async def test_information_and_rating_join_the_timeline_and_a_reopen_reopens(status_api):
    api = status_api
    complaint_id = await api.seed_complaint()
    code = await api.pool.fetchval("SELECT tracking_code FROM complaints WHERE id = $1", complaint_id)
    now = datetime.now(UTC)
    await _apply(
        api,
        ComplaintInformationAdded(
            complaint_id=complaint_id, tracking_code=code, text="Tiangnya juga miring", added_at=now
        ),
    )
    reopen_too_early = ComplaintReopenRequested(
        complaint_id=complaint_id, tracking_code=code, reason="belum beres", requested_at=now
    )
    await _apply(api, reopen_too_early)
    assert await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id) == "diterima"

    await _finish(api, complaint_id)
    await _apply(
        api, ComplaintRated(complaint_id=complaint_id, tracking_code=code, rating=2, rated_at=datetime.now(UTC))
    )
    await _apply(
        api,
        ComplaintReopenRequested(
            complaint_id=complaint_id, tracking_code=code, reason="lampu mati lagi", requested_at=datetime.now(UTC)
        ),
    )
    assert await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id) == "dibuka_kembali"

    timeline = await _timeline(api, complaint_id)
    by_type = {}
    for entry in timeline:
        by_type.setdefault(entry["type"], []).append(entry)
    assert by_type["sigap.complaint.information_added.v1"][0]["detail"]["text"] == "Tiangnya juga miring"
    assert by_type["sigap.complaint.rated.v1"][0]["detail"]["rating"] == 2
    requests = by_type["sigap.complaint.reopen_requested.v1"]
    assert [r["detail"]["applied"] for r in requests] == [False, True]
    assert requests[0]["detail"]["refused"] == "IllegalTransition"
    assert all(entry["actor"] == "pelapor" for entry in requests)
    public = (await api.client.get(f"/v1/complaints/{complaint_id}")).json()
    public_info = [e for e in public["timeline"] if e["type"] == "sigap.complaint.information_added.v1"]
    assert public_info and "text" not in public_info[0]["detail"], "reporter text stays out of the public view"


async def test_follow_up_for_an_unknown_complaint_is_retried(status_api):
    with pytest.raises(handlers.ComplaintNotYetKnown):
        await _apply(
            status_api,
            ComplaintRated(complaint_id=uuid.uuid4(), tracking_code="SGP-ZZZZ-ZZ", rating=5, rated_at=datetime.now(UTC)),
        )
