"""HEIC photos through the real upload path (capture session, POST /v1/photos, complaint,
public copy) on real PostgreSQL, generated with pillow-heif: same verdicts, same reuse index,
a JPEG for the public."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from tests.integration.intake.conftest import photo_seed, upload_photo
from tests.unit.intake.images import camera_heic, camera_photo, heic, jpeg_metadata_markers

pytestmark = pytest.mark.integration

DEPOK = (-6.3925, 106.8226)


async def _upload(intake, data: bytes, filename: str = "IMG_4821.HEIC"):
    return await upload_photo(intake, data, filename)


async def test_a_fresh_heic_is_verified_live_stored_as_is_and_served_publicly_as_a_bare_jpeg(intake):
    data = camera_heic(photo_seed(), taken_at=datetime.now(UTC), gps=DEPOK)
    response = await _upload(intake, data, filename="photo.jpg")  # the name is not trusted
    assert response.status_code == 201, response.text
    photo = response.json()
    assert (photo["media_type"], photo["verdict"], photo["reasons"]) == ("image/heic", "verified_live", [])
    assert (photo["width"], photo["height"]) == (1200, 900)
    row = await intake.pool.fetchrow("SELECT * FROM photos WHERE id = $1", uuid.UUID(photo["id"]))
    assert row["original_key"].endswith(".heic") and row["camera_model"] == "SM-A546E"
    assert intake.context.photo_store.get(row["original_key"]) == data
    submitted = await intake.client.post(
        "/v1/complaints",
        json={
            "description": "Pohon tumbang menutup Jl. Kartini, kendaraan tidak bisa lewat",
            "location": {"lat": DEPOK[0], "lon": DEPOK[1]},
            "photos": [photo["id"]],
        },
    )
    assert submitted.status_code == 201 and submitted.json()["photo_verdict"] == "verified_live"
    public = await intake.client.get(f"/v1/photos/{photo['id']}/public")
    assert public.status_code == 200 and public.headers["content-type"] == "image/jpeg"
    assert jpeg_metadata_markers(public.content) == ["APP0:JFIF"]
    assert Image.open(io.BytesIO(public.content)).size == (1200, 900)


async def test_an_old_heic_is_suspicious(intake):
    response = await _upload(intake, camera_heic(photo_seed(), taken_at=datetime.now(UTC) - timedelta(days=3)))
    assert response.status_code == 201
    assert [reason["code"] for reason in response.json()["reasons"]] == ["old_photo"]


async def test_a_heic_reencoding_of_an_earlier_jpeg_is_caught_as_reuse(intake):
    seed = photo_seed()
    earlier = await _upload(intake, camera_photo(seed, taken_at=datetime.now(UTC)), filename="IMG_1.jpg")
    assert earlier.status_code == 201
    copy = heic(Image.open(io.BytesIO(camera_photo(seed, taken_at=None))).resize((900, 675)), quality=60)
    response = await _upload(intake, copy)
    assert response.status_code == 201
    photo = response.json()
    reused = [reason for reason in photo["reasons"] if reason["code"] == "reused_photo"]
    assert reused and reused[0]["earlier_photo_id"] == earlier.json()["id"]
    assert photo["verdict"] == "rejected"


async def test_a_broken_heic_is_a_clear_problem(intake):
    data = camera_heic(photo_seed(), taken_at=datetime.now(UTC))
    response = await _upload(intake, data[: len(data) // 2])
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/corrupt-image")
