"""The delivery log's SQL: claiming due deliveries, settling their outcomes, retries, digests,
recovery after a crash, and webhook deliveries parked as dead letters. Functions take a
connection and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import asyncpg

from sigap_shared.db import Rows

WAKE_CHANNEL = "sigap_notify_deliveries"


async def list_for_complaint(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, event_id, event_type, recipient, channel, template, status, attempts, created_at,"
        " next_attempt_at, sent_at, last_error, address_masked"
        " FROM notifications WHERE complaint_id = $1 ORDER BY id",
        complaint_id,
    )


async def complaint_audience(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[str]:
    """The departments handling the complaint as notify last learnt them: the lead, then its
    supporters (none when notify has not heard of the complaint's department)."""
    row = await conn.fetchrow(
        "SELECT department, supporters FROM complaint_departments WHERE complaint_id = $1", complaint_id
    )
    return [row["department"], *row["supporters"]] if row else []


async def claim_due(
    *, conn: asyncpg.Connection, channel: str, limit: int, settle: bool = False
) -> list[asyncpg.Record]:
    """Move up to `limit` due deliveries of one channel to `sending` and count the attempt;
    with `settle`, straight to `sent` (for channels whose send cannot need a retry), so each
    delivery is written once more instead of twice. SKIP LOCKED lets several dispatchers (or
    replicas) share the work without waiting."""
    return await conn.fetch(
        """
        UPDATE notifications AS n
        SET status = CASE WHEN $3::boolean THEN 'sent' ELSE 'sending' END,
            sent_at = CASE WHEN $3::boolean THEN now() ELSE n.sent_at END,
            attempts = n.attempts + 1, claimed_at = now(), updated_at = now()
        FROM (
            SELECT id FROM notifications
            WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= now()
            ORDER BY next_attempt_at, id
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        ) AS due
        WHERE n.id = due.id
        RETURNING n.id, n.event_id, n.complaint_id, n.event_type, n.recipient, n.channel, n.template,
                  n.params, n.attempts, n.held_for_digest
        """,
        channel,
        limit,
        settle,
    )


@dataclass(frozen=True, slots=True)
class Settled:
    """How one claimed delivery's send ended: `sent` (with where it went) or `undeliverable`
    (with why)."""

    notification_id: Annotated[int, "bigint"]
    status: str
    address_masked: str | None
    error: str | None


_SETTLED = Rows(Settled)

_SETTLE_MANY = f"""
UPDATE notifications AS n
SET status = incoming.status, updated_at = now(), last_error = left(incoming.error, 1000),
    sent_at = CASE WHEN incoming.status = 'sent' THEN now() ELSE n.sent_at END,
    address_masked = coalesce(incoming.address_masked, n.address_masked)
FROM {_SETTLED.unnest}
WHERE n.id = incoming.notification_id AND n.status = 'sending'
"""


async def settle_many(*, conn: asyncpg.Connection, settled: Sequence[Settled]) -> None:
    """Record the outcome of a batch's sends in one statement."""
    await conn.execute(_SETTLE_MANY, *_SETTLED.params(settled))


async def lock_due(*, conn: asyncpg.Connection, channel: str, limit: int) -> list[asyncpg.Record]:
    """Lock up to `limit` due deliveries of one channel for the caller's transaction, without
    writing them: for channels whose receivers dedupe on our idempotency key, the batch is
    sent while the rows stay locked and `settle_locked` records the outcomes in the same
    transaction (one write per delivery instead of claim and mark). If the transaction dies
    with the process, the rows are simply due again. `attempts` is returned counting this one."""
    return await conn.fetch(
        """
        SELECT id, event_id, complaint_id, event_type, recipient, channel, template, params,
               attempts + 1 AS attempts, held_for_digest
        FROM notifications
        WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= now()
        ORDER BY next_attempt_at, id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
        """,
        channel,
        limit,
    )


@dataclass(frozen=True, slots=True)
class Attempted(Settled):
    """One attempt at a delivery locked by `lock_due`: as `Settled`, or `failed`, or `pending`
    again after `retry_in_s`."""

    retry_in_s: float | None


_ATTEMPTED = Rows(Attempted)

_SETTLE_LOCKED = f"""
UPDATE notifications AS n
SET status = incoming.status, attempts = n.attempts + 1, claimed_at = now(), updated_at = now(),
    last_error = left(incoming.error, 1000),
    sent_at = CASE WHEN incoming.status = 'sent' THEN now() ELSE n.sent_at END,
    next_attempt_at = CASE WHEN incoming.status = 'pending' THEN now() + make_interval(secs => incoming.retry_in_s)
                           ELSE n.next_attempt_at END,
    address_masked = coalesce(incoming.address_masked, n.address_masked)
FROM {_ATTEMPTED.unnest}
WHERE n.id = incoming.notification_id AND n.status = 'pending'
"""


async def settle_locked(*, conn: asyncpg.Connection, attempts: Sequence[Attempted]) -> None:
    """The outcomes of a batch locked by `lock_due`, in one statement; each counts as an attempt."""
    await conn.execute(_SETTLE_LOCKED, *_ATTEMPTED.params(attempts))


async def recent_emails(
    *, conn: asyncpg.Connection, recipients: Sequence[str], template: str, window_s: float, at_most: int
) -> dict[str, int]:
    """How many mails of `template` each recipient got within the window, counted only up to
    `at_most` (what the digest decision needs), so a busy recipient costs a few index rows
    rather than every mail of the window."""
    rows = await conn.fetch(
        """
        SELECT r.recipient, (
            SELECT count(*) FROM (
                SELECT 1 FROM notifications
                WHERE channel = 'email' AND status = 'sent' AND recipient = r.recipient AND template = $2
                  AND sent_at > now() - make_interval(secs => $3)
                LIMIT $4
            ) AS recent
        ) AS sent
        FROM unnest($1::text[]) AS r(recipient)
        """,
        list(recipients),
        template,
        window_s,
        at_most,
    )
    return {row["recipient"]: row["sent"] for row in rows if row["sent"]}


async def hold_for_digest(*, conn: asyncpg.Connection, notification_ids: Sequence[int], window_s: float) -> None:
    """Back to pending until the end of the current digest window (windows are aligned, so
    everything held in one window becomes due together); the claim was not an attempt."""
    await conn.execute(
        """
        UPDATE notifications
        SET status = 'pending', held_for_digest = true, attempts = attempts - 1, updated_at = now(),
            next_attempt_at = to_timestamp(ceil(extract(epoch FROM now()) / $2) * $2)
        WHERE id = ANY($1::bigint[]) AND status = 'sending'
        """,
        list(notification_ids),
        window_s,
    )


async def mark_retry(*, conn: asyncpg.Connection, notification_id: int, delay_s: float, error: str) -> None:
    await conn.execute(
        "UPDATE notifications SET status = 'pending', next_attempt_at = now() + make_interval(secs => $2),"
        " last_error = $3, updated_at = now() WHERE id = $1 AND status = 'sending'",
        notification_id,
        delay_s,
        error[:1000],
    )


async def mark_final(
    *, conn: asyncpg.Connection, notification_id: int, status: str, error: str, address_masked: str | None = None
) -> bool:
    """`failed` (retries exhausted) or `undeliverable` (nobody to send to, nothing to retry)."""
    result = await conn.execute(
        "UPDATE notifications SET status = $2, last_error = $3, updated_at = now(),"
        " address_masked = coalesce($4, address_masked) WHERE id = $1 AND status = 'sending'",
        notification_id,
        status,
        error[:1000],
        address_masked,
    )
    return result != "UPDATE 0"


async def recover_interrupted(
    *, conn: asyncpg.Connection, stale_after_s: float, resendable_channels: Sequence[str]
) -> tuple[int, int]:
    """Rows left `sending` by a process that died mid-send. Channels whose receivers dedupe on
    our idempotency key are retried; for the others we cannot know whether the message left,
    so at-most-once says: report them failed rather than risk sending twice."""
    retried = await conn.execute(
        "UPDATE notifications SET status = 'pending', next_attempt_at = now(), updated_at = now(),"
        " last_error = 'interrupted; resent with the same idempotency key'"
        " WHERE status = 'sending' AND claimed_at < now() - make_interval(secs => $1) AND channel = ANY($2::text[])",
        stale_after_s,
        list(resendable_channels),
    )
    failed = await conn.execute(
        "UPDATE notifications SET status = 'failed', updated_at = now(),"
        " last_error = 'interrupted mid-send; outcome unknown, not resent (at most once)'"
        " WHERE status = 'sending' AND claimed_at < now() - make_interval(secs => $1)"
        " AND NOT (channel = ANY($2::text[]))",
        stale_after_s,
        list(resendable_channels),
    )
    return int(retried.rsplit(" ", 1)[-1]), int(failed.rsplit(" ", 1)[-1])


async def webhook_department(*, conn: asyncpg.Connection, subscription_id: UUID) -> str | None:
    return await conn.fetchval("SELECT department FROM webhook_subscriptions WHERE id = $1", subscription_id)


async def park_webhook_delivery(
    *, conn: asyncpg.Connection, notification_id: int, subscription_id: UUID, department: str, error: str
) -> None:
    await conn.execute(
        """
        INSERT INTO webhook_dead_letters (notification_id, subscription_id, department, last_error)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (notification_id) DO UPDATE
        SET last_error = EXCLUDED.last_error, parked_at = now(), replayed_at = NULL, replayed_by = NULL
        """,
        notification_id,
        subscription_id,
        department,
        error[:1000],
    )


async def list_dead_letters(*, conn: asyncpg.Connection, department: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT d.notification_id, d.subscription_id, d.department, d.last_error, d.parked_at,
               n.event_id, n.event_type, n.complaint_id, n.attempts
        FROM webhook_dead_letters d JOIN notifications n ON n.id = d.notification_id
        WHERE d.replayed_at IS NULL AND ($1::text IS NULL OR d.department = $1)
        ORDER BY d.parked_at
        """,
        department,
    )


async def replay_dead_letters(
    *, conn: asyncpg.Connection, notification_ids: Sequence[int] | None, department: str | None, replayed_by: str
) -> list[int]:
    """Put parked webhook deliveries back in the queue with a fresh set of attempts."""
    rows = await conn.fetch(
        f"""
        WITH replayed AS (
            UPDATE webhook_dead_letters SET replayed_at = now(), replayed_by = $3
            WHERE replayed_at IS NULL
              AND ($1::bigint[] IS NULL OR notification_id = ANY($1::bigint[]))
              AND ($2::text IS NULL OR department = $2)
            RETURNING notification_id
        ), requeued AS (
            UPDATE notifications n SET status = 'pending', attempts = 0, next_attempt_at = now(),
                   updated_at = now()
            FROM replayed r WHERE n.id = r.notification_id AND n.status = 'failed'
            RETURNING n.id
        )
        SELECT id, pg_notify('{WAKE_CHANNEL}', '') FROM requeued
        """,
        list(notification_ids) if notification_ids is not None else None,
        department,
        replayed_by,
    )
    return [row["id"] for row in rows]
