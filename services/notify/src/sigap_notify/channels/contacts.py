"""Where a recipient can be reached, looked up at send time so that no contact detail ever
travels on Kafka. A `ContactResolver` answers `(recipient, channel)` with a `Contact`, `None`
when nobody is reachable that way, or raises `ContactLookupUnavailable` when it cannot tell
right now (the delivery is then retried).

- `StaffContactResolver`: staff e-mail from notify's own tables: `department:<CODE>:admins`
  -> the department's staff addresses (table `department_contacts`, edited through the API),
  `officer:<CODE>:<username>` -> a field officer's addresses (table `officer_contacts`, edited
  through the API by the department's admin), `escalation:<CODE>:<step>` -> who the city named
  for that step of the department's escalation ladder (table `escalation_contacts`, edited by
  the city admin).
- `SubscriptionContactResolver`: channels a reporter subscribed directly with notify
  (`POST /v1/subscriptions` with tracking code + follow-up token), addresses stored sealed.
- `IntakeContactResolver`: asks intake's internal API, which holds the encrypted identities,
  to resolve a reporter pseudonym (see INTAKE_CONTRACT.md).
- `ChainedContactResolver`: the first resolver that knows the answer wins."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import asyncpg
import structlog

from sigap_notify.deliveries.batch import BatchReads
from sigap_notify.escalation_contacts import repository as escalation_contacts
from sigap_notify.recipients import (
    ANONYMOUS_REPORTER_PREFIX,
    DEPARTMENT_PREFIX,
    ESCALATION_PREFIX,
    OFFICER_PREFIX,
    REPORTER_PREFIX,
)
from sigap_notify.reporter import repository as reporter_subscriptions
from sigap_notify.sealing import SecretBox, SecretUnreadable
from sigap_notify.subscriptions import repository as staff_contacts

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Contact:
    addresses: tuple[str, ...]
    language: str = "id"


class ContactLookupUnavailable(Exception):
    """The contact source did not answer; try again later."""


class ContactResolver(Protocol):
    async def resolve(
        self, *, recipient: str, channel: str, params: Mapping[str, Any], batch: BatchReads
    ) -> Contact | None: ...


class StaffContactResolver:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def resolve(
        self, *, recipient: str, channel: str, params: Mapping[str, Any], batch: BatchReads
    ) -> Contact | None:
        if channel != "email":
            return None
        if recipient.startswith(DEPARTMENT_PREFIX):
            department = recipient.split(":")[1]
            emails = await batch.once(("department_emails", department), lambda: self._department_emails(department))
        elif recipient.startswith(OFFICER_PREFIX):
            department, _, username = recipient.removeprefix(OFFICER_PREFIX).partition(":")
            emails = await batch.once(
                ("officer_emails", department, username), lambda: self._officer_emails(department, username)
            )
        elif recipient.startswith(ESCALATION_PREFIX):
            department, _, step = recipient.removeprefix(ESCALATION_PREFIX).partition(":")
            emails = await batch.once(
                ("escalation_emails", department, step), lambda: self._escalation_emails(department, step)
            )
        else:
            return None
        return Contact(addresses=tuple(emails)) if emails else None

    async def _department_emails(self, department: str) -> list[str]:
        async with self._pool.acquire() as conn:
            return await staff_contacts.department_emails(conn=conn, department=department)

    async def _officer_emails(self, department: str, username: str) -> list[str]:
        async with self._pool.acquire() as conn:
            return await staff_contacts.officer_emails(conn=conn, department=department, username=username)

    async def _escalation_emails(self, department: str, step: str) -> list[str]:
        async with self._pool.acquire() as conn:
            return await escalation_contacts.emails_for(conn=conn, department=department, step=step)


class SubscriptionContactResolver:
    def __init__(self, pool: asyncpg.Pool, box: SecretBox) -> None:
        self._pool = pool
        self._box = box

    async def resolve(
        self, *, recipient: str, channel: str, params: Mapping[str, Any], batch: BatchReads
    ) -> Contact | None:
        tracking_code = params.get("tracking_code")
        if not recipient.startswith(REPORTER_PREFIX) or not tracking_code:
            return None
        row = await batch.together("subscription", (tracking_code, channel), self._load)
        if row is None:
            return None
        if row["address_sealed"] is None:
            # Written before addresses were sealed and not sealed yet (start-up does it).
            return Contact(addresses=(row["legacy_address"],), language=row["language"])
        try:
            address = self._box.open_address(row["address_sealed"], tracking_code=tracking_code, channel=channel)
        except SecretUnreadable as exc:
            # Another key than the one that sealed it: an operator must fix the setting.
            raise ContactLookupUnavailable("subscribed address does not open with SIGAP_WEBHOOK_SECRET_KEY") from exc
        return Contact(addresses=(address,), language=row["language"])

    async def _load(self, keys: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], asyncpg.Record]:
        async with self._pool.acquire() as conn:
            return await reporter_subscriptions.find_subscriptions(conn=conn, keys=keys)


class IntakeContactResolver:
    """`POST {intake}/internal/v1/reporter-contacts/resolve` with `{"pseudonym", "channel"}`:
    200 `{"address": ..., "language": "id"|"en"}`, 404 when the reporter has no address on
    that channel (or withdrew it)."""

    def __init__(self, *, base_url: str, token: str | None, session: aiohttp.ClientSession) -> None:
        self._url = base_url.rstrip("/") + "/internal/v1/reporter-contacts/resolve"
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._session = session

    async def resolve(
        self, *, recipient: str, channel: str, params: Mapping[str, Any], batch: BatchReads
    ) -> Contact | None:
        if not recipient.startswith(REPORTER_PREFIX) or recipient.startswith(ANONYMOUS_REPORTER_PREFIX):
            return None
        pseudonym = recipient.removeprefix(REPORTER_PREFIX)
        try:
            async with self._session.post(
                self._url, json={"pseudonym": pseudonym, "channel": channel}, headers=self._headers
            ) as response:
                if response.status == 404:
                    return None
                if response.status != 200:
                    raise ContactLookupUnavailable(f"intake answered {response.status}")
                body = await response.json(content_type=None)
            address = str(body["address"])
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise ContactLookupUnavailable(f"intake unreachable: {type(exc).__name__}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise ContactLookupUnavailable("intake answered an unreadable contact") from exc
        language = body.get("language") if body.get("language") in ("id", "en") else "id"
        return Contact(addresses=(address,), language=language)


class ChainedContactResolver:
    def __init__(self, resolvers: Sequence[ContactResolver]) -> None:
        self._resolvers = list(resolvers)

    async def resolve(
        self, *, recipient: str, channel: str, params: Mapping[str, Any], batch: BatchReads
    ) -> Contact | None:
        for resolver in self._resolvers:
            contact = await resolver.resolve(recipient=recipient, channel=channel, params=params, batch=batch)
            if contact is not None:
                return contact
        return None
