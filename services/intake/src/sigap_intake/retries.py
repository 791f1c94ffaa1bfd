"""Idempotency keys: a retry with the same `Idempotency-Key` and the same request gets the
first answer again; nothing is done twice. The key is claimed, and the answer stored, in the
command's own transaction."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import structlog

from sigap_intake.domain import RetryKey, RetryKeyReused
from sigap_intake.sealing import Sealer

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    request_hash: bytes
    status_code: int
    sealed_response: bytes


async def claim_retry_key(
    *, conn: asyncpg.Connection, retry: RetryKey, ttl_s: int
) -> StoredResponse | None:
    """None when this request now owns the key (the caller does the work and stores the
    result); else the first request's stored result. A concurrent first request that has not
    committed yet makes this wait on the primary key until it commits or rolls back."""
    claim = (
        "INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING true"
    )
    if await conn.fetchval(claim, retry.scope, retry.key, retry.request_hash):
        return None
    row = await conn.fetchrow(
        "SELECT request_hash, status_code, response, created_at < now() - make_interval(secs => $3) AS expired"
        " FROM idempotency_keys WHERE scope = $1 AND key = $2",
        retry.scope,
        retry.key,
        float(ttl_s),
    )
    if row["expired"]:
        # A key older than its time to live starts afresh (the common path above stays one statement).
        await conn.execute("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2", retry.scope, retry.key)
        await conn.fetchval(claim, retry.scope, retry.key, retry.request_hash)
        return None
    return StoredResponse(
        request_hash=bytes(row["request_hash"]),
        status_code=row["status_code"],
        sealed_response=bytes(row["response"]),
    )


async def store_retry_response(
    *, conn: asyncpg.Connection, retry: RetryKey, status_code: int, sealed_response: bytes
) -> None:
    await conn.execute(
        "UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE scope = $1 AND key = $2",
        retry.scope,
        retry.key,
        status_code,
        sealed_response,
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """A handler's answer: the receipt as JSON, and whether it repeats an earlier request's."""

    status_code: int
    body: dict
    replayed: bool = False


async def replay_or_claim(
    *, conn: asyncpg.Connection, retry: RetryKey | None, sealer: Sealer, ttl_s: int
) -> Outcome | None:
    if retry is None:
        return None
    stored = await claim_retry_key(conn=conn, retry=retry, ttl_s=ttl_s)
    if stored is None:
        return None
    if stored.request_hash != retry.request_hash:
        raise RetryKeyReused()
    body = sealer.open(stored.sealed_response, bound_to=retry.bound_to)
    log.info("request_replayed", scope=retry.scope)
    return Outcome(status_code=stored.status_code, body=body, replayed=True)  # type: ignore[arg-type]


async def remember(
    *, conn: asyncpg.Connection, retry: RetryKey | None, sealer: Sealer, outcome: Outcome
) -> None:
    if retry is not None:
        await store_retry_response(
            conn=conn,
            retry=retry,
            status_code=outcome.status_code,
            sealed_response=sealer.seal(outcome.body, bound_to=retry.bound_to),
        )
