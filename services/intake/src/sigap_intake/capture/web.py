"""Pure checks of a photo captured in a browser: a frame grabbed from the page's live video
track onto a canvas and encoded as JPEG. Such a frame has no EXIF, so the camera-app checks
(capture time, camera make) cannot apply; instead the upload is judged on what the server can
check (see WEB_CAPTURE.md beside this file for what it can and cannot tell):

- the capture session: opened right before, used once, uploaded inside its short window
  (enforced before these checks run);
- the file: a canvas writes a bare JPEG, so a PNG is a screenshot and camera EXIF means the
  bytes came from a file, not from the canvas (and then the EXIF's own story is checked too:
  an old capture time, editing software);
- its size: the frame of the video track the page declared, or that frame scaled down;
- the declared track: a screen's shape (taller than 19:10), not a camera's, is a screenshot;
- reuse: as for every photo (perceptual hash, in the handler);
- where: the device's geolocation at capture, compared with the reported location when the
  complaint arrives (as EXIF GPS is for app photos)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sigap_intake.capture.tokens import VideoTrack
from sigap_intake.photos.checks import PhotoFacts, Reason, capture_reasons

# Long side over short side: cameras give 4:3, 16:9 or 1:1 tracks; phone screens are 19.5:9
# (2.17) or longer.
SCREEN_ASPECT = 1.9
SMALLEST_FRAME = 160


def frame_fits_track(width: int, height: int, track: VideoTrack) -> bool:
    """The image is the track's frame (either orientation: phones rotate), or that frame
    scaled down with its proportions kept (to a pixel of rounding)."""
    long_side, short_side = max(width, height), min(width, height)
    track_long, track_short = max(track.width, track.height), min(track.width, track.height)
    if long_side > track_long or short_side > track_short or short_side < min(SMALLEST_FRAME, track_short):
        return False
    # long/short == track_long/track_short, allowing each side to be a pixel off.
    return abs(long_side * track_short - short_side * track_long) <= track_long + track_short


def screen_shaped(track: VideoTrack) -> bool:
    return max(track.width, track.height) / min(track.width, track.height) > SCREEN_ASPECT


def web_capture_reasons(
    facts: PhotoFacts,
    *,
    track: VideoTrack,
    session_started_at: datetime,
    uploaded_at: datetime,
    clock_skew: timedelta,
    old_after: timedelta,
) -> list[Reason]:
    # The general checks, less "no EXIF": a canvas frame never has any.
    reasons = [
        reason
        for reason in capture_reasons(
            facts,
            session_started_at=session_started_at,
            uploaded_at=uploaded_at,
            clock_skew=clock_skew,
            old_after=old_after,
        )
        if reason.code not in ("no_exif", "no_camera_info", "no_capture_time")
    ]
    if facts.kind == "heic":
        reasons.append(
            Reason(
                "not_a_canvas_frame",
                "Berkas HEIC tidak berasal dari kamera halaman web; foto ini dikirim sebagai berkas.",
                "A HEIC file does not come from the web page's camera; this photo was sent as a file.",
            )
        )
    if facts.has_exif:
        reasons.append(
            Reason(
                "camera_file_not_canvas",
                "Foto membawa data EXIF kamera, padahal tangkapan kamera halaman web tidak punya: ini berkas dari "
                "perangkat, bukan foto langsung.",
                "The photo carries camera EXIF, which a web-page camera capture never has: it is a file from the "
                "device, not a live capture.",
                {"camera": " ".join(filter(None, (facts.camera_make, facts.camera_model))) or None},
            )
        )
    if screen_shaped(track) and not any(reason.code == "screenshot" for reason in reasons):
        reasons.append(
            Reason(
                "screenshot",
                "Ukuran yang dilaporkan berbentuk layar ponsel, bukan kamera: kemungkinan tangkapan layar.",
                "The reported size has a phone screen's shape, not a camera's: likely a screenshot.",
                {"track": f"{track.width}x{track.height}"},
            )
        )
    if not frame_fits_track(facts.width, facts.height, track):
        reasons.append(
            Reason(
                "size_not_from_camera",
                "Ukuran foto tidak sesuai dengan kamera yang dibuka halaman web.",
                "The photo's size does not match the camera the web page opened.",
                {"photo": f"{facts.width}x{facts.height}", "track": f"{track.width}x{track.height}"},
            )
        )
    return reasons
