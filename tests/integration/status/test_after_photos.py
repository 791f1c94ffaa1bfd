"""Finishing a complaint claims its after-photos at a real intake (over HTTP, with real camera
and gallery images): only a live photo finishes it; refusals and outages change nothing."""

from __future__ import annotations

import uuid

import orjson
import pytest

from tests.integration.status.intake_support import (
    import_complaint,
    live_photo,
    photo_without_exif,
    status_calling_intake,
)
from tests.support.infra import free_port

pytestmark = pytest.mark.integration


async def _in_progress(api, complaint_id, headers) -> int:
    for to in ("terverifikasi", "dalam_proses"):
        response = await api.client.post(
            f"/v1/complaints/{complaint_id}/transitions",
            json={"to": to, "expected_version": await api.version(complaint_id)},
            headers=headers,
        )
        assert response.status_code == 200, response.text
    return await api.version(complaint_id)


async def _finish(api, complaint_id, headers, photo_ids):
    return await api.client.post(
        f"/v1/complaints/{complaint_id}/transitions",
        json={
            "to": "selesai",
            "expected_version": await api.version(complaint_id),
            "resolution_note": "Lampu sudah diganti baru",
            "after_photo_ids": [str(photo_id) for photo_id in photo_ids],
        },
        headers=headers,
    )


async def _selesai_events(api, complaint_id) -> int:
    rows = await api.pool.fetch("SELECT payload FROM outbox WHERE key = $1", str(complaint_id).encode())
    return sum(orjson.loads(row["payload"]).get("status") == "selesai" for row in rows)


async def test_only_a_live_after_photo_finishes_the_complaint(status_api, live_intake):
    api, live = status_api, live_intake
    evidence = await live.upload(live_photo())
    complaint_id = await live.submit(photos=[evidence["id"]])
    await import_complaint(api, live, complaint_id)
    _, headers = await api.staff("dept_admin", "DISHUB")
    await _in_progress(api, complaint_id, headers)
    gallery = await live.upload(photo_without_exif())
    assert gallery["verdict"] == "suspicious"

    async with status_calling_intake(api, live.url):
        refused = await _finish(api, complaint_id, headers, [gallery["id"]])
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["type"].endswith("/after-photo-not-live")
        assert gallery["id"] in problem["detail"] and "no_exif" in problem["detail"]
        assert problem["errors"][0]["photo_id"] == gallery["id"]
        assert problem["errors"][0]["verdict"] == "suspicious" and "no_exif" in problem["errors"][0]["reasons"]
        assert (await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id)) == "dalam_proses"

        unknown = uuid.uuid4()
        not_uploaded = await _finish(api, complaint_id, headers, [unknown])
        assert not_uploaded.status_code == 422, not_uploaded.text
        assert not_uploaded.json()["type"].endswith("/after-photo-unknown") and str(unknown) in not_uploaded.json()["detail"]

        # The reporter's own evidence cannot serve as proof of the repair.
        reused = await _finish(api, complaint_id, headers, [evidence["id"]])
        assert reused.status_code == 409, reused.text
        assert reused.json()["type"].endswith("/after-photo-in-use") and evidence["id"] in reused.json()["detail"]
        assert await _selesai_events(api, complaint_id) == 0

        after = await live.upload(live_photo())
        assert after["verdict"] == "verified_live"
        finished = await _finish(api, complaint_id, headers, [after["id"], gallery["id"]])
        assert finished.status_code == 200, finished.text
        done = finished.json()
        assert done["status"] == "selesai" and done["after_photo_ids"] == [after["id"], gallery["id"]]

    assert await _selesai_events(api, complaint_id) == 1
    bound = await live.intake.pool.fetch(
        "SELECT id FROM photos WHERE after_photo_of = $1 ORDER BY id", complaint_id
    )
    assert {str(row["id"]) for row in bound} == {after["id"], gallery["id"]}
    timeline = (await api.client.get(f"/v1/staff/complaints/{complaint_id}", headers=headers)).json()["timeline"]
    finish_entry = next(
        e for e in timeline if e["type"] == "sigap.complaint.status_changed.v1" and e["detail"]["to"] == "selesai"
    )
    assert finish_entry["detail"]["after_photo_verdicts"] == {after["id"]: "verified_live", gallery["id"]: "suspicious"}


async def test_an_intake_outage_is_a_503_and_changes_nothing(status_api, live_intake):
    api, live = status_api, live_intake
    complaint_id = await live.submit()
    await import_complaint(api, live, complaint_id)
    _, headers = await api.staff("dept_admin", "DISHUB")
    version = await _in_progress(api, complaint_id, headers)
    after = await live.upload(live_photo())

    async with status_calling_intake(api, f"http://127.0.0.1:{free_port()}"):  # nobody listens there
        response = await _finish(api, complaint_id, headers, [after["id"]])
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/intake-unavailable") and response.headers["retry-after"]
    row = await api.pool.fetchrow("SELECT status, version, after_photo_ids FROM complaints WHERE id = $1", complaint_id)
    assert (row["status"], row["version"], list(row["after_photo_ids"])) == ("dalam_proses", version, [])
    assert await _selesai_events(api, complaint_id) == 0

    # A wrong internal token is intake's 401: status treats it as unavailable, not as a verdict.
    async with status_calling_intake(api, live.url, token="bukan-token-yang-benar"):
        wrong_token = await _finish(api, complaint_id, headers, [after["id"]])
    assert wrong_token.status_code == 503
    assert await live.intake.pool.fetchval("SELECT after_photo_of FROM photos WHERE id = $1", uuid.UUID(after["id"])) is None


async def test_an_illegal_finish_claims_nothing_at_intake(status_api, live_intake):
    api, live = status_api, live_intake
    complaint_id = await live.submit()
    await import_complaint(api, live, complaint_id)
    _, headers = await api.staff("dept_admin", "DISHUB")
    after = await live.upload(live_photo())
    async with status_calling_intake(api, live.url):
        response = await _finish(api, complaint_id, headers, [after["id"]])  # still `diterima`
    assert response.status_code == 409 and response.json()["type"].endswith("/illegal-transition")
    assert await live.intake.pool.fetchval("SELECT after_photo_of FROM photos WHERE id = $1", uuid.UUID(after["id"])) is None
