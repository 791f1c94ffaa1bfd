"""SQL for erasing a reporter's personal data at notify (`*, conn`, never commits)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from sigap_notify.personal_data.rules import without_free_text
from sigap_notify.recipients import ERASED_REPORTER, REPORTER_PREFIX
from sigap_shared.erasure import payload_without_reporter

# Why a reporter's delivery that had not gone out yet never will.
ERASED_REASON = "reporter's personal data erased"
# What stays of a staff or webhook delivery's error at the erasure: a receiver's reply may quote
# the message's text, but operators still see that the delivery failed.
ERASED_ERROR = "delivery failed; the receiver's reply was removed with the reporter's personal data"


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


async def clear_message_texts(*, conn: asyncpg.Connection, complaint_id: UUID, erased_at: datetime) -> int:
    """Every message about the complaint recorded up to the erasure, whoever it was for (the
    reporter, staff, a webhook), keeps its row and loses its free texts (`rules.without_free_text`);
    one not sent yet goes out saying the text was removed (`templates.rules.render`). A message
    recorded later was planned without the texts written before the erasure (`events.handlers`),
    so a repeated erasure (which keeps the first one's time) leaves a text written after it.
    Returns how many rows changed."""
    rows = await conn.fetch(
        "SELECT id, params FROM notifications WHERE complaint_id = $1 AND created_at <= $2 FOR UPDATE",
        complaint_id,
        erased_at,
    )
    changed: list[tuple[int, str]] = []
    for row in rows:
        params = _json(row["params"])
        if isinstance(params, dict) and (blanked := without_free_text(params)) != params:
            changed.append((row["id"], orjson.dumps(blanked).decode()))
    if changed:
        await conn.executemany(
            "UPDATE notifications SET params = $2::jsonb, updated_at = now() WHERE id = $1", changed
        )
    return len(changed)


async def clear_delivery_errors(*, conn: asyncpg.Connection, complaint_id: UUID, erased_at: datetime) -> int:
    """The last errors of the complaint's other deliveries (staff, officers, webhooks) recorded
    up to the erasure, and of its parked webhook deliveries (`webhook_dead_letters`), become
    `ERASED_ERROR`: a receiver's error reply may quote the text it was sent. Statuses, attempts
    and times stay. The reporter's own deliveries are `clear_reporter_messages`'. Returns how
    many rows changed."""
    return await conn.fetchval(
        """
        WITH deliveries AS (
            UPDATE notifications SET last_error = $4, updated_at = now()
            WHERE complaint_id = $1 AND created_at <= $2 AND NOT starts_with(recipient, $3)
              AND last_error IS NOT NULL AND last_error <> $4
            RETURNING 1
        ), dead_letters AS (
            UPDATE webhook_dead_letters d SET last_error = $4
            FROM notifications n
            WHERE n.id = d.notification_id AND n.complaint_id = $1 AND n.created_at <= $2
              AND d.last_error IS NOT NULL AND d.last_error <> $4
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM deliveries) + (SELECT count(*) FROM dead_letters)
        """,
        complaint_id,
        erased_at,
        REPORTER_PREFIX,
        ERASED_ERROR,
    )


async def clear_parked_events(*, conn: asyncpg.Connection, complaint_id: UUID, erased_at: datetime) -> int:
    """Events parked until the complaint's submission arrives, without the reporter's pseudonym
    and, those parked up to the erasure, without their free texts. Returns how many changed."""
    rows = await conn.fetch(
        "SELECT id, payload, parked_at <= $2 AS before_erasure FROM parked_events WHERE complaint_id = $1 FOR UPDATE",
        complaint_id,
        erased_at,
    )
    changed = [
        (row["id"], payload)
        for row in rows
        if (payload := _event_erased(row["payload"], texts=row["before_erasure"])) is not None
    ]
    if changed:
        await conn.executemany("UPDATE parked_events SET payload = $2 WHERE id = $1", changed)
    return len(changed)


async def clear_outbox(*, conn: asyncpg.Connection, complaint_id: UUID, erased_at: datetime) -> int:
    """The complaint's copies for departments' topics in the outbox, sent or waiting, without a
    reporter (they never carry one, as in `sigap_shared.outbox.drop_reporter_from_outbox`) and,
    those queued up to the erasure, without their free texts: a waiting one then leaves without
    them. Rows are keyed by complaint id. Returns how many changed."""
    rows = await conn.fetch(
        "SELECT id, payload, created_at <= $2 AS before_erasure FROM outbox WHERE key = $1 FOR UPDATE",
        str(complaint_id).encode(),
        erased_at,
    )
    changed = [
        (row["id"], payload)
        for row in rows
        if (payload := _event_erased(row["payload"], texts=row["before_erasure"])) is not None
    ]
    if changed:
        await conn.executemany("UPDATE outbox SET payload = $2 WHERE id = $1", changed)
    return len(changed)


def _event_erased(payload: bytes, *, texts: bool) -> bytes | None:
    """An event's JSON data without its reporter and, with `texts`, its free texts; None when
    that changes nothing (or it is not an event's JSON)."""
    without_reporter = payload_without_reporter(payload)
    if not texts:
        return without_reporter
    try:
        data = orjson.loads(without_reporter or payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    blanked = without_free_text(data)
    if blanked == data:
        return without_reporter
    return orjson.dumps(blanked)


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value
