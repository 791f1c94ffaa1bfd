"""What a city admin (over HTTP) or an operator (with `sigap-status-admin`) does to staff
accounts. One transaction each; every change leaves an audit entry naming who did it.

A new account, or one whose password is reset, gets no password from the admin: it gets a
one-time setup code that its owner uses to choose their own (`set_password_with_code`).
Deactivating an account revokes its refresh tokens and setup codes at once; its access
tokens are refused by status immediately and by routing and notify within their staff check
TTL (services/status/STAFF_CONTRACT.md)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from sigap_status.auth import queries as sessions
from sigap_status.auth import rules as accounts
from sigap_status.staff_accounts import queries, rules
from sigap_status.staff_accounts.errors import (
    AccountInactive,
    AccountNotFound,
    InvalidSetupCode,
    OwnAccount,
    UsernameTaken,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SetupCode:
    username: str
    code: str  # shown once to whoever issued it; only its digest is stored
    expires_at: datetime


async def _issue_setup_code(*, conn: asyncpg.Connection, actor: str, username: str, now: datetime) -> SetupCode:
    await queries.revoke_setup_codes(conn=conn, username=username)
    code = rules.new_setup_code()
    expires_at = now + rules.SETUP_CODE_TTL
    await queries.store_setup_code(
        conn=conn, code_hash=rules.setup_code_digest(code), username=username, issued_by=actor, expires_at=expires_at
    )
    await queries.add_audit_entry(
        conn=conn, actor=actor, action="setup_code_issued", username=username, detail={"expires_at": expires_at.isoformat()}
    )
    return SetupCode(username=username, code=code, expires_at=expires_at)


async def create_account(
    *,
    conn: asyncpg.Connection,
    actor: str,
    username: str,
    role: str,
    department: str | None,
    password: str | None = None,
    now: datetime | None = None,
) -> SetupCode | None:
    """Create an account. With `password` (the CLI's first admin) it can log in at once;
    without, it gets a setup code, returned here and never stored in the clear."""
    now = now or datetime.now(UTC)
    department = department.strip().upper() if department else None
    accounts.validate_account(username=username, role=role, department=department)
    password_hash = None if password is None else await asyncio.to_thread(accounts.hash_password, password)
    async with conn.transaction():
        if not await queries.insert_account(
            conn=conn, username=username, role=role, department=department, password_hash=password_hash
        ):
            raise UsernameTaken(username)
        await queries.add_audit_entry(
            conn=conn, actor=actor, action="created", username=username, detail={"role": role, "department": department}
        )
        setup = None if password is not None else await _issue_setup_code(conn=conn, actor=actor, username=username, now=now)
    log.info("staff_account_created", username=username, role=role, department=department, by=actor)
    return setup


async def set_active(*, conn: asyncpg.Connection, actor: str, username: str, active: bool) -> bool:
    """Deactivate or reactivate; False when the account already was so (nothing audited)."""
    if not active and actor == username:
        raise OwnAccount()
    async with conn.transaction():
        account = await queries.lock_account(conn=conn, username=username)
        if account is None:
            raise AccountNotFound(username)
        if account["active"] == active:
            return False
        await queries.set_active(conn=conn, username=username, active=active)
        if not active:
            await sessions.revoke_user_refresh_tokens(conn=conn, username=username)
            await queries.revoke_setup_codes(conn=conn, username=username)
        await queries.add_audit_entry(
            conn=conn, actor=actor, action="reactivated" if active else "deactivated", username=username
        )
    log.info("staff_account_reactivated" if active else "staff_account_deactivated", username=username, by=actor)
    return True


async def reset_with_setup_code(
    *, conn: asyncpg.Connection, actor: str, username: str, now: datetime | None = None
) -> SetupCode:
    """Reset a password without choosing one: the old password stops working, the account's
    sessions end, and its owner sets a new password with the setup code returned."""
    now = now or datetime.now(UTC)
    async with conn.transaction():
        account = await queries.lock_account(conn=conn, username=username)
        if account is None:
            raise AccountNotFound(username)
        if not account["active"]:
            raise AccountInactive(username)
        await queries.set_password_hash(conn=conn, username=username, password_hash=None)
        await sessions.revoke_user_refresh_tokens(conn=conn, username=username)
        await queries.add_audit_entry(conn=conn, actor=actor, action="password_reset", username=username)
        setup = await _issue_setup_code(conn=conn, actor=actor, username=username, now=now)
    log.info("staff_password_reset", username=username, by=actor)
    return setup


async def set_password(*, conn: asyncpg.Connection, actor: str, username: str, password: str) -> None:
    """Set a password directly (the CLI, run by an operator with database access); the
    account's sessions end and its failed-login lock lifts."""
    password_hash = await asyncio.to_thread(accounts.hash_password, password)
    async with conn.transaction():
        if await queries.lock_account(conn=conn, username=username) is None:
            raise AccountNotFound(username)
        await _store_password(conn=conn, username=username, password_hash=password_hash)
        await queries.add_audit_entry(conn=conn, actor=actor, action="password_set", username=username)
    log.info("staff_password_set", username=username, by=actor)


async def set_password_with_code(
    *, conn: asyncpg.Connection, username: str, code: str, password: str, now: datetime | None = None
) -> None:
    """The account's owner chooses their password with the setup code they were given. Any
    mismatch (unknown code, another account's, used, replaced, expired, account inactive)
    is the same `InvalidSetupCode`, so the answer tells a guesser nothing."""
    now = now or datetime.now(UTC)
    accounts.validate_password(password)
    name = username.strip().lower()
    password_hash = await asyncio.to_thread(accounts.hash_password, password)
    async with conn.transaction():
        stored = await queries.claim_setup_code(conn=conn, code_hash=rules.setup_code_digest(code))
        if (
            stored is None
            or stored["username"] != name
            or stored["used_at"] is not None
            or stored["revoked_at"] is not None
            or stored["expires_at"] <= now
            or not stored["active"]
        ):
            log.info("staff_setup_code_refused")
            raise InvalidSetupCode()
        await queries.mark_setup_code_used(conn=conn, code_hash=stored["code_hash"])
        await _store_password(conn=conn, username=name, password_hash=password_hash)
        await queries.add_audit_entry(
            conn=conn, actor=name, action="password_set", username=name, detail={"with": "setup_code"}
        )
    log.info("staff_password_set", username=name, by=name, method="setup_code")


async def _store_password(*, conn: asyncpg.Connection, username: str, password_hash: str) -> None:
    await queries.set_password_hash(conn=conn, username=username, password_hash=password_hash)
    await sessions.revoke_user_refresh_tokens(conn=conn, username=username)
    await queries.revoke_setup_codes(conn=conn, username=username)
    # A new password lifts a lock that guessers put on the account.
    await sessions.clear_login_failures(conn=conn, subjects=[("username", username)])
