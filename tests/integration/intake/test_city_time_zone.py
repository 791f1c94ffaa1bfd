"""A city outside WIB: a phone set to the city's time writes its local capture time without an
offset (no OffsetTimeOriginal), and intake reads it in SIGAP_TIMEZONE, so a photo taken just
now in Makassar (WITA, UTC+8) is live there — and would be an hour in the future in WIB."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.integration.intake.conftest import running_intake
from tests.unit.intake.images import exif_for, jpeg, scene

pytestmark = pytest.mark.integration

MAKASSAR = (-5.1477, 119.4327)


def _photo_stamped_in(zone: str) -> bytes:
    exif = exif_for(taken_at=None, gps=MAKASSAR)
    exif.get_ifd(0x8769)[0x9003] = datetime.now(ZoneInfo(zone)).strftime("%Y:%m:%d %H:%M:%S")
    return jpeg(scene(uuid.uuid4().int % 10**9), exif=exif)


async def _verdict(intake, data: bytes) -> dict:
    session = await intake.client.post("/v1/capture-sessions")
    assert session.status_code == 201, session.text
    response = await intake.client.post(
        "/v1/photos",
        data={"capture_token": session.json()["capture_token"]},
        files={"file": ("IMG_0001.jpg", data, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("city_zone", "live"), [("Asia/Makassar", True), ("Asia/Jakarta", False)], ids=["wita-city", "wib-city"]
)
async def test_a_photo_stamped_in_wita_local_time_is_live_in_a_wita_city(infra, databases, tmp_path, city_zone, live):
    async with running_intake(infra, databases, tmp_path / "photos", timezone=city_zone) as intake:
        photo = await _verdict(intake, _photo_stamped_in("Asia/Makassar"))
    assert (photo["verdict"] == "verified_live") is live, photo
    if live:
        taken_at = datetime.fromisoformat(photo["taken_at"])
        assert abs((taken_at - datetime.now(UTC)).total_seconds()) < 120


async def test_the_old_fixed_offset_setting_still_wins(infra, databases, tmp_path):
    zones = {"timezone": "Asia/Jakarta", "default_utc_offset": "+08:00"}
    async with running_intake(infra, databases, tmp_path / "photos", **zones) as intake:
        photo = await _verdict(intake, _photo_stamped_in("Asia/Makassar"))
    assert photo["verdict"] == "verified_live", photo
