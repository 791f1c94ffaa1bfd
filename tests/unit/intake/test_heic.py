"""HEIC/HEIF photos (what newer iPhones and many Androids shoot), generated with pillow-heif
itself: sniffed from the bytes and put through the same EXIF, reuse and public-copy rules as
JPEG."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from sigap_intake.photos import reuse
from sigap_intake.photos import checks
from sigap_intake.errors import problem_for
from tests.unit.intake.images import (
    WIB,
    camera_heic,
    camera_photo,
    exif_for,
    heic,
    jpeg_metadata_markers,
    scene,
)

NOW = datetime.now(UTC)
DEPOK = (-6.3925, 106.8226)


def _facts(data: bytes) -> checks.PhotoFacts:
    return checks.analyse(data, max_bytes=10**8, max_pixels=10**8, default_offset=WIB)


def _reasons(data: bytes) -> list[str]:
    reasons = checks.capture_reasons(
        _facts(data), session_started_at=NOW - timedelta(seconds=30), uploaded_at=NOW,
        clock_skew=timedelta(minutes=2), old_after=timedelta(days=1),
    )
    return [reason.code for reason in reasons]


def test_a_heic_is_sniffed_and_its_exif_read_like_a_jpeg():
    data = camera_heic(11, taken_at=NOW, gps=DEPOK)
    assert data[4:12] == b"ftypheic"
    facts = _facts(data)
    assert (facts.kind, facts.media_type, facts.suffix) == ("heic", "image/heic", ".heic")
    assert (facts.width, facts.height) == (1200, 900)
    assert (facts.camera_make, facts.camera_model) == ("samsung", "SM-A546E")
    assert facts.taken_at is not None and abs(facts.taken_at - NOW) < timedelta(seconds=2)
    assert facts.taken_at_offset_known
    assert facts.gps == pytest.approx(DEPOK, abs=1e-5)
    assert _reasons(data) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (lambda: camera_heic(12, taken_at=NOW - timedelta(days=20)), ["old_photo"]),
        (lambda: heic(scene(13)), ["no_exif"]),
        (lambda: camera_heic(14, taken_at=NOW, software="Snapseed 2.0"), ["editing_software"]),
        (lambda: camera_heic(15, taken_at=NOW, make=None, model=None), ["no_camera_info"]),
    ],
    ids=["old", "no-exif", "edited", "no-camera"],
)
def test_gallery_like_heic_photos_get_the_same_reasons(data, expected):
    assert _reasons(data()) == expected


def test_a_heic_copy_of_an_earlier_jpeg_hashes_close_and_another_scene_far():
    earlier = _facts(camera_photo(16, taken_at=NOW))
    as_heic = _facts(heic(Image.open(io.BytesIO(camera_photo(16, taken_at=NOW))).resize((800, 600)), quality=50))
    other = _facts(camera_heic(17, taken_at=NOW))
    assert reuse.hamming(earlier.phash, as_heic.phash) <= 6
    assert reuse.hamming(earlier.phash, other.phash) > 16


def test_a_heic_public_copy_is_an_upright_jpeg_without_metadata():
    exif = exif_for(taken_at=NOW, gps=DEPOK)
    exif[0x0112] = 6  # stored sideways, shown rotated
    copy = checks.public_copy(heic(scene(18, size=(400, 300)), exif=exif))
    assert checks.sniff(copy) == "jpeg"
    assert jpeg_metadata_markers(copy) == ["APP0:JFIF"]
    assert Image.open(io.BytesIO(copy)).size == (300, 400)


def test_a_truncated_heic_is_a_clear_error():
    data = camera_heic(19, taken_at=NOW)
    with pytest.raises(checks.PhotoError) as caught:
        _facts(data[: len(data) // 2])
    assert caught.value.code == "corrupt-image" and problem_for(caught.value).status == 422
