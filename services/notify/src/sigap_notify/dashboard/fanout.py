"""The live stream across replicas. Whichever notify replica delivers a dashboard notification,
it goes out as one PostgreSQL NOTIFY on `sigap_dashboard`; every replica LISTENs on that
channel and hands what it hears to its own hub, so a staff member's stream gets it whichever
replica their browser is connected to.

Why PostgreSQL and not a Kafka topic: every replica already holds a connection to notify's
database, a NOTIFY reaches the listeners in about a millisecond, and a stream is live-only (a
browser that missed a message reloads the queue from status). A Kafka topic would add a
consumer per replica, each in a group of its own, and offsets nobody needs.

A NOTIFY is not stored: a listener whose connection was lost misses what was sent meanwhile,
so when it is back every stream of that replica gets one `resync` message and the page
refreshes its rows."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson
import structlog

from sigap_notify.dashboard.hub import DashboardHub
from sigap_shared.db import TRANSIENT_DB_ERRORS, listen_forever

log = structlog.get_logger(__name__)

CHANNEL = "sigap_dashboard"
# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more.
MAX_PAYLOAD = 7900
RESYNC: dict[str, Any] = {
    "notification_id": "",
    "event_id": None,
    "event_type": "sigap.stream.resync",
    "complaint_id": None,
    "template": "resync",
    "params": {},
}


def encode(key: str, message: dict[str, Any]) -> str:
    """The NOTIFY payload; a message too long for it goes without its template parameters
    (the page only needs to know which complaint changed)."""
    payload = orjson.dumps({"key": key, "message": message}).decode()
    if len(payload.encode()) <= MAX_PAYLOAD:
        return payload
    slim = {**message, "params": {}, "params_omitted": True}
    return orjson.dumps({"key": key, "message": slim}).decode()


def decode(payload: str) -> tuple[str, dict[str, Any]] | None:
    """(key, message) from a payload, None for anything else on the channel."""
    try:
        parsed = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, dict):
        return None
    key, message = parsed.get("key"), parsed.get("message")
    if not isinstance(key, str) or not isinstance(message, dict):
        return None
    return key, message


class PostgresFanOut:
    """Publishes dashboard messages to every replica's hub through PostgreSQL, and (in
    `run()`) feeds this replica's hub with what any replica published."""

    def __init__(self, hub: DashboardHub, *, pool: asyncpg.Pool, connect_kwargs: dict[str, object]) -> None:
        self._hub = hub
        self._pool = pool
        self._connect_kwargs = connect_kwargs
        self.unreadable = 0

    async def publish(self, key: str, message: dict[str, Any]) -> None:
        """One message on a connection of its own (outside a claim)."""
        try:
            async with self._pool.acquire() as conn:
                await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, encode(key, message))
        except TRANSIENT_DB_ERRORS as exc:
            # Without the database no replica hears it; this one's own streams still do.
            log.warning("dashboard_fanout_unavailable", error=repr(exc))
            self._hub.publish(key, message)

    async def publish_in(self, conn: asyncpg.Connection, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """NOTIFY every message in one statement on `conn`, whose transaction decides whether
        they leave (on commit) or not (on rollback)."""
        await conn.execute(
            "SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload",
            CHANNEL,
            [encode(key, message) for key, message in messages],
        )

    def _heard(self, payload: str) -> None:
        decoded = decode(payload)
        if decoded is None:
            self.unreadable += 1
            log.warning("dashboard_fanout_unreadable", size=len(payload))
            return
        self._hub.publish(*decoded)

    def _connected(self, again: bool) -> None:
        if again:
            log.info("dashboard_fanout_resumed", streams=self._hub.streams())
            self._hub.broadcast(RESYNC)

    async def run(self) -> None:
        await listen_forever(
            self._connect_kwargs, CHANNEL, self._heard, on_connected=self._connected, name="dashboard-fanout"
        )
