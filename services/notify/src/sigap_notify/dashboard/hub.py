"""The fan-out behind the live stream within one process, and the dashboard channel that feeds
it (through `fanout.py`, which carries each message to every replica's hub)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any, Protocol

import asyncpg

from sigap_notify.channels.base import Delivery
from sigap_notify.deliveries.batch import BatchReads
from sigap_notify.recipients import OFFICER_PREFIX

# The key a city-wide stream (city admin, auditor) listens on.
EVERY_DEPARTMENT = "*"


def dashboard_key(recipient: str) -> str:
    """Which streams a dashboard notification goes to: `officer:<CODE>:<username>` is an
    officer's own stream; `department:<CODE>:admins` and `desk:<CODE>` the stream of CODE."""
    if recipient.startswith(OFFICER_PREFIX):
        return recipient
    return recipient.split(":")[1] if ":" in recipient else recipient


class DashboardHub:
    """Fan-out of dashboard notifications to Server-Sent Events streams. A stream listens on
    one or more keys (a department, and an officer's own key)."""

    def __init__(self, *, queue_size: int = 1000) -> None:
        self._queues: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self._queue_size = queue_size
        self.dropped = 0

    def subscribe(self, *keys: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=self._queue_size)
        for key in keys:
            self._queues[key].add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue, *keys: str) -> None:
        for key in keys:
            self._queues[key].discard(queue)

    def listening(self, key: str) -> bool:
        """Whether a stream listens on `key` now."""
        return bool(self._queues.get(key))

    def streams(self) -> int:
        """How many streams are open on this replica."""
        return len({id(queue) for queues in self._queues.values() for queue in queues})

    def broadcast(self, message: dict[str, Any]) -> None:
        """To every open stream, whatever it listens on."""
        for queue in {id(queue): queue for queues in self._queues.values() for queue in queues}.values():
            self._offer(queue, message)

    def publish(self, key: str, message: dict[str, Any]) -> None:
        listeners = set(self._queues.get(key, ()))
        if not key.startswith(OFFICER_PREFIX):
            # City-wide streams hear every department's and desk's news (not officers' own).
            listeners |= self._queues.get(EVERY_DEPARTMENT, set())
        for queue in listeners:
            self._offer(queue, message)

    def _offer(self, queue: asyncio.Queue, message: dict[str, Any]) -> None:
        try:
            queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped += 1  # a stalled browser must not hold back the dispatcher


class FanOut(Protocol):
    async def publish(self, key: str, message: dict[str, Any]) -> None: ...

    async def publish_in(self, conn: asyncpg.Connection, messages: list[tuple[str, dict[str, Any]]]) -> None: ...


def stream_message(delivery: Delivery) -> tuple[str, dict[str, Any]]:
    """The stream key a delivery goes to, and what the stream says about it."""
    return dashboard_key(delivery.recipient), {
        "notification_id": delivery.id,
        "event_id": str(delivery.event_id),
        "event_type": delivery.event_type,
        "complaint_id": str(delivery.complaint_id),
        "template": delivery.template,
        "params": delivery.params,
    }


class DashboardChannel:
    """Pushed to the live stream of the recipient's department, or of the field officer the
    recipient names (only that officer's stream), on whichever replica it is open. The claim
    records a batch as sent and its pushes (PostgreSQL NOTIFYs) join the claim's transaction,
    so each leaves exactly once, when the claim commits. A stalled browser's full queue drops a
    push, and a stream that missed pushes while its replica's listener was away gets a
    `resync`: neither is worth a retry."""

    resend_safe = True
    settles_on_claim = True

    def __init__(self, hub: DashboardHub, fanout: FanOut | None = None) -> None:
        """Without `fanout`, only this process's streams hear (tests of the delivery engine)."""
        self._hub = hub
        self._fanout = fanout

    async def send_claimed(self, deliveries: list[Delivery], *, conn: asyncpg.Connection) -> None:
        messages = [stream_message(delivery) for delivery in deliveries]
        if self._fanout is not None:
            await self._fanout.publish_in(conn, messages)
            return
        for key, message in messages:
            self._hub.publish(key, message)

    async def send(self, delivery: Delivery, *, batch: BatchReads) -> str | None:
        key, message = stream_message(delivery)
        if self._fanout is None:
            self._hub.publish(key, message)
        else:
            await self._fanout.publish(key, message)
        return None
