"""What every channel shares. A channel sends one claimed delivery and either returns (sent,
with the masked address it went to), raises `RetryLater` (the channel or a lookup is down:
try again with backoff) or raises `Undeliverable` (nothing to retry: nobody to send to, or no
provider configured)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import asyncpg
import orjson

from sigap_notify.channels.contacts import Contact, ContactLookupUnavailable, ContactResolver
from sigap_notify.deliveries.batch import BatchReads
from sigap_notify.templates import repository as templates


class RetryLater(Exception):
    """The channel could not deliver now; the dispatcher retries with backoff."""


class Undeliverable(Exception):
    """Retrying cannot help; the delivery is reported `undeliverable`."""


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    event_id: UUID
    complaint_id: UUID
    event_type: str
    recipient: str
    channel: str
    template: str
    params: dict[str, Any]
    attempts: int
    held_for_digest: bool = False

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Delivery":
        params = row["params"]
        return cls(
            id=row["id"],
            event_id=row["event_id"],
            complaint_id=row["complaint_id"],
            event_type=row["event_type"],
            recipient=row["recipient"],
            channel=row["channel"],
            template=row["template"],
            params=orjson.loads(params) if isinstance(params, str | bytes) else dict(params),
            attempts=row["attempts"],
            held_for_digest=bool(row.get("held_for_digest", False)),
        )


class Channel(Protocol):
    # Whether a send interrupted mid-way may be repeated: true only when the receiver dedupes
    # on the idempotency key we send.
    resend_safe: bool
    # Whether the claim itself records the delivery as sent (one write instead of claim, then
    # mark): only for channels whose send joins the claim's transaction (`SettledChannel`), so
    # a delivery leaves exactly when its claim commits.
    settles_on_claim: bool

    async def send(self, delivery: Delivery, *, batch: BatchReads) -> str | None: ...


class SettledChannel(Channel, Protocol):
    """A channel that sends inside the transaction that claims and settles its deliveries
    (the live stream: its PostgreSQL NOTIFYs go out when that transaction commits, and never if
    it does not)."""

    async def send_claimed(self, deliveries: list[Delivery], *, conn: asyncpg.Connection) -> None: ...


class UnconfiguredChannel:
    """A channel the city has not plugged a provider into (yet)."""

    resend_safe = False
    settles_on_claim = False

    def __init__(self, name: str) -> None:
        self._name = name

    async def send(self, delivery: Delivery, *, batch: BatchReads) -> str | None:
        raise Undeliverable(f"no provider configured for channel {self._name}")


async def load_template(
    pool: asyncpg.Pool, *, batch: BatchReads, key: str, language: str
) -> asyncpg.Record | None:
    """The template in `language` (Indonesian when missing), read once per dispatch batch."""

    async def load() -> asyncpg.Record | None:
        async with pool.acquire() as conn:
            return await templates.get_template(conn=conn, key=key, language=language)

    return await batch.once(("template", key, language), load)


async def required_template(pool: asyncpg.Pool, *, batch: BatchReads, key: str, language: str) -> asyncpg.Record:
    template = await load_template(pool, batch=batch, key=key, language=language)
    if template is None:
        raise Undeliverable(f"no template {key}")
    return template


async def required_contact(
    resolver: ContactResolver,
    *,
    batch: BatchReads,
    recipient: str,
    channel: str,
    params: Mapping[str, Any],
    missing: str,
) -> Contact:
    """Where `recipient` is reached on `channel`: `RetryLater` when the source does not answer
    now, `Undeliverable` (saying `missing`) when nobody is known."""
    try:
        contact = await resolver.resolve(recipient=recipient, channel=channel, params=params, batch=batch)
    except ContactLookupUnavailable as exc:
        raise RetryLater(str(exc)) from exc
    if contact is None or not contact.addresses:
        raise Undeliverable(missing)
    return contact
