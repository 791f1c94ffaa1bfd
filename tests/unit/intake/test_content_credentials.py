"""Content Credentials (C2PA) on photos signed in the test with c2pa-python and a throwaway
certificate chain: verified, tampered, AI-generated, and absent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sigap_intake.photos import checks as photo_checks, content_credentials
from tests.unit.intake.images import WIB, C2paAuthority, c2pa_signed, camera_photo, tampered

NOW = datetime.now(UTC)


def _reasons(data: bytes, *, trust_anchors: str | None = None) -> list[str]:
    facts = photo_checks.analyse(
        data, max_bytes=10**8, max_pixels=10**8, default_offset=WIB, trust_anchors=trust_anchors
    )
    return [
        reason.code
        for reason in photo_checks.capture_reasons(
            facts, session_started_at=NOW - timedelta(seconds=20), uploaded_at=NOW,
            clock_skew=timedelta(minutes=2), old_after=timedelta(days=1),
        )
    ]


def test_signed_photo_verifies_and_without_a_trust_list_is_only_noted_as_untrusted():
    signed = c2pa_signed(camera_photo(11, taken_at=NOW))
    credentials = content_credentials.inspect(signed, "image/jpeg")
    assert credentials.state == "valid" and not credentials.trusted
    assert credentials.claim_generator and "sigap-test-camera" in credentials.claim_generator
    assert credentials.signer == "Sigap Test, Test Camera"
    assert not credentials.generated_by_ai
    assert _reasons(signed) == ["content_credentials_untrusted"]
    # A note, not a doubt: the photo stays live.
    note = [photo_checks.Reason("content_credentials_untrusted", "-", "-")]
    assert photo_checks.verdict(note, category=None, reject_reasons={"*": ("reused_photo",)}) == "verified_live"


def test_a_signer_on_the_trust_list_is_trusted_and_one_not_on_it_is_reported_untrusted():
    maker, stranger = C2paAuthority("Camera Maker CA"), C2paAuthority("Unknown App CA")
    anchors = maker.pem.decode()
    trusted = c2pa_signed(camera_photo(15, taken_at=NOW), authority=maker)
    credentials = content_credentials.inspect(trusted, "image/jpeg", trust_anchors=anchors)
    assert credentials.state == "trusted" and credentials.trusted and credentials.to_json()["trusted"] is True
    assert _reasons(trusted, trust_anchors=anchors) == []
    untrusted = c2pa_signed(camera_photo(16, taken_at=NOW), authority=stranger)
    credentials = content_credentials.inspect(untrusted, "image/jpeg", trust_anchors=anchors)
    assert credentials.state == "valid" and not credentials.trusted
    assert _reasons(untrusted, trust_anchors=anchors) == ["content_credentials_untrusted"]
    # A trust list does not rescue a signature that breaks.
    broken = content_credentials.inspect(tampered(trusted), "image/jpeg", trust_anchors=anchors)
    assert broken.state == "invalid" and not broken.trusted


def test_a_trusted_signature_stands_in_for_missing_camera_exif():
    maker = C2paAuthority("Camera Maker CA")
    anonymous = c2pa_signed(camera_photo(17, taken_at=NOW, make=None, model=None), authority=maker)
    assert _reasons(anonymous) == ["content_credentials_untrusted", "no_camera_info"]
    assert _reasons(anonymous, trust_anchors=maker.pem.decode()) == []


def test_a_trust_list_without_certificates_is_refused(tmp_path):
    empty = tmp_path / "anchors.pem"
    empty.write_text("# nobody yet\n")
    with pytest.raises(ValueError, match="no PEM certificate"):
        content_credentials.read_trust_anchors(empty)
    listed = tmp_path / "listed.pem"
    listed.write_bytes(C2paAuthority().pem)
    assert "BEGIN CERTIFICATE" in content_credentials.read_trust_anchors(listed)


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
