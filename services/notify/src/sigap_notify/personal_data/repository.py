"""SQL for erasing a reporter's personal data at notify (`*, conn`, never commits)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from sigap_notify.recipients import ERASED_REPORTER, REPORTER_PREFIX

# Why a reporter's delivery that had not gone out yet never will.
ERASED_REASON = "reporter's personal data erased"


async def delete_subscriptions(*, conn: asyncpg.Connection, complaint_id: UUID) -> int:
    return await conn.fetchval(
        "WITH gone AS (DELETE FROM reporter_subscriptions WHERE complaint_id = $1 RETURNING 1) SELECT count(*) FROM gone",
        complaint_id,
    )


async def clear_reporter_messages(*, conn: asyncpg.Connection, complaint_id: UUID) -> int:
    """The reporter's deliveries no longer name them (pseudonym -> `reporter:dihapus`), nor where
    they went (the masked address, a mail server's answer that may quote it); those not sent
    yet never will be."""
    return await conn.fetchval(
        """
        WITH cleared AS (
            UPDATE notifications SET
                recipient = $3, address_masked = NULL,
                status = CASE WHEN status IN ('pending', 'sending', 'failed') THEN 'undeliverable' ELSE status END,
                last_error = CASE WHEN status IN ('pending', 'sending', 'failed') THEN $4 END,
                updated_at = now()
            WHERE complaint_id = $1 AND starts_with(recipient, $2)
              AND (recipient <> $3 OR address_masked IS NOT NULL OR last_error IS DISTINCT FROM $4
                   AND last_error IS NOT NULL)
            RETURNING 1
        )
        SELECT count(*) FROM cleared
        """,
        complaint_id,
        REPORTER_PREFIX,
        ERASED_REPORTER,
        ERASED_REASON,
    )


async def parked_events_naming_reporter(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, payload FROM parked_events WHERE complaint_id = $1"
        " AND position('\"reporter\"'::bytea IN payload) > 0 FOR UPDATE",
        complaint_id,
    )


async def replace_parked_payloads(*, conn: asyncpg.Connection, payloads: list[tuple[int, bytes]]) -> None:
    await conn.executemany("UPDATE parked_events SET payload = $2 WHERE id = $1", payloads)
