"""Live-photo checks on real image files generated here: type sniffing, EXIF reading, the
reasons each kind of photo earns, the category policy, and the hash bands of the index."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sigap_intake.photos import reuse
from sigap_intake.photos import checks
from sigap_intake.errors import problem_for
from tests.unit.intake.images import (
    WIB,
    camera_photo,
    cropped,
    exif_for,
    jpeg,
    png,
    resized_recompressed,
    scene,
)

NOW = datetime.now(UTC)
SESSION_START = NOW - timedelta(seconds=30)


def _facts(data: bytes) -> checks.PhotoFacts:
    return checks.analyse(data, max_bytes=20 * 1024 * 1024, max_pixels=40_000_000, default_offset=WIB)


def _codes(data: bytes) -> list[str]:
    reasons = checks.capture_reasons(
        _facts(data),
        session_started_at=SESSION_START,
        uploaded_at=NOW,
        clock_skew=timedelta(minutes=2),
        old_after=timedelta(days=1),
    )
    return [reason.code for reason in reasons]


def test_type_is_sniffed_from_the_bytes_not_the_name():
    assert checks.sniff(jpeg(scene(1))) == "jpeg"
    assert checks.sniff(png(scene(1))) == "png"
    for not_an_image in (b"GIF89a" + b"\0" * 20, b"%PDF-1.7\n", b"<svg></svg>"):
        with pytest.raises(checks.PhotoError) as caught:
            checks.sniff(not_an_image)
        assert problem_for(caught.value).status == 415
    assert checks.sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic") == "heic"
    # An MP4 video is an ISO media file too, but not a HEIF image.
    with pytest.raises(checks.PhotoError) as caught:
        checks.sniff(b"\0\0\0\x18ftypisom\0\0\0\0isomiso2")
    assert problem_for(caught.value).status == 415


def test_size_and_corruption_limits():
    data = camera_photo(2, taken_at=NOW)
    with pytest.raises(checks.PhotoError) as caught:
        checks.analyse(data, max_bytes=1000, max_pixels=40_000_000, default_offset=WIB)
    assert problem_for(caught.value).status == 413
    with pytest.raises(checks.PhotoError) as caught:
        checks.analyse(data, max_bytes=10**8, max_pixels=1000, default_offset=WIB)
    assert caught.value.code == "photo-too-many-pixels"
    with pytest.raises(checks.PhotoError) as caught:
        checks.analyse(data[: len(data) // 3], max_bytes=10**8, max_pixels=10**8, default_offset=WIB)
    assert caught.value.code == "corrupt-image" and problem_for(caught.value).status == 422
    with pytest.raises(checks.PhotoError) as caught:
        checks.analyse(b"", max_bytes=10**8, max_pixels=10**8, default_offset=WIB)
    assert caught.value.code == "empty-file"


def test_exif_is_read_with_its_offset_and_gps():
    taken = NOW.replace(microsecond=0)
    facts = _facts(camera_photo(3, taken_at=taken, gps=(-6.3925, 106.8226)))
    assert facts.taken_at == taken and facts.taken_at_offset_known
    assert facts.camera_make == "samsung" and facts.camera_model == "SM-A546E"
    assert facts.gps == pytest.approx((-6.3925, 106.8226), abs=1e-5)
    # Without OffsetTimeOriginal the local time is read in the configured zone (WIB).
    facts = _facts(camera_photo(3, taken_at=taken, with_offset=False))
    assert facts.taken_at == taken and not facts.taken_at_offset_known


def test_fresh_camera_photo_has_no_reasons():
    assert _codes(camera_photo(4, taken_at=NOW - timedelta(seconds=10))) == []


def test_old_photo_and_photo_outside_the_session_are_flagged():
    assert _codes(camera_photo(5, taken_at=NOW - timedelta(days=40))) == ["old_photo"]
    assert _codes(camera_photo(5, taken_at=NOW - timedelta(hours=2))) == ["capture_time_outside_session"]
    assert _codes(camera_photo(5, taken_at=NOW + timedelta(hours=1))) == ["capture_time_outside_session"]
    # Small clock drift of the phone is tolerated.
    assert _codes(camera_photo(5, taken_at=SESSION_START - timedelta(seconds=60))) == []


def _with_capture_time(text: str, offset: str | None) -> bytes:
    exif = exif_for(taken_at=NOW)
    exif.get_ifd(0x8769)[0x9003] = text
    if offset is None:
        del exif.get_ifd(0x8769)[0x9011]
    else:
        exif.get_ifd(0x8769)[0x9011] = offset
    return jpeg(scene(9), exif=exif)


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("9999:12:31 23:00:00", "-05:00"),  # past year 9999 in UTC
        ("0001:01:01 00:00:00", None),  # before year 1 in UTC, read in WIB
        ("1989:12:31 23:00:00", "+00:00"),  # before digital cameras wrote EXIF
        ((NOW + timedelta(days=2)).astimezone(WIB).strftime("%Y:%m:%d %H:%M:%S"), "+07:00"),
    ],
)
def test_an_impossible_capture_time_is_a_reason_and_no_time_at_all(text, offset):
    facts = _facts(_with_capture_time(text, offset))
    assert facts.taken_at is None and facts.implausible_taken_at == text
    assert _codes(_with_capture_time(text, offset)) == ["implausible_capture_time"]


def test_metadata_text_is_cleaned_of_what_postgresql_cannot_store():
    facts = _facts(camera_photo(6, taken_at=NOW, make="sam\x00sung", software="\x00A546\x00EXXU4\x00"))
    assert (facts.camera_make, facts.software) == ("samsung", "A546EXXU4")


def test_photo_without_exif_or_camera_or_with_editor_is_flagged():
    assert _codes(jpeg(scene(6))) == ["no_exif"]
    assert _codes(camera_photo(6, taken_at=NOW, make=None, model=None)) == ["no_camera_info"]
    assert _codes(camera_photo(6, taken_at=None)) == ["no_capture_time"]
    assert _codes(camera_photo(6, taken_at=NOW, software="Adobe Photoshop 25.1 (Windows)")) == ["editing_software"]
    assert _codes(camera_photo(6, taken_at=NOW, software="Snapseed 2.0")) == ["editing_software"]
    assert _codes(camera_photo(6, taken_at=NOW, software="iOS 17.1")) == []


def test_screenshots_are_flagged():
    assert _codes(png(scene(7))) == ["screenshot", "no_exif"]
    assert "screenshot" in _codes(camera_photo(7, taken_at=NOW, user_comment="Screenshot"))


def test_resized_recompressed_and_lightly_cropped_copies_hash_close_other_scenes_far():
    original = camera_photo(8, taken_at=NOW)
    base = _facts(original).phash
    assert reuse.hamming(base, _facts(resized_recompressed(original)).phash) <= 4
    assert reuse.hamming(base, _facts(cropped(original, fraction=0.03)).phash) <= 10
    for seed in range(20, 30):
        assert reuse.hamming(base, _facts(jpeg(scene(seed))).phash) > 10


def test_gps_far_from_the_reported_location():
    near = checks.location_reason((-6.3925, 106.8226), reported=(-6.3930, 106.8230), max_distance_m=1000)
    assert near is None
    far = checks.location_reason((-6.2088, 106.8456), reported=(-6.3925, 106.8226), max_distance_m=1000)
    assert far is not None and far.code == "gps_far_from_location" and far.details["distance_m"] > 20_000
    assert checks.location_reason(None, reported=(-6.39, 106.82), max_distance_m=1000) is None


def test_policy_decides_reject_or_flag_per_category():
    reused = reuse.reuse_reasons([reuse.SimilarPhoto(photo_id=uuid.uuid4(), complaint_id=None, distance=2)])
    old = [checks.Reason("old_photo", "lama", "old")]
    policy = {"*": ["reused_photo"], "banjir": ["reused_photo", "old_photo"], "lampu_jalan": []}
    assert checks.verdict(reused, category=None, reject_reasons=policy) == "rejected"
    assert checks.verdict(reused, category="lampu_jalan", reject_reasons=policy) == "suspicious"
    assert checks.verdict(old, category="jalan_rusak", reject_reasons=policy) == "suspicious"
    assert checks.verdict(old, category="banjir", reject_reasons=policy) == "rejected"
    assert checks.verdict([], category="banjir", reject_reasons=policy) == "verified_live"


def test_reuse_reasons_skip_photos_of_the_same_report():
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    complaint = uuid.uuid4()
    similar = [
        reuse.SimilarPhoto(photo_id=mine, complaint_id=None, distance=3),
        reuse.SimilarPhoto(photo_id=theirs, complaint_id=complaint, distance=1),
    ]
    reasons = reuse.reuse_reasons(similar, ignore=[mine])
    assert [r.details["earlier_photo_id"] for r in reasons] == [str(theirs)]
    assert reasons[0].details["earlier_complaint_id"] == str(complaint)


def test_band_probes_find_every_hash_within_the_distance():
    rnd = random.Random(42)
    for max_distance in (3, 7, 10, 11):
        radius = reuse.probe_radius(max_distance)
        for _ in range(200):
            stored = rnd.getrandbits(64)
            flipped = rnd.sample(range(64), rnd.randint(0, max_distance))
            query = stored
            for bit in flipped:
                query ^= 1 << bit
            probes = [set(reuse.band_neighbours(band, radius)) for band in reuse.bands(query)]
            assert any(band in probe for band, probe in zip(reuse.bands(stored), probes, strict=True))
    assert len(reuse.band_neighbours(0xABCD, 2)) == 1 + 16 + 120


def test_signed_storage_keeps_the_bit_pattern():
    for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        signed = reuse.to_signed(value)
        assert -(1 << 63) <= signed < (1 << 63)
        assert signed & 0xFFFFFFFFFFFFFFFF == value


def test_every_refusal_of_the_photo_capture_and_follow_up_rules_has_a_problem_in_intakes_table() -> None:
    import ast
    from pathlib import Path

    import sigap_intake
    from sigap_intake.errors import PROBLEMS

    package = Path(sigap_intake.__file__).parent
    raised = set()
    for module in package.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            named = getattr(node.func, "id", None) in {"DomainError", "PhotoError", "CaptureTokenError", "FollowUpError"}
            via_super = getattr(node.func, "attr", None) == "__init__" and isinstance(node.func.value, ast.Call)
            if named or via_super:
                raised.add(node.args[0].value)
    assert len(raised) >= 16
    assert raised <= PROBLEMS.keys()
