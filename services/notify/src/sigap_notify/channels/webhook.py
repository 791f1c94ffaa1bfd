"""Department webhooks: an HTTPS POST of the structured CloudEvent, signed (see WEBHOOKS.md).
The event id is the idempotency key, so a receiver that dedupes on it may safely see a retry."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import aiohttp
import asyncpg
import orjson

from sigap_notify.channels.base import Delivery, RetryLater, Undeliverable
from sigap_notify.deliveries.batch import BatchReads
from sigap_notify.egress import Egress, RefusedAddress
from sigap_notify.recipients import WEBHOOK_PREFIX, mask_address
from sigap_notify.sealing import SecretBox, SecretUnreadable
from sigap_notify.subscriptions import repository as subscriptions

SIGNATURE_HEADER = "Sigap-Signature"
TIMESTAMP_HEADER = "Sigap-Timestamp"
EVENT_ID_HEADER = "Sigap-Event-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign_webhook(*, secret: str, timestamp: int, body: bytes) -> str:
    """`v1=` + hex HMAC-SHA256 over `<timestamp>.<body>` with the subscriber's secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_webhook(
    *, secret: str, timestamp: str, body: bytes, signature: str, now: int, tolerance_s: int = 300
) -> bool:
    """What a receiver does (see WEBHOOKS.md): recompute, compare in constant time, and refuse
    timestamps too far from its own clock so a captured request cannot be replayed later."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance_s:
        return False
    expected = sign_webhook(secret=secret, timestamp=sent_at, body=body)
    return hmac.compare_digest(expected, signature)


class WebhookChannel:
    resend_safe = True
    settles_on_claim = False

    def __init__(self, *, pool: asyncpg.Pool, egress: Egress, box: SecretBox, allow_http: bool = False) -> None:
        self._pool = pool
        self._egress = egress
        self._box = box
        self._allow_http = allow_http

    async def send(self, delivery: Delivery, *, batch: BatchReads) -> str | None:
        subscription_id = UUID(delivery.recipient.removeprefix(WEBHOOK_PREFIX))
        subscription = await batch.once(("webhook", subscription_id), lambda: self._load(subscription_id))
        if subscription is None or not subscription["active"]:
            raise Undeliverable("webhook subscription removed")
        url: str = subscription["url"]
        if not url.startswith("https://") and not self._allow_http:
            raise Undeliverable("webhook URL is not https")
        secret = self._secret(subscription)
        body = orjson.dumps(delivery.params["cloudevent"])
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/cloudevents+json; charset=utf-8",
            SIGNATURE_HEADER: sign_webhook(secret=secret, timestamp=timestamp, body=body),
            TIMESTAMP_HEADER: str(timestamp),
            EVENT_ID_HEADER: str(delivery.event_id),
            IDEMPOTENCY_HEADER: str(delivery.event_id),
            "User-Agent": "Sigap-Notify/1",
        }
        try:
            self._egress.check_literal(url)
            async with self._egress.session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                status = response.status
                await response.read()
        except RefusedAddress as exc:
            # Retried: DNS may change back; a target that stays refused ends with the dead letters.
            raise RetryLater(f"webhook target refused: {exc} (see SIGAP_WEBHOOK_ALLOWED_NETWORKS)") from exc
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RetryLater(f"webhook unreachable: {type(exc).__name__}") from exc
        if not 200 <= status < 300:
            raise RetryLater(f"webhook answered {status}")
        return mask_address(url)

    async def _load(self, subscription_id: UUID) -> asyncpg.Record | None:
        async with self._pool.acquire() as conn:
            return await subscriptions.get_webhook(conn=conn, subscription_id=subscription_id)

    def _secret(self, subscription: Mapping[str, Any]) -> str:
        if subscription["secret_sealed"] is None:
            # Written before secrets were sealed and not sealed yet (start-up does it).
            return subscription["legacy_secret"]
        try:
            return self._box.open(subscription["secret_sealed"], webhook_id=subscription["id"])
        except SecretUnreadable as exc:
            # Another key than the one that sealed it: an operator must fix the setting.
            raise RetryLater("webhook secret does not open with SIGAP_WEBHOOK_SECRET_KEY") from exc
