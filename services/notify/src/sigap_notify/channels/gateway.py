"""SMS or WhatsApp through the city's provider: an HTTP POST to a configurable URL with a
configurable JSON body (`string.Template`: `$to`, `$text`, `$reference`, each inserted as a
JSON string), a bearer token and `Idempotency-Key` (providers that honour it drop repeats)."""

from __future__ import annotations

import asyncio
import string

import aiohttp
import asyncpg
import orjson

from sigap_notify.channels.base import Delivery, RetryLater, required_contact, required_template
from sigap_notify.channels.contacts import ContactResolver
from sigap_notify.deliveries.batch import BatchReads
from sigap_notify.recipients import mask_address
from sigap_notify.templates.rules import render


class HttpGatewayChannel:
    resend_safe = False
    settles_on_claim = False

    def __init__(
        self,
        *,
        name: str,
        pool: asyncpg.Pool,
        resolver: ContactResolver,
        session: aiohttp.ClientSession,
        url: str,
        body_template: str,
        token: str | None = None,
        max_text_length: int = 640,
    ) -> None:
        self._name = name
        self._pool = pool
        self._resolver = resolver
        self._session = session
        self._url = url
        self._body_template = string.Template(body_template)
        self._headers = {"Content-Type": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._max_text_length = max_text_length

    async def send(self, delivery: Delivery, *, batch: BatchReads) -> str | None:
        contact = await required_contact(
            self._resolver,
            batch=batch,
            recipient=delivery.recipient,
            channel=self._name,
            params=delivery.params,
            missing=f"no {self._name} number known for this recipient",
        )
        template = await required_template(self._pool, batch=batch, key=delivery.template, language=contact.language)
        text = render(
            subject=template["subject"], body=template["body"], params=delivery.params, language=template["language"]
        ).body
        reference = f"sigap-{delivery.id}-{delivery.event_id}"
        body = self._body_template.safe_substitute(
            to=orjson.dumps(contact.addresses[0]).decode(),
            text=orjson.dumps(text[: self._max_text_length]).decode(),
            reference=orjson.dumps(reference).decode(),
        )
        try:
            async with self._session.post(
                self._url, data=body.encode(), headers={**self._headers, "Idempotency-Key": reference}
            ) as response:
                status = response.status
                await response.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RetryLater(f"{self._name} gateway unreachable: {type(exc).__name__}") from exc
        if not 200 <= status < 300:
            raise RetryLater(f"{self._name} gateway answered {status}")
        return mask_address(contact.addresses[0])
