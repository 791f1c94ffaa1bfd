"""Message templates' SQL. Functions take a connection and never commit."""

from __future__ import annotations

import asyncpg


async def get_template(*, conn: asyncpg.Connection, key: str, language: str) -> asyncpg.Record | None:
    """The template in `language`, falling back to Indonesian."""
    return await conn.fetchrow(
        "SELECT key, language, subject, body, updated_at, updated_by FROM templates"
        " WHERE key = $1 AND language = ANY($2::text[]) ORDER BY (language = $3) DESC LIMIT 1",
        key,
        [language, "id"],
        language,
    )


async def list_templates(*, conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT key, language, subject, body, updated_at, updated_by FROM templates ORDER BY key, language"
    )


async def upsert_template(
    *, conn: asyncpg.Connection, key: str, language: str, subject: str, body: str, updated_by: str
) -> asyncpg.Record:
    return await conn.fetchrow(
        """
        INSERT INTO templates (key, language, subject, body, updated_by) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (key, language) DO UPDATE
        SET subject = EXCLUDED.subject, body = EXCLUDED.body, updated_by = EXCLUDED.updated_by, updated_at = now()
        RETURNING key, language, subject, body, updated_at, updated_by
        """,
        key,
        language,
        subject,
        body,
        updated_by,
    )
