"""The web-camera capture path against real PostgreSQL: the citizen page opens a web-camera
session with its video track's size, uploads the canvas frame (a bare JPEG) with the device's
position, and the photo is verified_live; files pushed through the same path by a modified
page are not, whenever the server can tell."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.intake.images import camera_photo, jpeg, png, resized_recompressed, scene

pytestmark = pytest.mark.integration

DEPOK = (-6.3925, 106.8226)
FAR = (-6.3620, 106.8710)  # about 6 km away, still in Depok


async def _web_session(intake, width: int = 640, height: int = 480) -> str:
    response = await intake.client.post(
        "/v1/capture-sessions", json={"source": "web_camera", "track": {"width": width, "height": height}}
    )
    assert response.status_code == 201, response.text
    assert response.json()["source"] == "web_camera"
    return response.json()["capture_token"]


async def _upload(intake, data: bytes, token: str, *, at=DEPOK, accuracy: float = 12.0):
    form = {"capture_token": token}
    if at is not None:
        form |= {"device_lat": str(at[0]), "device_lon": str(at[1]), "device_accuracy_m": str(accuracy)}
    return await intake.client.post(
        "/v1/photos", data=form, files={"file": ("kamera.jpg", data, "image/jpeg")}
    )


def _frame(size=(640, 480)) -> bytes:
    """What the page's canvas.toBlob('image/jpeg') gives: pixels only, no EXIF."""
    return jpeg(scene(uuid.uuid4().int % 10**9, size), quality=85)


async def _complaint(intake, photo_id: str, at) -> dict:
    response = await intake.client.post(
        "/v1/complaints",
        json={
            "description": "Lampu PJU di depan sekolah mati sejak minggu lalu",
            "location": {"lat": at[0], "lon": at[1]},
            "photos": [photo_id],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_honest_web_capture_is_verified_live_where_the_device_was(intake):
    frame = _frame()
    # The same frame through an app session is what intake did before: no EXIF, suspicious.
    legacy = await intake.client.post("/v1/capture-sessions")
    app_upload = await intake.client.post(
        "/v1/photos",
        data={"capture_token": legacy.json()["capture_token"]},
        files={"file": ("kamera.jpg", _frame(), "image/jpeg")},
    )
    assert app_upload.json()["verdict"] == "suspicious"
    assert [r["code"] for r in app_upload.json()["reasons"]] == ["no_exif"]

    response = await _upload(intake, frame, await _web_session(intake))
    assert response.status_code == 201, response.text
    photo = response.json()
    assert (photo["verdict"], photo["reasons"], photo["capture_source"]) == ("verified_live", [], "web_camera")
    row = await intake.pool.fetchrow("SELECT gps_lat, gps_lon FROM photos WHERE id = $1", uuid.UUID(photo["id"]))
    assert (row["gps_lat"], row["gps_lon"]) == pytest.approx(DEPOK)
    receipt = await _complaint(intake, photo["id"], DEPOK)
    assert receipt["photo_verdict"] == "verified_live"


async def test_a_scaled_down_and_a_rotated_frame_are_accepted(intake):
    for size, track in (((960, 720), (1280, 960)), ((720, 1280), (1280, 720))):
        response = await _upload(intake, _frame(size), await _web_session(intake, *track))
        assert response.json()["verdict"] == "verified_live", response.text


async def test_the_device_far_from_the_reported_place_is_flagged(intake):
    photo = (await _upload(intake, _frame(), await _web_session(intake), at=FAR)).json()
    assert photo["verdict"] == "verified_live"
    receipt = await _complaint(intake, photo["id"], DEPOK)
    assert receipt["photo_verdict"] == "suspicious"
    assert [r["code"] for r in receipt["photos"][0]["reasons"]] == ["gps_far_from_location"]


async def test_a_vague_device_position_is_not_used(intake):
    photo = (await _upload(intake, _frame(), await _web_session(intake), at=FAR, accuracy=5000)).json()
    row = await intake.pool.fetchrow("SELECT gps_lat FROM photos WHERE id = $1", uuid.UUID(photo["id"]))
    assert row["gps_lat"] is None


@pytest.mark.parametrize(
    ("make_file", "track", "expected"),
    [
        (lambda: camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC) - timedelta(days=30)),
         (1200, 900), ["old_photo", "camera_file_not_canvas"]),
        (lambda: camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC), software="Snapseed 2.0"),
         (1200, 900), ["editing_software", "camera_file_not_canvas"]),
        (lambda: png(scene(uuid.uuid4().int % 10**9, (640, 480))), (640, 480), ["screenshot"]),
        (lambda: _frame((1080, 2400)), (1080, 2400), ["screenshot"]),
        (lambda: _frame((1200, 900)), (640, 480), ["size_not_from_camera"]),
    ],
    ids=["gallery-old-exif", "edited", "png-screenshot", "screen-shaped", "other-size"],
)
async def test_files_pushed_through_the_web_camera_path_are_not_live(intake, make_file, track, expected):
    response = await _upload(intake, make_file(), await _web_session(intake, *track))
    assert response.status_code == 201, response.text
    photo = response.json()
    assert photo["verdict"] == "suspicious"
    assert [reason["code"] for reason in photo["reasons"]] == expected


async def test_a_reused_frame_is_rejected_and_a_token_serves_one_photo(intake):
    frame = _frame()
    first = await _upload(intake, frame, token := await _web_session(intake))
    assert first.json()["verdict"] == "verified_live"
    again = await _upload(intake, _frame(), token)
    assert again.status_code == 409
    reused = await _upload(intake, resized_recompressed(frame, scale=0.5), await _web_session(intake))
    assert reused.json()["verdict"] == "rejected"
    assert [r["code"] for r in reused.json()["reasons"]] == ["reused_photo"]


async def test_a_web_camera_session_needs_its_track(intake):
    response = await intake.client.post("/v1/capture-sessions", json={"source": "web_camera"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "track"
    too_big = await intake.client.post(
        "/v1/capture-sessions", json={"source": "web_camera", "track": {"width": 99999, "height": 10}}
    )
    assert too_big.status_code == 422
