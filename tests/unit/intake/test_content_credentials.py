"""Content Credentials (C2PA) on photos signed in the test with c2pa-python and a throwaway
certificate chain: verified, tampered, AI-generated, and absent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sigap_intake.photos import checks as photo_checks, content_credentials
from tests.unit.intake.images import WIB, c2pa_signed, camera_photo, tampered

NOW = datetime.now(UTC)


def _reasons(data: bytes) -> list[str]:
    facts = photo_checks.analyse(data, max_bytes=10**8, max_pixels=10**8, default_offset=WIB)
    return [
        reason.code
        for reason in photo_checks.capture_reasons(
            facts, session_started_at=NOW - timedelta(seconds=20), uploaded_at=NOW,
            clock_skew=timedelta(minutes=2), old_after=timedelta(days=1),
        )
    ]


def test_signed_photo_verifies_and_earns_no_reason():
    signed = c2pa_signed(camera_photo(11, taken_at=NOW))
    credentials = content_credentials.inspect(signed, "image/jpeg")
    assert credentials.state == "valid"
    assert credentials.claim_generator and "sigap-test-camera" in credentials.claim_generator
    assert not credentials.generated_by_ai
    assert _reasons(signed) == []


def test_photo_changed_after_signing_is_flagged():
    broken = tampered(c2pa_signed(camera_photo(12, taken_at=NOW)))
    credentials = content_credentials.inspect(broken, "image/jpeg")
    assert credentials.state == "invalid" and credentials.failures
    assert "content_credentials_invalid" in _reasons(broken)


def test_ai_generated_image_is_flagged():
    generated = c2pa_signed(camera_photo(13, taken_at=NOW), ai_generated=True)
    assert content_credentials.inspect(generated, "image/jpeg").generated_by_ai
    assert "ai_generated" in _reasons(generated)


def test_photos_without_a_manifest_are_simply_absent():
    assert content_credentials.inspect(camera_photo(14, taken_at=NOW), "image/jpeg").state == "absent"
