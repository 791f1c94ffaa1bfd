"""Staff identity shared by every service: short-lived JWT access tokens (HS256, secret from
`SIGAP_JWT_SECRET`) that the status service issues at login and any service verifies.

Claims: `sub` (username), `role` (city_admin | dept_admin | field_officer | auditor),
`dept` (department code, or null for city-wide roles), `typ` ("access"), `iat`, `exp`."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request

from sigap_shared.problems import Problem, Text

Role = Literal["city_admin", "dept_admin", "field_officer", "auditor"]
ROLES: tuple[Role, ...] = ("city_admin", "dept_admin", "field_officer", "auditor")
ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class StaffPrincipal:
    username: str
    role: Role
    department: str | None = None

    @property
    def is_city_wide(self) -> bool:
        return self.role in ("city_admin", "auditor")


def may_see_complaint(
    staff: StaffPrincipal, *, departments: Iterable[str | None], assigned_officer: str | None = None
) -> bool:
    """The one isolation rule of every service: city-wide roles see every complaint; a
    department's staff see the complaints their department leads or supports
    (`departments`); a field officer only those assigned to them there. A service that does
    not know the assignment passes None, so field officers see nothing of a complaint there.
    A complaint someone may not see answers exactly as an unknown one (404), so its existence
    does not leak across departments."""
    if staff.is_city_wide:
        return True
    if staff.department is None or staff.department not in set(departments):
        return False
    if staff.role == "field_officer":
        return assigned_officer == staff.username
    return True


class AuthError(Exception):
    """A token that is missing, malformed, expired or forged."""


def issue_access_token(principal: StaffPrincipal, *, secret: str, ttl_s: int = 900, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": principal.username,
        "role": principal.role,
        "dept": principal.department,
        "typ": "access",
        "iat": issued,
        "exp": issued + ttl_s,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, *, secret: str) -> StaffPrincipal:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "role"]})
    except jwt.PyJWTError as exc:
        raise AuthError(str(exc)) from exc
    if claims.get("typ") != "access":
        raise AuthError("not an access token")
    if claims["role"] not in ROLES:
        raise AuthError(f"unknown role {claims['role']!r}")
    if claims["role"] in ("dept_admin", "field_officer") and not claims.get("dept"):
        raise AuthError("department role without a department")
    return StaffPrincipal(username=claims["sub"], role=claims["role"], department=claims.get("dept"))


def _unauthorized(detail_en: str) -> Problem:
    return Problem(
        status=401,
        slug="unauthorized",
        title=Text("Perlu masuk (login) sebagai petugas", "Staff login required"),
        detail=Text(
            "Token akses tidak ada, tidak valid, atau sudah kedaluwarsa. Silakan login kembali.",
            f"The access token is missing, invalid or expired ({detail_en}). Please log in again.",
        ),
        headers={"WWW-Authenticate": 'Bearer realm="sigap"'},
    )


async def current_staff(request: Request) -> StaffPrincipal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("no bearer token")
    secret = request.app.state.settings.jwt_secret.get_secret_value()
    try:
        return decode_access_token(token.strip(), secret=secret)
    except AuthError as exc:
        raise _unauthorized(str(exc)) from None


CurrentStaff = Annotated[StaffPrincipal, Depends(current_staff)]
