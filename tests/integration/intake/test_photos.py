"""Capture sessions, photo uploads and their live-photo verdicts, reuse detection through the
band indexes, and photos attached to complaints, against real PostgreSQL and real image files."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from sigap_intake.photos import reuse
from sigap_intake.photos import checks as photo_checks
from tests.integration.intake.conftest import photo_seed, running_intake
from tests.unit.intake.images import camera_photo, cropped, jpeg, png, resized_recompressed, scene

pytestmark = pytest.mark.integration

DEPOK = (-6.3925, 106.8226)


async def _token(intake) -> str:
    response = await intake.client.post("/v1/capture-sessions")
    assert response.status_code == 201, response.text
    return response.json()["capture_token"]


async def _upload(intake, data: bytes, *, token: str | None = None, headers=None, filename="IMG_0001.jpg", **form):
    token = token or await _token(intake)
    return await intake.client.post(
        "/v1/photos",
        data={"capture_token": token, **form},
        files={"file": (filename, data, "application/octet-stream")},
        headers=headers or {},
    )


def _complaint(photos: list[str], **overrides) -> dict:
    body = {
        "kind": "pengaduan",
        "description": "Jalan berlubang besar di depan Pasar Kemiri Muka, membahayakan motor",
        "category": "jalan_rusak",
        "location": {"lat": DEPOK[0], "lon": DEPOK[1]},
        "privacy": "publik",
        "photos": photos,
    }
    body.update(overrides)
    return body


async def test_a_fresh_camera_photo_is_verified_live_and_stored_privately(intake, tmp_path):
    data = camera_photo(photo_seed(), taken_at=datetime.now(UTC), gps=DEPOK)
    response = await _upload(intake, data)
    assert response.status_code == 201, response.text
    photo = response.json()
    assert photo["verdict"] == "verified_live" and photo["reasons"] == []
    assert photo["media_type"] == "image/jpeg"
    row = await intake.pool.fetchrow("SELECT * FROM photos WHERE id = $1", uuid.UUID(photo["id"]))
    original = intake.context.photo_store.get(row["original_key"])
    assert original == data
    assert photo_checks.sniff(original) == "jpeg"
    assert row["original_key"].endswith(row["sha256"].hex() + ".jpg")  # content-addressed
    # The public copy is made only when the public first asks for it (test_public_photos.py).
    assert row["public_key"] is None
    assert row["gps_lat"] == pytest.approx(DEPOK[0], abs=1e-5)


@pytest.mark.parametrize(
    ("make_photo", "expected"),
    [
        (lambda s: camera_photo(s, taken_at=datetime.now(UTC) - timedelta(days=30)), ["old_photo"]),
        (lambda s: jpeg(scene(s)), ["no_exif"]),
        (lambda s: camera_photo(s, taken_at=datetime.now(UTC), software="Adobe Photoshop 25.0"), ["editing_software"]),
        (lambda s: png(scene(s)), ["screenshot", "no_exif"]),
    ],
    ids=["old-exif", "no-exif", "edited", "screenshot-png"],
)
async def test_gallery_like_photos_are_suspicious_with_reasons(intake, make_photo, expected):
    response = await _upload(intake, make_photo(photo_seed()), filename="camera.jpg")
    assert response.status_code == 201, response.text
    photo = response.json()
    assert photo["verdict"] == "suspicious"
    assert [reason["code"] for reason in photo["reasons"]] == expected
    assert all(reason["message"] for reason in photo["reasons"])


async def test_wrong_type_and_too_large_files_are_clear_problems(intake, infra, databases, tmp_path):
    response = await _upload(intake, b"%PDF-1.7 not a photo", filename="photo.jpg")
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "JPEG" in response.json()["detail"]
    async with running_intake(infra, databases, tmp_path / "small", photo_max_bytes=20_000) as small:
        token = await _token(small)
        big = await _upload(small, camera_photo(photo_seed(), taken_at=datetime.now(UTC)), token=token)
        assert big.status_code == 413
        # The refused upload did not burn the token.
        ok = await _upload(small, resized_recompressed(camera_photo(photo_seed(), taken_at=None), scale=0.2), token=token)
        assert ok.status_code == 201, ok.text


async def test_capture_tokens_are_single_use_and_must_be_genuine(intake):
    token = await _token(intake)
    first = await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC)), token=token)
    assert first.status_code == 201
    second = await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC)), token=token)
    assert second.status_code == 409 and second.json()["type"].endswith("/capture-token-used")
    forged = await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC)), token=token[:-4] + "abcd")
    assert forged.status_code == 401
    assert await intake.pool.fetchval("SELECT count(*) FROM photos") == 1


async def test_expired_capture_token_is_refused(intake):
    from sigap_intake.capture import tokens as capture

    now = datetime.now(UTC)
    session = capture.CaptureSession(
        id=uuid.uuid4(), started_at=now - timedelta(minutes=10), expires_at=now - timedelta(minutes=5)
    )
    async with intake.pool.acquire() as conn:
        from sigap_intake.capture import repository

        await repository.insert_capture_session(conn=conn, session=session)
    token = intake.context.capture_tokens.issue(session)
    response = await _upload(intake, camera_photo(photo_seed(), taken_at=now), token=token)
    assert response.status_code == 401 and response.json()["type"].endswith("/capture-token-expired")


async def test_photo_upload_retry_with_the_same_key_returns_the_same_photo(intake):
    data = camera_photo(photo_seed(), taken_at=datetime.now(UTC))
    token = await _token(intake)
    key = str(uuid.uuid4())
    first = await _upload(intake, data, token=token, headers={"Idempotency-Key": key})
    again = await _upload(intake, data, token=token, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    other = await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC)), token=token,
                          headers={"Idempotency-Key": key})
    assert other.status_code == 422
    assert await intake.pool.fetchval("SELECT count(*) FROM photos") == 1


async def test_reused_photo_is_found_even_resized_recompressed_or_cropped_and_linked(intake):
    # A fixed scene (the database is fresh): with a 64-bit DCT hash, a 3% crop per side stays
    # within 10 bits for most scenes but not all, so the test does not draw one at random.
    original = camera_photo(8, taken_at=datetime.now(UTC))
    first = (await _upload(intake, original)).json()
    submitted = await intake.client.post("/v1/complaints", json=_complaint([first["id"]]))
    assert submitted.status_code == 201, submitted.text
    earlier_complaint = submitted.json()["id"]
    for copy in (original, resized_recompressed(original), cropped(original, fraction=0.03)):
        response = await _upload(intake, copy, category="lampu_jalan")
        assert response.status_code == 201
        photo = response.json()
        reused = [reason for reason in photo["reasons"] if reason["code"] == "reused_photo"]
        assert reused, photo
        assert reused[0]["earlier_photo_id"] == first["id"]
        assert reused[0]["earlier_complaint_id"] == earlier_complaint
        assert photo["verdict"] == "rejected"  # default policy rejects reuse
    unrelated = await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC)))
    assert "reused_photo" not in [reason["code"] for reason in unrelated.json()["reasons"]]


async def test_lookup_uses_the_band_indexes_not_a_scan(intake):
    from sigap_intake.photos import repository

    async with intake.pool.acquire() as conn:
        # Enough rows that a scan would be the planner's choice if the indexes could not serve.
        await conn.execute(
            "INSERT INTO photo_hashes SELECT gen_random_uuid(), h, (h >> 48) & 65535, (h >> 32) & 65535,"
            " (h >> 16) & 65535, h & 65535 FROM (SELECT (random() * 9e18)::bigint AS h"
            " FROM generate_series(1, 200000)) s"
        )
        await conn.execute("ANALYZE photo_hashes")
        phash = 0x1234_5678_9ABC_DEF0
        probes = [reuse.band_neighbours(b, 2) for b in reuse.bands(phash)]
        rows = await conn.fetch(
            "EXPLAIN " + repository._SIMILAR,  # noqa: SLF001 - the real query
            *probes, phash, 10, 10,
        )
        similar = await repository.find_similar_photos(conn=conn, phash=phash ^ 0b1011, max_distance=10)
    plan = "\n".join(row[0] for row in rows)
    for band in range(4):
        assert f"photo_hashes_band{band}_idx" in plan, plan
    assert "Seq Scan on photo_hashes" not in plan, plan
    assert all(match.distance <= 10 for match in similar)


async def test_complaint_with_photos_records_the_verdicts_and_a_photo_joins_one_complaint_only(intake):
    fresh = (await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC), gps=DEPOK))).json()
    old = (await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC) - timedelta(days=90)))).json()
    response = await intake.client.post("/v1/complaints", json=_complaint([fresh["id"], old["id"]]))
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["photo_verdict"] == "suspicious"
    assert [photo["verdict"] for photo in receipt["photos"]] == ["verified_live", "suspicious"]
    complaint_id = uuid.UUID(receipt["id"])
    attached = await intake.pool.fetch("SELECT id FROM photos WHERE complaint_id = $1", complaint_id)
    assert {str(row["id"]) for row in attached} == {fresh["id"], old["id"]}
    outbox = await intake.pool.fetchval("SELECT payload FROM outbox")
    event = orjson.loads(outbox)
    assert event["photo_verdict"] == "suspicious"
    assert [p["reasons"] for p in event["photos"]] == [[], ["old_photo"]]
    assert "gps" not in outbox.decode().lower() and "samsung" not in outbox.decode().lower()

    again = await intake.client.post("/v1/complaints", json=_complaint([fresh["id"]]))
    assert again.status_code == 422 and "sudah dilampirkan" in again.json()["detail"]
    unknown = await intake.client.post("/v1/complaints", json=_complaint([str(uuid.uuid4())]))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "photos"
    assert await intake.pool.fetchval("SELECT count(*) FROM complaints") == 1


async def test_photo_far_from_the_reported_location_is_flagged_at_submission(intake):
    jakarta = (-6.1754, 106.8272)
    photo = (await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC), gps=jakarta))).json()
    assert photo["verdict"] == "verified_live"
    response = await intake.client.post("/v1/complaints", json=_complaint([photo["id"]]))
    assert response.status_code == 201
    reasons = response.json()["photos"][0]["reasons"]
    assert [reason["code"] for reason in reasons] == ["gps_far_from_location"]
    assert reasons[0]["distance_m"] > 20_000


async def test_rejected_photo_blocks_the_complaint_and_policy_is_per_category(infra, databases, tmp_path):
    async with running_intake(
        infra, databases, tmp_path / "p",
        photo_reject_reasons={"*": ["reused_photo"], "banjir": ["old_photo", "reused_photo"]},
    ) as intake:
        old = (await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC) - timedelta(days=9)))).json()
        refused = await intake.client.post("/v1/complaints", json=_complaint([old["id"]], category="banjir"))
        assert refused.status_code == 422
        problem = refused.json()
        assert problem["reasons"] == ["old_photo"] and "Foto ditolak" in problem["detail"]
        assert await intake.pool.fetchval("SELECT complaint_id FROM photos") is None
        accepted = await intake.client.post("/v1/complaints", json=_complaint([old["id"]], category="jalan_rusak"))
        assert accepted.status_code == 201
        assert accepted.json()["photo_verdict"] == "suspicious"


async def test_minimum_photo_count_is_a_setting(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p", min_photos=1) as intake:
        response = await intake.client.post("/v1/complaints", json=_complaint([]))
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "photos"
        photo = (await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC)))).json()
        assert (await intake.client.post("/v1/complaints", json=_complaint([photo["id"]]))).status_code == 201
        six = [str(uuid.uuid4()) for _ in range(6)]
        assert (await intake.client.post("/v1/complaints", json=_complaint(six))).status_code == 422


async def test_content_credentials_are_verified_and_recorded(intake):
    from tests.unit.intake.images import c2pa_signed, tampered

    signed = c2pa_signed(camera_photo(photo_seed(), taken_at=datetime.now(UTC)))
    response = await _upload(intake, signed)
    assert response.status_code == 201, response.text
    photo = response.json()
    assert photo["verdict"] == "verified_live"
    assert photo["content_credentials"]["state"] == "valid"
    stored = await intake.pool.fetchval("SELECT content_credentials FROM photos WHERE id = $1", uuid.UUID(photo["id"]))
    assert orjson.loads(stored)["state"] == "valid"

    broken = (await _upload(intake, tampered(c2pa_signed(camera_photo(photo_seed(), taken_at=datetime.now(UTC)))))).json()
    assert broken["verdict"] == "suspicious"
    assert broken["content_credentials"]["state"] == "invalid"
    assert "content_credentials_invalid" in [reason["code"] for reason in broken["reasons"]]
    plain = (await _upload(intake, camera_photo(photo_seed(), taken_at=datetime.now(UTC)))).json()
    assert plain["content_credentials"]["state"] == "absent"


async def test_staff_see_which_earlier_photo_a_copy_matches_how_sure_and_what_was_checked(infra, databases, tmp_path):
    from PIL import Image, ImageOps

    from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
    from tests.unit.intake.images import textured_scene

    auth = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}
    # A policy that only flags reuse, so the copy can be attached to a complaint of its own; the
    # multi-view check is opt-in (SIGAP_PHOTO_REUSE_VIEWS).
    async with running_intake(
        infra, databases, tmp_path / "p", photo_reject_reasons={"*": []}, photo_reuse_views=True
    ) as intake:
        original = textured_scene(photo_seed())
        first = (await _upload(intake, jpeg(original))).json()
        earlier = (await intake.client.post("/v1/complaints", json=_complaint([first["id"]]))).json()["id"]
        w, h = original.size
        copy = ImageOps.mirror(original.crop((w // 10, 0, w, h - h // 8))).transpose(Image.Transpose.ROTATE_90)
        second = (await _upload(intake, jpeg(copy, quality=70))).json()
        assert second["verdict"] == "suspicious"
        [reused] = [reason for reason in second["reasons"] if reason["code"] == "reused_photo"]
        assert reused["earlier_photo_id"] == first["id"] and reused["match"]["strength"] == "strong"
        later = (await intake.client.post("/v1/complaints", json=_complaint([second["id"]]))).json()["id"]
        fresh = (await _upload(intake, jpeg(textured_scene(photo_seed())))).json()
        assert not [r for r in fresh["reasons"] if r["code"] in ("reused_photo", "similar_photo")]

        listed = await intake.client.get(f"/internal/v1/complaints/{later}/photos", headers=auth)
        assert listed.status_code == 200, listed.text
        [photo] = listed.json()["photos"]
        [match] = photo["matches"]
        assert match["earlier_photo_id"] == first["id"] and match["earlier_complaint_id"] == earlier
        assert match["strength"] == "strong" and 0 < match["confidence"] <= 1
        assert match["checks"] == ["dihedral_view_hashes", "orb_ransac"]
        assert match["figures"]["mirrored"] is True and match["figures"]["inliers"] >= 18
        # The earlier complaint's own photo matched nothing before it.
        before = (await intake.client.get(f"/internal/v1/complaints/{earlier}/photos", headers=auth)).json()
        assert before["photos"][0]["matches"] == []
