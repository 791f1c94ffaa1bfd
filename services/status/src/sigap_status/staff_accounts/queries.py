"""SQL for staff accounts, their setup codes and their audit trail. Functions take `*, conn`
and never commit: the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import orjson

_ACCOUNT_COLUMNS = """
    u.username, u.role, u.department, u.active, u.created_at, u.updated_at,
    u.password_hash IS NOT NULL AS has_password,
    (SELECT max(c.expires_at) FROM staff_setup_codes c
      WHERE c.username = u.username AND c.used_at IS NULL AND c.revoked_at IS NULL AND c.expires_at > now())
        AS setup_code_expires_at
"""


async def insert_account(
    *, conn: asyncpg.Connection, username: str, role: str, department: str | None, password_hash: str | None
) -> bool:
    """False when the username is taken."""
    inserted = await conn.fetchval(
        "INSERT INTO staff_users (username, password_hash, role, department) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (username) DO NOTHING RETURNING true",
        username,
        password_hash,
        role,
        department,
    )
    return bool(inserted)


async def lock_account(*, conn: asyncpg.Connection, username: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT username, role, department, active FROM staff_users WHERE username = $1 FOR UPDATE", username
    )


async def get_account(*, conn: asyncpg.Connection, username: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_ACCOUNT_COLUMNS} FROM staff_users u WHERE u.username = $1", username)


async def list_accounts(
    *,
    conn: asyncpg.Connection,
    department: str | None = None,
    role: str | None = None,
    active: bool | None = None,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_ACCOUNT_COLUMNS} FROM staff_users u"
        " WHERE ($1::text IS NULL OR u.department = $1)"
        "   AND ($2::text IS NULL OR u.role = $2)"
        "   AND ($3::boolean IS NULL OR u.active = $3)"
        " ORDER BY u.department NULLS FIRST, u.username",
        department,
        role,
        active,
    )


async def set_active(*, conn: asyncpg.Connection, username: str, active: bool) -> None:
    await conn.execute("UPDATE staff_users SET active = $2, updated_at = now() WHERE username = $1", username, active)


async def set_password_hash(*, conn: asyncpg.Connection, username: str, password_hash: str | None) -> None:
    await conn.execute(
        "UPDATE staff_users SET password_hash = $2, updated_at = now() WHERE username = $1", username, password_hash
    )


async def revoke_setup_codes(*, conn: asyncpg.Connection, username: str) -> None:
    await conn.execute(
        "UPDATE staff_setup_codes SET revoked_at = now()"
        " WHERE username = $1 AND used_at IS NULL AND revoked_at IS NULL",
        username,
    )


async def store_setup_code(
    *, conn: asyncpg.Connection, code_hash: bytes, username: str, issued_by: str, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO staff_setup_codes (code_hash, username, issued_by, expires_at) VALUES ($1, $2, $3, $4)",
        code_hash,
        username,
        issued_by,
        expires_at,
    )


async def claim_setup_code(*, conn: asyncpg.Connection, code_hash: bytes) -> asyncpg.Record | None:
    """The setup code with this digest, locked, with whether its account is active."""
    return await conn.fetchrow(
        "SELECT c.code_hash, c.username, c.expires_at, c.used_at, c.revoked_at, u.active"
        " FROM staff_setup_codes c JOIN staff_users u USING (username)"
        " WHERE c.code_hash = $1 FOR UPDATE OF c, u",
        code_hash,
    )


async def mark_setup_code_used(*, conn: asyncpg.Connection, code_hash: bytes) -> None:
    await conn.execute("UPDATE staff_setup_codes SET used_at = now() WHERE code_hash = $1", code_hash)


async def add_audit_entry(
    *, conn: asyncpg.Connection, actor: str, action: str, username: str, detail: dict[str, Any] | None = None
) -> None:
    await conn.execute(
        "INSERT INTO staff_account_audit (actor, action, username, detail) VALUES ($1, $2, $3, $4::jsonb)",
        actor,
        action,
        username,
        orjson.dumps(detail or {}).decode(),
    )


async def list_audit(*, conn: asyncpg.Connection, username: str | None = None, limit: int = 100) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, at, actor, action, username, detail FROM staff_account_audit"
        " WHERE ($1::text IS NULL OR username = $1) ORDER BY at DESC, id DESC LIMIT $2",
        username,
        limit,
    )
