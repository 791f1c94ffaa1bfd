"""The web-camera capture checks on real image files: an honest canvas frame (a bare JPEG of
the declared video track's size, or that frame scaled down) has no reason against it; files
pushed through a web-camera session by a modified page are caught whenever the bytes or the
declared track give them away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sigap_intake.photos import checks
from sigap_intake.capture.tokens import VideoTrack
from sigap_intake.capture.web import frame_fits_track, screen_shaped, web_capture_reasons
from tests.unit.intake.images import WIB, camera_photo, heic, jpeg, png, scene

NOW = datetime.now(UTC)


def _codes(data: bytes, track: VideoTrack) -> list[str]:
    facts = checks.analyse(data, max_bytes=20 * 1024 * 1024, max_pixels=40_000_000, default_offset=WIB)
    reasons = web_capture_reasons(
        facts,
        track=track,
        session_started_at=NOW - timedelta(seconds=20),
        uploaded_at=NOW,
        clock_skew=timedelta(minutes=2),
        old_after=timedelta(days=1),
    )
    return [reason.code for reason in reasons]


@pytest.mark.parametrize(("size", "track"), [((640, 480), (640, 480)), ((720, 1280), (1280, 720)),
                                             ((960, 720), (1280, 960)), ((1280, 720), (1280, 720))])
def test_an_honest_canvas_frame_has_no_reason_against_it(size, track):
    assert _codes(jpeg(scene(7, size), quality=85), VideoTrack(*track)) == []


def test_a_gallery_photo_with_old_exif_is_caught():
    gallery = camera_photo(3, taken_at=NOW - timedelta(days=40))
    assert _codes(gallery, VideoTrack(1200, 900)) == ["old_photo", "camera_file_not_canvas"]


def test_an_edited_photo_is_caught():
    edited = camera_photo(4, taken_at=NOW, software="Adobe Photoshop 25.0")
    assert _codes(edited, VideoTrack(1200, 900)) == ["editing_software", "camera_file_not_canvas"]


def test_screenshots_are_caught_by_type_and_by_the_declared_shape():
    assert _codes(png(scene(5, (640, 480))), VideoTrack(640, 480)) == ["screenshot"]
    phone_screen = VideoTrack(1080, 2400)
    assert _codes(jpeg(scene(6, (1080, 2400))), phone_screen) == ["screenshot"]


def test_a_photo_of_another_size_than_the_camera_is_caught():
    assert _codes(jpeg(scene(8, (1200, 900))), VideoTrack(640, 480)) == ["size_not_from_camera"]
    assert _codes(jpeg(scene(8, (640, 400))), VideoTrack(640, 480)) == ["size_not_from_camera"]


def test_a_heic_file_is_not_a_canvas_frame():
    assert "not_a_canvas_frame" in _codes(heic(scene(9, (640, 480))), VideoTrack(640, 480))


def test_frame_and_screen_shapes():
    assert frame_fits_track(639, 480, VideoTrack(640, 480))  # a pixel of rounding
    assert frame_fits_track(320, 240, VideoTrack(640, 480))  # scaled down
    assert not frame_fits_track(1280, 960, VideoTrack(640, 480))  # never scaled up
    assert not frame_fits_track(100, 75, VideoTrack(640, 480))  # a thumbnail is no capture
    assert not screen_shaped(VideoTrack(1920, 1080)) and screen_shaped(VideoTrack(1170, 2532))
