"""Request limits that hold across replicas: one bucket per key in intake's database, so a
device, a client IP or a tracking code gets the same allowance whichever replica answers it.

The bucket is the generic cell rate algorithm (GCRA), which keeps one timestamp per key
instead of a count and a refill time: `refilled_at` is when the key's bucket is full again.
A request is allowed while `refilled_at` is no further ahead of now than `burst - 1`
intervals, and moves it one interval on; a refused request changes nothing. One UPSERT decides
and records, atomically under concurrent replicas (the row lock orders them). The table is
UNLOGGED: nothing is written to the WAL, and a crash forgets the buckets, which only gives
every device a full allowance once.

Keys are stored as a keyed BLAKE2b hash (the key is derived from intake's JWT secret): an IP
address or a device id is not readable from the table, nor found by hashing guesses."""

from __future__ import annotations

import hashlib
import math

import asyncpg
import structlog

from sigap_shared.db import TRANSIENT_DB_ERRORS

log = structlog.get_logger(__name__)

_ACQUIRE = """
INSERT INTO rate_limits AS r (key_hash, refilled_at)
VALUES ($1, clock_timestamp() + make_interval(secs => $2))
ON CONFLICT (key_hash) DO UPDATE
   SET refilled_at = greatest(r.refilled_at, clock_timestamp()) + make_interval(secs => $2)
 WHERE r.refilled_at <= clock_timestamp() + make_interval(secs => $2::float8 * ($3::int - 1))
RETURNING true
"""
_WAIT = """
SELECT greatest(0, extract(epoch FROM refilled_at - clock_timestamp())::float8 - $2::float8 * ($3::int - 1))
  FROM rate_limits WHERE key_hash = $1
"""
# A bucket that is full again holds nothing a missing row would not say.
_FORGET_FULL = """
DELETE FROM rate_limits WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM rate_limits WHERE refilled_at < clock_timestamp() LIMIT 1000))
"""
_FORGET_EVERY = 500


class RateLimiter:
    """`per_minute` requests per key on average, at most `burst` at once; `scope` keeps the
    buckets of different limiters apart. `per_minute=0` turns the limiter off."""

    def __init__(self, pool: asyncpg.Pool, *, scope: str, per_minute: int, burst: int, secret: bytes) -> None:
        self._pool = pool
        self._scope = scope
        self._interval_s = 60.0 / per_minute if per_minute > 0 else 0.0
        self._burst = burst
        self._secret = hashlib.blake2b(secret, digest_size=32, person=b"sigap-ratelimit").digest()
        self._calls = 0

    @property
    def enabled(self) -> bool:
        return self._interval_s > 0

    def key_hash(self, key: str) -> bytes:
        return hashlib.blake2b(f"{self._scope}\0{key}".encode(), key=self._secret, digest_size=16).digest()

    async def acquire(self, key: str) -> float:
        """0 when the request may go ahead; else the seconds until it may be retried. Without
        the database the request goes ahead: what it asks for fails on its own then."""
        if not self.enabled:
            return 0.0
        digest = self.key_hash(key)
        self._calls += 1
        try:
            async with self._pool.acquire() as conn:
                if self._calls % _FORGET_EVERY == 0:
                    await conn.execute(_FORGET_FULL)
                if await conn.fetchval(_ACQUIRE, digest, self._interval_s, self._burst):
                    return 0.0
                wait = await conn.fetchval(_WAIT, digest, self._interval_s, self._burst)
        except TRANSIENT_DB_ERRORS as exc:
            log.warning("rate_limit_unavailable", scope=self._scope, error=repr(exc))
            return 0.0
        # A refused request always waits for at least a moment, even if the bucket refilled
        # between the two statements.
        return max(wait or 0.0, 0.001)


def retry_after_header(wait_s: float) -> str:
    return str(max(1, math.ceil(wait_s)))
