"""What departments register to hear about their complaints: their admins' and field
officers' mail addresses and their systems' webhooks. Functions take a connection and never
commit."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg


async def department_emails(*, conn: asyncpg.Connection, department: str) -> list[str]:
    emails = await conn.fetchval("SELECT emails FROM department_contacts WHERE department = $1", department)
    return list(emails or [])


async def set_department_emails(*, conn: asyncpg.Connection, department: str, emails: Sequence[str]) -> None:
    await conn.execute(
        "INSERT INTO department_contacts (department, emails) VALUES ($1, $2)"
        " ON CONFLICT (department) DO UPDATE SET emails = EXCLUDED.emails, updated_at = now()",
        department,
        list(emails),
    )


async def officer_emails(*, conn: asyncpg.Connection, department: str, username: str) -> list[str]:
    emails = await conn.fetchval(
        "SELECT emails FROM officer_contacts WHERE department = $1 AND username = $2", department, username
    )
    return list(emails or [])


async def list_officer_contacts(*, conn: asyncpg.Connection, department: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT username, emails, updated_at, updated_by FROM officer_contacts WHERE department = $1 ORDER BY username",
        department,
    )


async def set_officer_emails(
    *, conn: asyncpg.Connection, department: str, username: str, emails: Sequence[str], updated_by: str
) -> asyncpg.Record:
    return await conn.fetchrow(
        """
        INSERT INTO officer_contacts (department, username, emails, updated_by) VALUES ($1, $2, $3, $4)
        ON CONFLICT (department, username) DO UPDATE
        SET emails = EXCLUDED.emails, updated_by = EXCLUDED.updated_by, updated_at = now()
        RETURNING username, emails, updated_at, updated_by
        """,
        department,
        username,
        list(emails),
        updated_by,
    )


async def delete_officer_contacts(*, conn: asyncpg.Connection, department: str, username: str) -> bool:
    result = await conn.execute(
        "DELETE FROM officer_contacts WHERE department = $1 AND username = $2", department, username
    )
    return result != "DELETE 0"


async def get_webhook(*, conn: asyncpg.Connection, subscription_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, department, url, secret_sealed, legacy_secret, active, created_at, created_by"
        " FROM webhook_subscriptions WHERE id = $1",
        subscription_id,
    )


async def list_webhooks(*, conn: asyncpg.Connection, department: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, department, url, active, created_at, created_by FROM webhook_subscriptions"
        " WHERE $1::text IS NULL OR department = $1 ORDER BY created_at",
        department,
    )


async def create_webhook(
    *,
    conn: asyncpg.Connection,
    subscription_id: UUID,
    department: str,
    url: str,
    secret_sealed: bytes,
    created_by: str,
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO webhook_subscriptions (id, department, url, secret_sealed, created_by)"
        " VALUES ($1, $2, $3, $4, $5)"
        " RETURNING id, department, url, active, created_at, created_by",
        subscription_id,
        department,
        url,
        secret_sealed,
        created_by,
    )


async def lock_legacy_webhook_secrets(*, conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Webhooks whose secret is still plaintext (written before secrets were sealed)."""
    return await conn.fetch(
        "SELECT id, legacy_secret FROM webhook_subscriptions WHERE legacy_secret IS NOT NULL FOR UPDATE"
    )


async def seal_webhook_secret(*, conn: asyncpg.Connection, subscription_id: UUID, secret_sealed: bytes) -> None:
    await conn.execute(
        "UPDATE webhook_subscriptions SET secret_sealed = $2, legacy_secret = NULL WHERE id = $1",
        subscription_id,
        secret_sealed,
    )


async def deactivate_webhook(*, conn: asyncpg.Connection, subscription_id: UUID) -> bool:
    result = await conn.execute("UPDATE webhook_subscriptions SET active = false WHERE id = $1", subscription_id)
    return result != "UPDATE 0"
