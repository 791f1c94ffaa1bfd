"""What every response and every state-changing request go through: security headers (a CSP
that allows no inline script at all, no framing, camera and geolocation for this origin only),
and CSRF protection by a signed double-submit token bound to the staff session, plus a check
that the request comes from this origin.

The CSRF token is an HMAC (itsdangerous' Signer: a well-kept, constant-time implementation
rather than hand-rolled crypto) of the random `sigap_csrf` cookie and the staff session's id,
so a token minted before login is useless after it, and a site that cannot read our cookie
or our secret cannot produce one."""

from __future__ import annotations

import hashlib
import secrets

from fastapi import Request
from itsdangerous import BadSignature, Signer

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_COOKIE = "sigap_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
CSRF_COOKIE_MAX_AGE_S = 180 * 24 * 3600


def content_security_policy(*, tile_origin: str | None) -> str:
    images = "'self' data: blob:" + (f" {tile_origin}" if tile_origin else "")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self'",
            "media-src 'self' blob: mediastream:",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(*, tile_origin: str | None, https: bool) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": content_security_policy(tile_origin=tile_origin),
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "same-origin",
        "permissions-policy": "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()",
    }
    if https:
        headers["strict-transport-security"] = "max-age=31536000"
    return [(name.encode(), value.encode()) for name, value in headers.items()]


def new_csrf_id() -> str:
    return secrets.token_urlsafe(32)


class CsrfGuard:
    def __init__(self, secret: bytes) -> None:
        self._signer = Signer(secret, salt="sigap-web-csrf", digest_method=hashlib.sha256)

    def token(self, *, csrf_id: str, session_id: str | None) -> str:
        return self._signer.get_signature(f"{csrf_id}|{session_id or ''}").decode()

    def valid(self, token: str | None, *, csrf_id: str, session_id: str | None) -> bool:
        if not token:
            return False
        try:
            return self._signer.verify_signature(f"{csrf_id}|{session_id or ''}".encode(), token.encode())
        except BadSignature:
            return False


def expected_origin(request: Request, public_origin: str | None) -> str:
    if public_origin:
        return public_origin.rstrip("/")
    return f"{request.url.scheme}://{request.headers.get('host', '')}"


def from_this_origin(request: Request, public_origin: str | None) -> bool:
    """Origin (every browser sends it on POST), else Sec-Fetch-Site, else Referer; a request
    with none of them is refused."""
    expected = expected_origin(request, public_origin)
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == expected
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    referer = request.headers.get("referer")
    return referer is not None and (referer == expected or referer.startswith(expected + "/"))
