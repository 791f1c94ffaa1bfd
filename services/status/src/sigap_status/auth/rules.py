"""Staff account rules: argon2id password hashes, opaque refresh tokens stored only as their
SHA-256, what makes a valid account, and when failed logins are throttled. Pure (CPU only,
no I/O)."""

from __future__ import annotations

import functools
import hashlib
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sigap_shared.auth import ROLES
from sigap_shared.errors import Text
from sigap_status.errors import InvalidInput

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 10
DEPARTMENT_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")

_hasher = PasswordHasher()  # argon2id with the library's current (RFC 9106 low-memory) defaults


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password, verified against when the username is unknown so a login
    takes as long either way; made on first use rather than at import."""
    return _hasher.hash(secrets.token_urlsafe(16))


class AccountError(InvalidInput):
    """An account or password that cannot be accepted; `field` names which part."""

    def __init__(self, field: str, message: Text) -> None:
        super().__init__(field, message)


def validate_account(*, username: str, role: str, department: str | None) -> None:
    if not USERNAME_PATTERN.fullmatch(username):
        raise AccountError(
            "username",
            Text(
                "Nama pengguna 3-64 karakter: huruf kecil, angka, titik, garis bawah atau strip",
                "Username must be 3-64 characters: lowercase letters, digits, dot, underscore or dash",
            ),
        )
    if role not in ROLES:
        raise AccountError(
            "role", Text("Peran harus salah satu dari: " + ", ".join(ROLES), "Role must be one of: " + ", ".join(ROLES))
        )
    if role in ("dept_admin", "field_officer"):
        if not department or not DEPARTMENT_PATTERN.fullmatch(department):
            raise AccountError(
                "department",
                Text(
                    "Peran ini wajib punya kode dinas (mis. DISHUB)",
                    "This role needs a department code (e.g. DISHUB)",
                ),
            )
    elif department is not None:
        raise AccountError(
            "department",
            Text(
                "Peran tingkat kota tidak terikat pada satu dinas",
                "City-wide roles do not belong to a department",
            ),
        )


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "password",
            Text(
                f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter",
                f"Password must be at least {MIN_PASSWORD_LENGTH} characters",
            ),
        )


def hash_password(password: str) -> str:
    validate_password(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_token_digest(token: str) -> bytes:
    # 256 bits of randomness need no slow hash; SHA-256 keeps lookups by digest exact.
    return hashlib.sha256(token.encode()).digest()


# -- failed-login throttling ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoginLimits:
    max_per_username: int
    max_per_ip: int
    window_s: int

    def limit_for(self, scope: str) -> int:
        return self.max_per_username if scope == "username" else self.max_per_ip


def login_subjects(*, username: str, client_ip: str | None) -> list[tuple[str, str]]:
    """What failed logins are counted against: (scope, subject) pairs."""
    subjects = [("username", username)]
    if client_ip:
        subjects.append(("ip", client_ip))
    return subjects


def login_retry_after(
    reserved: Sequence[tuple[str, int, datetime]], *, limits: LoginLimits, now: datetime
) -> int | None:
    """Seconds to wait before trying again, or None when this attempt may check its password.
    `reserved` are (scope, attempts counted, window start) with this attempt already counted:
    a fixed window opened by its first failure admits the limit's worth of password checks,
    then attempts wait until the window closes."""
    waits = []
    for scope, attempts, window_start in reserved:
        closes_in = (window_start + timedelta(seconds=limits.window_s) - now).total_seconds()
        if attempts > limits.limit_for(scope) and closes_in > 0:
            waits.append(math.ceil(closes_in))
    return max(waits) if waits else None
