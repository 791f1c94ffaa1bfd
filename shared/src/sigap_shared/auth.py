"""Staff identity shared by every service: short-lived JWT access tokens (HS256, secret from
`SIGAP_JWT_SECRET`) that the status service issues at login and any service verifies, and the
bearer token services present to each other's internal APIs (`SIGAP_INTERNAL_TOKEN`).

Claims: `sub` (username), `role` (city_admin | dept_admin | field_officer | auditor | dpo),
`dept` (department code, or null for city-wide roles), `typ` ("access"), `iat`, `exp`.

A signature proves who logged in, not that the account is still active: `CurrentStaff` also
asks the app's staff directory (`sigap_shared.staff_directory`), which routing and notify point
at status, so a deactivated, changed or unknown account is refused within a bounded time."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import jwt
from fastapi import Depends, Header, Request

from sigap_shared.problems import Problem, Text

# dpo: the city's data protection officer (UU 27/2022), who answers personal-data requests;
# city-wide but sees no complaint through the staff screens (not `is_city_wide`).
Role = Literal["city_admin", "dept_admin", "field_officer", "auditor", "dpo"]
ROLES: tuple[Role, ...] = ("city_admin", "dept_admin", "field_officer", "auditor", "dpo")
ALGORITHM = "HS256"

# Who may call an operation is declared on the dependencies that check it, so the OpenAPI
# document (`sigap_shared.openapi`) reads it from the route's dependencies and cannot drift.
_ROLES_ATTRIBUTE = "sigap_roles"
_INTERNAL_ATTRIBUTE = "sigap_internal"
_Dependency = TypeVar("_Dependency", bound=Callable[..., Any])


def declares_roles(*roles: Role) -> Callable[[_Dependency], _Dependency]:
    """Mark a dependency as admitting only staff with one of `roles` (it must refuse the others)."""

    def mark(dependency: _Dependency) -> _Dependency:
        setattr(dependency, _ROLES_ATTRIBUTE, frozenset(roles))
        return dependency

    return mark


def roles_declared_by(dependency: Callable[..., Any] | None) -> frozenset[str] | None:
    """The roles a dependency admits, or None when it does not check staff."""
    return getattr(dependency, _ROLES_ATTRIBUTE, None)


def is_internal_gate(dependency: Callable[..., Any] | None) -> bool:
    """Whether a dependency admits only services presenting `SIGAP_INTERNAL_TOKEN`."""
    return bool(getattr(dependency, _INTERNAL_ATTRIBUTE, False))


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
    """A token that is missing, malformed, expired or forged, or whose account is no longer
    active with the token's role and department."""


class StaffDirectoryUnavailable(Exception):
    """The staff directory (status) could not say whether an account is active right now."""


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
    return _staff_login_required(
        Text(
            "Token akses tidak ada, tidak valid, atau sudah kedaluwarsa. Silakan login kembali.",
            f"The access token is missing, invalid or expired ({detail_en}). Please log in again.",
        )
    )


def _staff_login_required(detail: Text) -> Problem:
    return Problem(
        status=401,
        slug="unauthorized",
        title=Text("Perlu masuk (login) sebagai petugas", "Staff login required"),
        detail=detail,
        headers={"WWW-Authenticate": 'Bearer realm="sigap"'},
    )


@declares_roles(*ROLES)
async def current_staff(request: Request) -> StaffPrincipal:
    """Who the token's signature names. Status, which owns the accounts, checks the account in
    its own database next; other services use `CurrentStaff`."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("no bearer token")
    secret = request.app.state.settings.jwt_secret.get_secret_value()
    try:
        return decode_access_token(token.strip(), secret=secret)
    except AuthError as exc:
        raise _unauthorized(str(exc)) from None


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """What status knows of an account now (a token says what it was at login)."""

    username: str
    role: str
    department: str | None
    active: bool


def check_account(principal: StaffPrincipal, account: StaffAccount | None) -> None:
    """Raise `AuthError` unless the account the token names exists, is active, and still has
    the token's role and department (a token outlives a deactivation or a move)."""
    if account is None:
        raise AuthError("unknown staff account")
    if not account.active:
        raise AuthError("staff account deactivated")
    if (account.role, account.department) != (principal.role, principal.department):
        raise AuthError("staff account's role or department changed")


def account_refused(error: AuthError) -> Problem:
    return _staff_login_required(
        Text(
            "Akun ini tidak dikenal, sudah dinonaktifkan, atau perannya berubah. Silakan login kembali.",
            f"This account is unknown, deactivated or its role changed ({error}). Please log in again.",
        )
    )


@declares_roles(*ROLES)
async def verified_staff(request: Request) -> StaffPrincipal:
    """A validly signed token whose account the staff directory confirms as active with the
    same role and department."""
    principal = await current_staff(request)
    try:
        await request.app.state.staff_directory.check(principal)
    except AuthError as exc:
        raise account_refused(exc) from None
    except StaffDirectoryUnavailable:
        raise Problem(
            status=503,
            slug="staff-check-unavailable",
            title=Text("Akun petugas tidak dapat diperiksa", "The staff account cannot be checked"),
            detail=Text(
                "Layanan status, yang menyimpan akun petugas, tidak dapat dihubungi. Tidak ada yang diubah; "
                "coba lagi sebentar lagi.",
                "The status service, which holds staff accounts, cannot be reached. Nothing was changed; "
                "try again shortly.",
            ),
            headers={"Retry-After": "5"},
        ) from None
    return principal


CurrentStaff = Annotated[StaffPrincipal, Depends(verified_staff)]


def role_refused(role: str, allowed: Iterable[str]) -> Problem:
    names = ", ".join(sorted(allowed))
    return Problem(
        status=403,
        slug="forbidden",
        title=Text("Tidak berwenang", "Not permitted"),
        detail=Text(
            f"Peran Anda ({role}) tidak boleh melakukan ini; yang boleh: {names}.",
            f"Your role ({role}) may not do this; allowed roles: {names}.",
        ),
    )


def staff_with_roles(
    *roles: Role, staff: Callable[..., Awaitable[StaffPrincipal]] = verified_staff
) -> Callable[..., Awaitable[StaffPrincipal]]:
    """A dependency: the staff member `staff` establishes, refused with 403 unless their role is
    one of `roles`. The roles travel with the dependency, so the OpenAPI document names them.
    Department scoping (which complaints, which department) stays with the route."""
    allowed = frozenset(roles)

    # A default rather than an Annotated parameter: annotations are strings in this module, and
    # `staff` is local to the factory.
    @declares_roles(*roles)
    async def staff_in_role(principal: StaffPrincipal = Depends(staff)) -> StaffPrincipal:
        if principal.role not in allowed:
            raise role_refused(principal.role, allowed)
        return principal

    return staff_in_role


# The role gates of services whose staff checks go through the staff directory (routing, notify).
CityAdmin = Annotated[StaffPrincipal, Depends(staff_with_roles("city_admin"))]
DepartmentManager = Annotated[StaffPrincipal, Depends(staff_with_roles("city_admin", "dept_admin"))]


def require_internal_token(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """For internal APIs (not exposed to the internet): the caller presents the shared
    `SIGAP_INTERNAL_TOKEN` as a bearer token."""
    configured = request.app.state.settings.internal_token
    expected = "Bearer " + configured.get_secret_value() if configured is not None else None
    if expected is None or authorization is None or not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise Problem(
            status=401,
            slug="unauthorized",
            title=Text("Tidak diizinkan", "Unauthorized"),
            detail=Text(
                "Token layanan internal tidak ada atau salah.", "The internal service token is missing or wrong."
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )


setattr(require_internal_token, _INTERNAL_ATTRIBUTE, True)
