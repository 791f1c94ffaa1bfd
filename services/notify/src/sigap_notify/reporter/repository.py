"""Reporters' direct subscriptions (a channel subscribed with tracking code and follow-up
token), addresses only ever stored sealed. Functions take a connection and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg


async def find_subscriptions(
    *, conn: asyncpg.Connection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], asyncpg.Record]:
    """Direct subscriptions by (tracking code, channel), many in one round trip (one unique
    index lookup per key, however small the table)."""
    rows = await conn.fetch(
        """
        SELECT s.tracking_code, s.channel, s.id, s.address_sealed, s.legacy_address, s.language
        FROM unnest($1::text[], $2::text[]) AS k(tracking_code, channel)
        CROSS JOIN LATERAL (
            -- LIMIT (the key is unique anyway) keeps this a per-key probe of the unique index:
            -- flattened into a join, the planner seq-scans a small table once per batch.
            SELECT * FROM reporter_subscriptions r
            WHERE r.tracking_code = k.tracking_code AND r.channel = k.channel
            LIMIT 1
        ) AS s
        """,
        [tracking_code for tracking_code, _ in keys],
        [channel for _, channel in keys],
    )
    return {(row["tracking_code"], row["channel"]): row for row in rows}


async def upsert_subscription(
    *,
    conn: asyncpg.Connection,
    subscription_id: UUID,
    tracking_code: str,
    complaint_id: UUID,
    channel: str,
    address_sealed: bytes,
    language: str,
) -> UUID:
    return await conn.fetchval(
        """
        INSERT INTO reporter_subscriptions (id, tracking_code, complaint_id, channel, address_sealed, language)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (tracking_code, channel) DO UPDATE
        SET address_sealed = EXCLUDED.address_sealed, legacy_address = NULL, language = EXCLUDED.language,
            created_at = now()
        RETURNING id
        """,
        subscription_id,
        tracking_code,
        complaint_id,
        channel,
        address_sealed,
        language,
    )


async def lock_legacy_subscription_addresses(*, conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Subscriptions whose address is still plaintext (written before addresses were sealed)."""
    return await conn.fetch(
        "SELECT id, tracking_code, channel, legacy_address FROM reporter_subscriptions"
        " WHERE legacy_address IS NOT NULL FOR UPDATE"
    )


async def seal_subscription_address(
    *, conn: asyncpg.Connection, subscription_id: UUID, address_sealed: bytes
) -> None:
    await conn.execute(
        "UPDATE reporter_subscriptions SET address_sealed = $2, legacy_address = NULL WHERE id = $1",
        subscription_id,
        address_sealed,
    )
