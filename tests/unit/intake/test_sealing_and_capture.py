"""Encryption at rest, capture tokens and the intake settings' secrets."""

from __future__ import annotations

import base64
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sigap_intake.capture import tokens as capture
from sigap_intake.sealing import SealError, Sealer
from sigap_intake.settings import DEVELOPMENT_IDENTITY_KEY, IntakeSettings


def test_sealed_identity_is_not_readable_and_only_opens_on_its_own_row():
    sealer = Sealer(os.urandom(32))
    row, other_row = uuid.uuid4().bytes, uuid.uuid4().bytes
    identity = {"name": "Siti Rahmawati", "phone": "081234567890", "email": "siti@example.com"}
    sealed = sealer.seal(identity, bound_to=row)
    for secret in (b"Siti", b"0812", b"siti@example.com"):
        assert secret not in sealed
    assert sealer.seal(identity, bound_to=row) != sealed  # fresh nonce each time
    assert sealer.open(sealed, bound_to=row) == identity
    with pytest.raises(SealError):
        sealer.open(sealed, bound_to=other_row)
    with pytest.raises(SealError):
        Sealer(os.urandom(32)).open(sealed, bound_to=row)


def test_capture_tokens_are_signed_and_expire():
    tokens = capture.CaptureTokens(secret=b"a-secret")
    now = datetime.now(UTC)
    session = capture.CaptureSession(id=uuid.uuid4(), started_at=now, expires_at=now + timedelta(minutes=5))
    token = tokens.issue(session)
    assert tokens.verify(token) == session.id
    with pytest.raises(capture.CaptureTokenError) as caught:
        capture.CaptureTokens(secret=b"another-secret").verify(token)
    assert caught.value.code == "capture-token-invalid"
    with pytest.raises(capture.CaptureTokenError):
        tokens.verify(token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    old = capture.CaptureSession(
        id=uuid.uuid4(), started_at=now - timedelta(minutes=10), expires_at=now - timedelta(minutes=5)
    )
    with pytest.raises(capture.CaptureTokenError) as caught:
        tokens.verify(tokens.issue(old))
    assert caught.value.code == "capture-token-expired"


def test_identity_key_must_be_32_bytes_and_no_default_secret_in_production(monkeypatch):
    monkeypatch.setenv("SIGAP_IDENTITY_KEY", base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="32 bytes"):
        IntakeSettings()
    monkeypatch.delenv("SIGAP_IDENTITY_KEY")
    monkeypatch.setenv("SIGAP_ENVIRONMENT", "production")
    monkeypatch.setenv("SIGAP_PG_PASSWORD", "a-real-secret")
    monkeypatch.setenv("SIGAP_JWT_SECRET", "another-real-secret-of-enough-length-123")
    settings = IntakeSettings()
    assert settings.identity_key.get_secret_value() == DEVELOPMENT_IDENTITY_KEY
    with pytest.raises(ValueError, match="SIGAP_IDENTITY_KEY"):
        settings.refuse_development_secrets()
    monkeypatch.setenv("SIGAP_IDENTITY_KEY", base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(ValueError, match="SIGAP_INTERNAL_TOKEN"):
        IntakeSettings().refuse_development_secrets()
    monkeypatch.setenv("SIGAP_INTERNAL_TOKEN", "a-real-internal-token")
    IntakeSettings().refuse_development_secrets()


def test_photo_policy_comes_from_settings(monkeypatch):
    from sigap_intake.context import policy_from_settings

    monkeypatch.setenv("SIGAP_MIN_PHOTOS", "1")
    monkeypatch.setenv("SIGAP_PHOTO_REJECT_REASONS", '{"*": [], "banjir": ["old_photo"]}')
    policy = policy_from_settings(IntakeSettings())
    assert policy.min_photos == 1
    assert dict(policy.reject_reasons) == {"*": (), "banjir": ("old_photo",)}
