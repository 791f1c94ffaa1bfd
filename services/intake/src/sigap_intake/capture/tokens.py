"""Capture tokens: the app asks for one right before opening the camera and sends it with the
upload. Signed (HS256 JWT with a key derived from the service's JWT secret for this purpose
only), short-lived, and single-use through the `capture_sessions` row it names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sigap_shared.errors import DomainError, Text

AUDIENCE = "sigap-intake-capture"


class CaptureTokenError(DomainError):
    """A capture token the upload cannot be accepted with (expired, invalid, used)."""


_EXPIRED = Text(
    id="Token kamera sudah kedaluwarsa; buka kamera lagi untuk mendapatkan token baru.",
    en="The capture token has expired; open the camera again to get a new one.",
)
_INVALID = Text(
    id="Token kamera tidak valid; foto harus diambil langsung lewat aplikasi.",
    en="The capture token is not valid; photos must be taken live in the app.",
)
_USED = Text(
    id="Token kamera sudah dipakai untuk foto lain; satu token untuk satu foto.",
    en="The capture token was already used for another photo; one token per photo.",
)


def expired() -> CaptureTokenError:
    return CaptureTokenError("capture-token-expired", _EXPIRED)


def invalid() -> CaptureTokenError:
    return CaptureTokenError("capture-token-invalid", _INVALID)


def already_used() -> CaptureTokenError:
    return CaptureTokenError("capture-token-used", _USED)


@dataclass(frozen=True, slots=True)
class VideoTrack:
    """The live video track a web page captures from, as the page reported it."""

    width: int
    height: int


@dataclass(frozen=True, slots=True)
class CaptureSession:
    id: UUID
    started_at: datetime
    expires_at: datetime
    # "app": a camera app writes EXIF; "web_camera": a frame from a browser's video track.
    source: str = "app"
    track: VideoTrack | None = None


class CaptureTokens:
    def __init__(self, *, secret: bytes) -> None:
        self._key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"sigap-intake-capture-token"
        ).derive(secret)

    def issue(self, session: CaptureSession) -> str:
        return jwt.encode(
            {
                "sub": str(session.id),
                "aud": AUDIENCE,
                "iat": int(session.started_at.timestamp()),
                "exp": int(session.expires_at.timestamp()),
            },
            self._key,
            algorithm="HS256",
        )

    def verify(self, token: str, *, leeway: timedelta = timedelta(0)) -> UUID:
        """The session id the token names; raises `CaptureTokenError` otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                audience=AUDIENCE,
                leeway=leeway,
                options={"require": ["sub", "exp", "aud"]},
            )
            return UUID(claims["sub"])
        except jwt.ExpiredSignatureError:
            raise expired() from None
        except (jwt.InvalidTokenError, ValueError):
            raise invalid() from None
