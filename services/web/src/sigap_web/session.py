"""The staff session: status's access and refresh tokens, kept in one sealed cookie
(`sigap_session`: HttpOnly, Secure, SameSite=Strict) so they never reach JavaScript or
localStorage and the web service needs no database. Sealed with Fernet (cryptography's
authenticated encryption with a timestamp): the browser can neither read the tokens nor
change a byte, and a cookie older than the session lifetime is refused even if replayed."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import asdict, dataclass, replace

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SESSION_COOKIE = "sigap_session"
# Refresh a little before status's access token expires, so a request never carries a stale one.
REFRESH_MARGIN_S = 30


@dataclass(frozen=True, slots=True)
class StaffSession:
    sid: str  # random per login: CSRF tokens are bound to it
    username: str
    role: str
    department: str | None
    access_token: str
    access_expires_at: float  # epoch seconds
    refresh_token: str

    @classmethod
    def from_login(cls, answer: dict, *, now: float | None = None) -> "StaffSession":
        """From status's /v1/auth/login answer."""
        return cls(
            sid=secrets.token_urlsafe(16),
            username=answer["username"],
            role=answer["role"],
            department=answer.get("department"),
            access_token=answer["access_token"],
            access_expires_at=(now or time.time()) + int(answer["expires_in"]),
            refresh_token=answer["refresh_token"],
        )

    def refreshed(self, answer: dict, *, now: float | None = None) -> "StaffSession":
        """From status's /v1/auth/refresh answer: new tokens, same login (and CSRF binding)."""
        return replace(
            self,
            role=answer["role"],
            department=answer.get("department"),
            access_token=answer["access_token"],
            access_expires_at=(now or time.time()) + int(answer["expires_in"]),
            refresh_token=answer["refresh_token"],
        )

    def needs_refresh(self, *, now: float | None = None) -> bool:
        return (now or time.time()) >= self.access_expires_at - REFRESH_MARGIN_S

    def __repr__(self) -> str:  # keeps the tokens out of tracebacks and logs
        return f"StaffSession(username={self.username!r}, role={self.role!r}, department={self.department!r})"


class Sealer:
    """Fernet sealing of a JSON value under a key derived from the web secret for one purpose
    (`info`), so a value sealed for one cookie never opens as another."""

    def __init__(self, secret: bytes, *, info: bytes, max_age_s: int) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self.max_age_s = max_age_s

    def seal_value(self, value: object) -> str:
        return self._fernet.encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()

    def open_value(self, cookie: str | None) -> object | None:
        """The value, or None for a missing, forged, tampered or expired cookie."""
        if not cookie:
            return None
        try:
            return json.loads(self._fernet.decrypt(cookie.encode(), ttl=self.max_age_s))
        except (InvalidToken, ValueError):
            return None


class SessionSealer(Sealer):
    def __init__(self, secret: bytes, *, max_age_s: int) -> None:
        super().__init__(secret, info=b"sigap-web-session", max_age_s=max_age_s)

    def seal(self, session: StaffSession) -> str:
        return self.seal_value(asdict(session))

    def open(self, cookie: str | None) -> StaffSession | None:
        """The session, or None for a missing, forged, tampered or expired cookie."""
        data = self.open_value(cookie)
        try:
            return StaffSession(**data) if isinstance(data, dict) else None
        except TypeError:
            return None
