"""Photos as the public sees them (GET /v1/photos/{id}/public), on real PostgreSQL with real
generated photos: a metadata-free JPEG for the evidence of publicly listed reports and for
after-photos of finished ones, made once and kept; 404 for everything else, alike."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from sigap_intake.events import handlers
from sigap_intake.photos import checks as photo_checks
from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from tests.support import events
from tests.integration.intake.conftest import photo_seed, upload_photo
from tests.unit.intake.images import c2pa_signed, camera_photo, camera_photo_with_everything, jpeg_metadata_markers

pytestmark = pytest.mark.integration

DEPOK = (-6.3925, 106.8226)
AUTH = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}


async def _upload(intake, data: bytes) -> str:
    response = await upload_photo(intake, data, "IMG_3001.jpg", "image/jpeg")
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _submit(intake, photos: list[str], *, privacy: str = "publik", publicly_visible: bool = True) -> dict:
    body = {
        "description": "Lampu penerangan jalan mati sepanjang Jl. Nusantara Raya sejak seminggu",
        "category": "lampu_jalan",
        "location": {"lat": DEPOK[0], "lon": DEPOK[1]},
        "privacy": privacy,
        "publicly_visible": publicly_visible,
        "photos": photos,
    }
    if privacy == "rahasia":
        body["reporter"] = {"name": "Dewi Lestari", "phone": "0812-1111-2222"}
    response = await intake.client.post("/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _status(intake, receipt: dict, status: str, *, after_photo_ids=(), minutes_ago: int = 0) -> None:
    changed = events.status_changed(
        complaint_id=uuid.UUID(receipt["id"]),
        tracking_code=receipt["tracking_code"],
        status=status,
        actor="officer:7",
        resolution_note="Lampu sudah diganti" if status == "selesai" else None,
        after_photo_ids=tuple(uuid.UUID(photo_id) for photo_id in after_photo_ids),
        changed_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
    )
    async with intake.pool.acquire() as conn, conn.transaction():
        await handlers.on_status_changes(conn=conn, envelopes=[changed])


async def test_public_evidence_is_served_without_any_metadata_while_the_original_keeps_it(intake):
    original = camera_photo_with_everything(photo_seed(), taken_at=datetime.now(UTC), gps=DEPOK)
    photo_id = await _upload(intake, original)
    await _submit(intake, [photo_id])
    response = await intake.client.get(f"/v1/photos/{photo_id}/public")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    served = response.content
    assert jpeg_metadata_markers(served) == ["APP0:JFIF"]  # no EXIF, XMP, ICC profile or comment
    image = Image.open(io.BytesIO(served))
    assert not image.getexif() and "xmp" not in image.info and "comment" not in image.info
    assert (image.width, image.height) == (1200, 900)
    for secret in (b"samsung", b"SM-A546E", b"Budi", b"xmpmeta"):
        assert secret not in served
    # The private original is untouched: its EXIF still has the device and the GPS position.
    key = await intake.pool.fetchval("SELECT original_key FROM photos WHERE id = $1", uuid.UUID(photo_id))
    kept = intake.context.photo_store.get(key)
    assert kept == original
    facts = photo_checks.analyse(kept, max_bytes=10**8, max_pixels=10**8, default_offset=photo_checks.parse_offset("+07:00"))
    assert facts.camera_model == "SM-A546E" and facts.gps == pytest.approx(DEPOK, abs=1e-5)
    assert set(jpeg_metadata_markers(kept)) >= {"APP1:Exif", "APP1:http", "COM:Gala"}


async def test_the_stripped_copy_is_made_once_and_kept_content_addressed(intake, monkeypatch):
    made = []
    strip = photo_checks.public_copy
    monkeypatch.setattr(photo_checks, "public_copy", lambda data: made.append(1) or strip(data))
    photo_id = await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC), gps=DEPOK))
    await _submit(intake, [photo_id])
    first = await intake.client.get(f"/v1/photos/{photo_id}/public")
    second = await intake.client.get(f"/v1/photos/{photo_id}/public")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and len(made) == 1
    key = await intake.pool.fetchval("SELECT public_key FROM photos WHERE id = $1", uuid.UUID(photo_id))
    digest = hashlib.sha256(first.content).hexdigest()
    assert key.endswith(digest + ".jpg") and intake.context.photo_store.get(key) == first.content
    assert first.headers["etag"] == f'"{digest}"'
    unchanged = await intake.client.get(f"/v1/photos/{photo_id}/public", headers={"If-None-Match": f'"{digest}"'})
    assert unchanged.status_code == 304 and not unchanged.content


async def test_content_credentials_do_not_reach_the_public_copy(intake):
    signed = c2pa_signed(camera_photo(photo_seed(), taken_at=datetime.now(UTC)))
    assert "APP11:JP\x02\x11" in jpeg_metadata_markers(signed)
    photo_id = await _upload(intake, signed)
    await _submit(intake, [photo_id])
    served = (await intake.client.get(f"/v1/photos/{photo_id}/public")).content
    assert jpeg_metadata_markers(served) == ["APP0:JFIF"]
    assert b"c2pa" not in served and b"jumb" not in served


async def test_photos_not_for_the_public_are_404_exactly_like_unknown_ones(intake):
    confidential = await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC)))
    await _submit(intake, [confidential], privacy="rahasia")
    anonymous = await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC)))
    await _submit(intake, [anonymous], privacy="anonim")
    unlisted = await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC)))
    await _submit(intake, [unlisted], publicly_visible=False)
    loose = await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC)))
    answers = [
        await intake.client.get(f"/v1/photos/{photo_id}/public")
        for photo_id in (confidential, anonymous, unlisted, loose, str(uuid.uuid4()), "not-a-uuid")
    ]
    assert [answer.status_code for answer in answers] == [404] * 6
    assert all(answer.headers["content-type"].startswith("application/problem+json") for answer in answers)
    assert len({answer.json()["detail"] for answer in answers}) == 1
    assert await intake.pool.fetchval("SELECT count(*) FROM photos WHERE public_key IS NOT NULL") == 0


async def test_after_photos_become_public_when_the_complaint_is_finished_and_stop_if_reopened(intake):
    receipt = await _submit(intake, [], privacy="rahasia")
    accepted = await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC), gps=DEPOK))
    spare = await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC), gps=DEPOK))
    claim = await intake.client.post(
        "/internal/v1/after-photos/claim",
        json={"complaint_id": receipt["id"], "photo_ids": [accepted, spare]},
        headers=AUTH,
    )
    assert claim.status_code == 200, claim.text
    await _status(intake, receipt, "dalam_proses", minutes_ago=10)
    assert (await intake.client.get(f"/v1/photos/{accepted}/public")).status_code == 404
    await _status(intake, receipt, "selesai", after_photo_ids=[accepted], minutes_ago=5)
    served = await intake.client.get(f"/v1/photos/{accepted}/public")
    assert served.status_code == 200 and jpeg_metadata_markers(served.content) == ["APP0:JFIF"]
    # Claimed, but not among the after-photos status announced with `selesai`.
    assert (await intake.client.get(f"/v1/photos/{spare}/public")).status_code == 404
    await _status(intake, receipt, "dibuka_kembali")
    assert (await intake.client.get(f"/v1/photos/{accepted}/public")).status_code == 404
