"""SQL for staff sessions: accounts as login reads them, refresh tokens and failed-login
counts. Functions take `*, conn` and never commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg


async def get_staff_user(*, conn: asyncpg.Connection, username: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT username, password_hash, role, department, active, created_at FROM staff_users WHERE username = $1",
        username,
    )


async def store_refresh_token(
    *, conn: asyncpg.Connection, token_hash: bytes, family_id: UUID, username: str, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, username, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash,
        family_id,
        username,
        expires_at,
    )


async def get_refresh_token_for_update(*, conn: asyncpg.Connection, token_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT token_hash, family_id, username, expires_at, used_at, revoked_at FROM refresh_tokens"
        " WHERE token_hash = $1 FOR UPDATE",
        token_hash,
    )


async def mark_refresh_token_used(*, conn: asyncpg.Connection, token_hash: bytes) -> None:
    await conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1", token_hash)


async def revoke_refresh_family(*, conn: asyncpg.Connection, family_id: UUID) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", family_id
    )


async def revoke_user_refresh_tokens(*, conn: asyncpg.Connection, username: str) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE username = $1 AND revoked_at IS NULL", username
    )


async def reserve_login_attempt(
    *,
    conn: asyncpg.Connection,
    subjects: list[tuple[str, str]],
    now: datetime,
    window_s: int,
    max_per_username: int,
    max_per_ip: int,
) -> list[asyncpg.Record]:
    """Count an attempt against each subject before its password is checked, in one statement
    (the row lock of the upsert orders parallel attempts), so however many arrive at once, no
    more than the limit get a password check. A window that has closed starts again at 1; past
    the limit the count stays at limit + 1. Returns (scope, subject, failures, window_start).
    Run outside a transaction: other attempts must see the count at once."""
    closed_before = now - timedelta(seconds=window_s)
    return await conn.fetch(
        """
        INSERT INTO login_failures AS f (scope, subject, failures, window_start)
        SELECT scope, subject, 1, $3::timestamptz FROM unnest($1::text[], $2::text[]) AS wanted (scope, subject)
        ON CONFLICT (scope, subject) DO UPDATE SET
            failures = CASE WHEN f.window_start > $4
                            THEN least(f.failures + 1, CASE f.scope WHEN 'username' THEN $5::int ELSE $6::int END + 1)
                            ELSE 1 END,
            window_start = CASE WHEN f.window_start > $4 THEN f.window_start ELSE EXCLUDED.window_start END
        RETURNING f.scope, f.subject, f.failures, f.window_start
        """,
        [scope for scope, _ in subjects],
        [subject for _, subject in subjects],
        now,
        closed_before,
        max_per_username,
        max_per_ip,
    )


async def release_login_attempt(*, conn: asyncpg.Connection, subjects: list[tuple[str, str]]) -> None:
    """Take back an attempt counted by `reserve_login_attempt` that was no failure (the
    password was right, or another limit refused the attempt before its check)."""
    await conn.execute(
        "UPDATE login_failures SET failures = failures - 1 WHERE failures > 0 AND (scope, subject) IN"
        " (SELECT * FROM unnest($1::text[], $2::text[]))",
        [scope for scope, _ in subjects],
        [subject for _, subject in subjects],
    )


async def forget_closed_login_windows(*, conn: asyncpg.Connection, now: datetime, window_s: int) -> None:
    closed_before = now - timedelta(seconds=window_s)
    # Closed windows are forgotten a little at a time, so the table stays small.
    await conn.execute(
        "DELETE FROM login_failures WHERE ctid = ANY(ARRAY("
        "SELECT ctid FROM login_failures WHERE window_start <= $1 LIMIT 100))",
        closed_before,
    )


async def clear_login_failures(*, conn: asyncpg.Connection, subjects: list[tuple[str, str]]) -> None:
    await conn.execute(
        "DELETE FROM login_failures WHERE (scope, subject) IN"
        " (SELECT * FROM unnest($1::text[], $2::text[]))",
        [scope for scope, _ in subjects],
        [subject for _, subject in subjects],
    )
