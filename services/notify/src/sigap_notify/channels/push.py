"""Web push to the citizen web page (VAPID, RFC 8291 aes128gcm encryption by pywebpush). The
contact is the browser's PushSubscription JSON (endpoint + keys), from a direct subscription
or from intake. An endpoint the push service reports gone (404/410) is undeliverable, not
retried."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import asyncpg
import orjson
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async

from sigap_notify.channels.base import Delivery, RetryLater, Undeliverable, required_contact, required_template
from sigap_notify.channels.contacts import ContactResolver
from sigap_notify.deliveries.batch import BatchReads
from sigap_notify.egress import Egress, RefusedAddress
from sigap_notify.recipients import mask_address
from sigap_notify.templates.rules import render


class WebPushChannel:
    resend_safe = False
    settles_on_claim = False

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        resolver: ContactResolver,
        egress: Egress,
        vapid_private_key: str,  # raw P-256 private key, base64url
        vapid_subject: str,
        public_base_url: str = "",
        ttl_s: int = 24 * 3600,
    ) -> None:
        self._pool = pool
        self._resolver = resolver
        self._egress = egress
        self._vapid = Vapid.from_string(private_key=vapid_private_key)
        self._subject = vapid_subject
        self._public_base_url = public_base_url.rstrip("/")
        self._ttl_s = ttl_s

    @property
    def public_key(self) -> str:
        """The applicationServerKey a browser needs to subscribe (uncompressed point, base64url)."""
        return vapid_public_key(self._vapid)

    async def send(self, delivery: Delivery, *, batch: BatchReads) -> str | None:
        contact = await required_contact(
            self._resolver,
            batch=batch,
            recipient=delivery.recipient,
            channel="push",
            params=delivery.params,
            missing="no push subscription known for this recipient",
        )
        try:
            subscription = orjson.loads(contact.addresses[0])
            endpoint = str(subscription["endpoint"])
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise Undeliverable("push subscription is not readable") from exc
        template = await required_template(self._pool, batch=batch, key=delivery.template, language=contact.language)
        message = render(
            subject=template["subject"], body=template["body"], params=delivery.params, language=template["language"]
        )
        tracking_code = delivery.params.get("tracking_code") or ""
        payload = orjson.dumps(
            {
                "title": message.subject,
                "body": message.body,
                "tracking_code": tracking_code,
                "url": f"{self._public_base_url}/lacak/{tracking_code}",
                "tag": f"sigap-{delivery.id}",
            }
        ).decode()
        try:
            self._egress.check_literal(endpoint)
            await webpush_async(
                subscription_info=subscription,
                data=payload,
                vapid_private_key=self._vapid,
                vapid_claims={"sub": self._subject},
                ttl=self._ttl_s,
                aiohttp_session=self._egress.session,
            )
        except RefusedAddress as exc:
            raise RetryLater(f"push endpoint refused: {exc} (see SIGAP_WEBHOOK_ALLOWED_NETWORKS)") from exc
        except WebPushException as exc:
            status = exc.response.status if exc.response is not None else None
            if status in (404, 410):
                raise Undeliverable(f"push subscription gone ({status})") from exc
            raise RetryLater(f"push service answered {status}") from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RetryLater(f"push service unreachable: {type(exc).__name__}") from exc
        return mask_address(endpoint)


def vapid_public_key(vapid: Vapid) -> str:
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
