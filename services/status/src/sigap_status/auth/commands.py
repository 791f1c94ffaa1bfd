"""Staff sessions: login (failed attempts counted and throttled per username and per client
address), refresh-token rotation with reuse detection. One transaction each."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import structlog

from sigap_shared.auth import StaffPrincipal, issue_access_token
from sigap_shared.errors import Text
from sigap_status.auth import queries, rules
from sigap_status.errors import StatusError

log = structlog.get_logger(__name__)


class InvalidCredentials(StatusError):
    def __init__(self) -> None:
        super().__init__(
            "invalid-credentials",
            Text(
                "Nama pengguna atau kata sandi salah, atau akun tidak aktif.",
                "Wrong username or password, or the account is not active.",
            ),
        )


class LoginThrottled(StatusError):
    """Too many failed logins for this username or from this address: wait `retry_after_s`."""

    def __init__(self, retry_after_s: int) -> None:
        minutes = max(1, -(-retry_after_s // 60))
        super().__init__(
            "too-many-login-attempts",
            Text(
                f"Terlalu banyak login gagal untuk akun ini atau dari alamat ini. Coba lagi dalam {minutes} menit.",
                f"Too many failed logins for this account or from this address. Try again in {minutes} minute(s).",
            ),
        )
        self.retry_after_s = retry_after_s
        self.extensions = {"retry_after_s": retry_after_s}


class InvalidRefreshToken(StatusError):
    def __init__(self) -> None:
        super().__init__(
            "invalid-refresh-token",
            Text(
                "Refresh token tidak dikenal, sudah dipakai, dicabut, atau kedaluwarsa. Silakan login kembali.",
                "The refresh token is unknown, already used, revoked or expired. Please log in again.",
            ),
        )


@dataclass(frozen=True, slots=True)
class Session:
    access_token: str
    refresh_token: str
    expires_in: int
    principal: StaffPrincipal


async def _open_session(
    *, conn: asyncpg.Connection, user: asyncpg.Record, family_id: UUID, secret: str, access_ttl_s: int, refresh_ttl_s: int
) -> Session:
    principal = StaffPrincipal(username=user["username"], role=user["role"], department=user["department"])
    refresh = rules.new_refresh_token()
    await queries.store_refresh_token(
        conn=conn,
        token_hash=rules.refresh_token_digest(refresh),
        family_id=family_id,
        username=user["username"],
        expires_at=datetime.now(UTC) + timedelta(seconds=refresh_ttl_s),
    )
    return Session(
        access_token=issue_access_token(principal, secret=secret, ttl_s=access_ttl_s),
        refresh_token=refresh,
        expires_in=access_ttl_s,
        principal=principal,
    )


async def login(
    *,
    conn: asyncpg.Connection,
    username: str,
    password: str,
    secret: str,
    access_ttl_s: int,
    refresh_ttl_s: int,
    client_ip: str | None = None,
    limits: rules.LoginLimits | None = None,
    now: datetime | None = None,
) -> Session:
    """Check the password; with `limits`, attempts are counted per username and per client
    address (in the database, so every replica sees them) before the password is checked, and
    throttled past the limit. A successful login takes its attempt back and clears its
    username's count (not its address's)."""
    now = now or datetime.now(UTC)
    name = username.strip().lower()
    subjects = rules.login_subjects(username=name, client_ip=client_ip)
    if limits is not None:
        await _reserve_login_attempt(conn=conn, subjects=subjects, limits=limits, now=now)
    user = await queries.get_staff_user(conn=conn, username=name)
    # argon2 takes tens of milliseconds of CPU: in a thread, so other requests are served meanwhile.
    valid = await asyncio.to_thread(rules.verify_password, user["password_hash"] if user else None, password)
    if user is None or not valid or not user["active"]:
        # The attempt reserved above stays counted as this failure.
        if limits is not None:
            await queries.forget_closed_login_windows(conn=conn, now=now, window_s=limits.window_s)
        log.info("staff_login_refused")
        raise InvalidCredentials()
    async with conn.transaction():
        if limits is not None:
            await queries.clear_login_failures(conn=conn, subjects=[("username", name)])
            await queries.release_login_attempt(conn=conn, subjects=[s for s in subjects if s[0] == "ip"])
        if rules.needs_rehash(user["password_hash"]):
            await queries.set_password_hash(
                conn=conn, username=user["username"], password_hash=rules.hash_password(password)
            )
        session = await _open_session(
            conn=conn,
            user=user,
            family_id=uuid.uuid4(),
            secret=secret,
            access_ttl_s=access_ttl_s,
            refresh_ttl_s=refresh_ttl_s,
        )
    log.info("staff_logged_in", username=user["username"], role=user["role"])
    return session


async def _reserve_login_attempt(
    *, conn: asyncpg.Connection, subjects: list[tuple[str, str]], limits: rules.LoginLimits, now: datetime
) -> None:
    """Take a place in the counts before the password is checked (committed at once, so
    parallel attempts see it); raise `LoginThrottled` past a limit, giving back the places the
    other limits granted."""
    reserved = await queries.reserve_login_attempt(
        conn=conn,
        subjects=subjects,
        now=now,
        window_s=limits.window_s,
        max_per_username=limits.max_per_username,
        max_per_ip=limits.max_per_ip,
    )
    wait = rules.login_retry_after(
        [(row["scope"], row["failures"], row["window_start"]) for row in reserved], limits=limits, now=now
    )
    if wait is None:
        return
    await queries.release_login_attempt(
        conn=conn,
        subjects=[
            (row["scope"], row["subject"]) for row in reserved if row["failures"] <= limits.limit_for(row["scope"])
        ],
    )
    log.warning("staff_login_throttled", retry_after_s=wait)
    raise LoginThrottled(wait)


async def refresh(
    *, conn: asyncpg.Connection, refresh_token: str, secret: str, access_ttl_s: int, refresh_ttl_s: int
) -> Session:
    """Rotate a refresh token. Presenting one already used means it leaked: the whole family
    (this login's chain of tokens) is revoked."""
    async with conn.transaction():
        stored = await queries.get_refresh_token_for_update(
            conn=conn, token_hash=rules.refresh_token_digest(refresh_token)
        )
        if stored is None:
            raise InvalidRefreshToken()
        if stored["used_at"] is not None and stored["revoked_at"] is None:
            await queries.revoke_refresh_family(conn=conn, family_id=stored["family_id"])
            log.warning("refresh_token_reused", username=stored["username"])
            reused = True
        else:
            reused = False
        user = await queries.get_staff_user(conn=conn, username=stored["username"])
        if (
            reused
            or stored["revoked_at"] is not None
            or stored["expires_at"] <= datetime.now(UTC)
            or user is None
            or not user["active"]
        ):
            invalid = True
        else:
            invalid = False
            await queries.mark_refresh_token_used(conn=conn, token_hash=stored["token_hash"])
            session = await _open_session(
                conn=conn,
                user=user,
                family_id=stored["family_id"],
                secret=secret,
                access_ttl_s=access_ttl_s,
                refresh_ttl_s=refresh_ttl_s,
            )
    # The revocation above must commit even though the request is refused.
    if invalid:
        raise InvalidRefreshToken()
    return session
