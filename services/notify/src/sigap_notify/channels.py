"""The ways a notification leaves Sigap. Each channel sends one claimed delivery and either
returns (sent, with the masked address it went to), raises `RetryLater` (the channel or a
lookup is down: try again with backoff) or raises `Undeliverable` (nothing to retry: nobody
to send to, or no provider configured)."""

from __future__ import annotations

import asyncio
import base64
import string
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from typing import Any, Protocol
from uuid import UUID

import aiohttp
import aiosmtplib
import asyncpg
import orjson
import structlog
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async

from sigap_notify import domain, lookups, repository
from sigap_notify.contacts import ContactLookupUnavailable, ContactResolver
from sigap_notify.egress import Egress, RefusedAddress
from sigap_notify.sealing import SecretBox, SecretUnreadable

log = structlog.get_logger(__name__)


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


async def load_template(pool: asyncpg.Pool, *, key: str, language: str) -> asyncpg.Record | None:
    """The template in `language` (Indonesian when missing), read once per dispatch batch."""

    async def load() -> asyncpg.Record | None:
        async with pool.acquire() as conn:
            return await repository.get_template(conn=conn, key=key, language=language)

    return await lookups.once(("template", key, language), load)


class Channel(Protocol):
    # Whether a send interrupted mid-way may be repeated: true only when the receiver dedupes
    # on the idempotency key we send.
    resend_safe: bool
    # Whether the claim itself records the delivery as sent (one write instead of claim, then
    # mark): only for in-process sends that cannot fail in a way worth a retry. A crash between
    # the claim's commit and the send loses that send; it is never repeated.
    settles_on_claim: bool

    async def send(self, delivery: Delivery) -> str | None: ...


class UnconfiguredChannel:
    """A channel the city has not plugged a provider into (yet)."""

    resend_safe = False
    settles_on_claim = False

    def __init__(self, name: str) -> None:
        self._name = name

    async def send(self, delivery: Delivery) -> str | None:
        raise Undeliverable(f"no provider configured for channel {self._name}")


class DashboardChannel:
    """Staff dashboards: pushed to the live stream of the recipient's department, or of the
    field officer the recipient names (only that officer's stream). A push onto an in-process
    queue cannot fail in a way a retry would fix (a stalled browser's full queue drops it), so
    its deliveries are settled by their claim."""

    resend_safe = True
    settles_on_claim = True

    def __init__(self, hub: "DashboardHub") -> None:
        self._hub = hub

    async def send(self, delivery: Delivery) -> str | None:
        self._hub.publish(
            dashboard_key(delivery.recipient),
            {
                "notification_id": delivery.id,
                "event_id": str(delivery.event_id),
                "event_type": delivery.event_type,
                "complaint_id": str(delivery.complaint_id),
                "template": delivery.template,
                "params": delivery.params,
            },
        )
        return None


def dashboard_key(recipient: str) -> str:
    """Which streams a dashboard notification goes to: `officer:<CODE>:<username>` is an
    officer's own stream; `department:<CODE>:admins` and `desk:<CODE>` the stream of CODE."""
    if recipient.startswith(domain.OFFICER_PREFIX):
        return recipient
    return recipient.split(":")[1] if ":" in recipient else recipient


# The key a city-wide stream (city admin, auditor) listens on.
EVERY_DEPARTMENT = "*"


class DashboardHub:
    """In-process fan-out of dashboard notifications to Server-Sent Events streams. A stream
    listens on one or more keys (a department, and an officer's own key)."""

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

    def publish(self, key: str, message: dict[str, Any]) -> None:
        listeners = set(self._queues.get(key, ()))
        if not key.startswith(domain.OFFICER_PREFIX):
            # City-wide streams hear every department's and desk's news (not officers' own).
            listeners |= self._queues.get(EVERY_DEPARTMENT, set())
        for queue in listeners:
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                self.dropped += 1  # a stalled browser must not hold back the dispatcher


class EmailChannel:
    """SMTP through the configured relay, reusing a few open connections (a fresh SMTP session
    per message costs more than the message). The Message-ID is derived from the delivery, so
    a relay or mailbox that dedupes on it sees one message however often it is offered."""

    resend_safe = False
    settles_on_claim = False

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        resolver: ContactResolver,
        host: str,
        port: int,
        sender: str,
        use_tls: bool = False,
        start_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
        public_base_url: str = "",
        max_idle_connections: int = 8,
        max_idle_s: float = 30.0,
    ) -> None:
        self._pool = pool
        self._resolver = resolver
        self._host = host
        self._port = port
        self._sender = sender
        self._envelope_sender = parseaddr(sender)[1] or sender
        self._use_tls = use_tls
        self._start_tls = start_tls
        self._username = username
        self._password = password
        self._timeout_s = timeout_s
        self._public_base_url = public_base_url.rstrip("/")
        self._max_idle_connections = max_idle_connections
        self._max_idle_s = max_idle_s
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []

    async def send(self, delivery: Delivery) -> str | None:
        return await self._compose_and_send(
            recipient=delivery.recipient,
            template_key=delivery.template,
            params=delivery.params,
            message_id=f"<notification-{delivery.id}.{delivery.event_id}@sigap.notify>",
            complaint_id=str(delivery.complaint_id),
        )

    async def send_digest(self, deliveries: list[Delivery]) -> str | None:
        """One mail for many staff notifications of the same recipient."""
        first = deliveries[0]
        codes = sorted({str(d.params.get("tracking_code")) for d in deliveries})
        return await self._compose_and_send(
            recipient=first.recipient,
            template_key="staff.digest",
            params={**first.params, "count": len(deliveries), "tracking_codes": ", ".join(codes)},
            message_id=f"<digest-{min(d.id for d in deliveries)}-{max(d.id for d in deliveries)}@sigap.notify>",
            complaint_id=None,
        )

    async def _compose_and_send(
        self,
        *,
        recipient: str,
        template_key: str,
        params: dict[str, Any],
        message_id: str,
        complaint_id: str | None,
    ) -> str | None:
        try:
            contact = await self._resolver.resolve(recipient=recipient, channel="email", params=params)
        except ContactLookupUnavailable as exc:
            raise RetryLater(str(exc)) from exc
        if contact is None or not contact.addresses:
            raise Undeliverable("no email address known for this recipient")
        template = await load_template(self._pool, key=template_key, language=contact.language)
        if template is None:
            raise Undeliverable(f"no template {template_key}")
        tracking_code = params.get("tracking_code") or ""
        message = domain.render(
            subject=template["subject"],
            body=template["body"],
            params={
                **params,
                "rating_url": f"{self._public_base_url}/lacak/{tracking_code}/nilai",
                "tracking_url": f"{self._public_base_url}/lacak/{tracking_code}",
            },
        )
        headers = [("Date", formatdate(localtime=False)), ("Message-ID", message_id)]
        headers.append(("Content-Language", template["language"]))
        if complaint_id is not None:
            headers.append(("X-Sigap-Complaint", complaint_id))
        recipients = list(contact.addresses)
        raw = domain.plain_email(
            sender=self._sender, to=recipients, subject=message.subject, body=message.body, headers=headers
        )
        try:
            await self._send_message(raw or self._mime_message(message, recipients, headers), recipients=recipients)
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            raise RetryLater(f"smtp: {_smtp_error(exc)}") from exc
        return ", ".join(domain.mask_address(address) for address in contact.addresses)

    def _mime_message(
        self, message: domain.RenderedMessage, recipients: list[str], headers: list[tuple[str, str]]
    ) -> MIMEText:
        """What the email package makes of a message `domain.plain_email` leaves to it (e.g. an
        address that is not ASCII). compat32 MIMEText: the modern EmailMessage re-parses every
        header it is given."""
        email = MIMEText(message.body, "plain", "utf-8")
        # A display name that is not ASCII must be an encoded word, or the address is lost.
        email["From"] = formataddr(parseaddr(self._sender), charset="utf-8")
        email["To"] = ", ".join(recipients)
        email["Subject"] = Header(message.subject, "utf-8")
        for name, value in headers:
            email[name] = value
        return email

    async def _send_message(self, email: MIMEText | bytes, *, recipients: list[str]) -> None:
        client = await self._connection()
        try:
            if isinstance(email, bytes):
                await client.sendmail(self._envelope_sender, recipients, email)
            else:
                await client.send_message(email, recipients=recipients)
        except BaseException:
            # After any failure the session's state is unknown: never reuse it.
            await _close_quietly(client)
            raise
        if len(self._idle) < self._max_idle_connections:
            self._idle.append((client, time.monotonic()))
        else:
            await _close_quietly(client)

    async def _connection(self) -> aiosmtplib.SMTP:
        now = time.monotonic()
        while self._idle:
            client, idle_since = self._idle.pop()
            if client.is_connected and now - idle_since < self._max_idle_s:
                return client
            await _close_quietly(client)
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            use_tls=self._use_tls,
            start_tls=self._start_tls,
            timeout=self._timeout_s,
        )
        await client.connect()
        if self._username:
            await client.login(self._username, self._password or "")
        return client

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client, _ in idle:
            await _close_quietly(client)


async def _close_quietly(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await asyncio.wait_for(client.quit(), 2)
    except Exception:  # noqa: BLE001 - a broken session may fail to close in any way
        client.close()


def _smtp_error(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__


class WebhookChannel:
    """HTTPS POST of the structured CloudEvent, signed (see WEBHOOKS.md). The event id is the
    idempotency key, so a receiver that dedupes on it may safely see a retry."""

    resend_safe = True
    settles_on_claim = False

    def __init__(self, *, pool: asyncpg.Pool, egress: Egress, box: SecretBox, allow_http: bool = False) -> None:
        self._pool = pool
        self._egress = egress
        self._box = box
        self._allow_http = allow_http

    async def send(self, delivery: Delivery) -> str | None:
        subscription_id = UUID(delivery.recipient.removeprefix(domain.WEBHOOK_PREFIX))
        subscription = await lookups.once(("webhook", subscription_id), lambda: self._load(subscription_id))
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
            domain.SIGNATURE_HEADER: domain.sign_webhook(secret=secret, timestamp=timestamp, body=body),
            domain.TIMESTAMP_HEADER: str(timestamp),
            domain.EVENT_ID_HEADER: str(delivery.event_id),
            domain.IDEMPOTENCY_HEADER: str(delivery.event_id),
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
        return domain.mask_address(url)

    async def _load(self, subscription_id: UUID) -> asyncpg.Record | None:
        async with self._pool.acquire() as conn:
            return await repository.get_webhook(conn=conn, subscription_id=subscription_id)

    def _secret(self, subscription: Mapping[str, Any]) -> str:
        if subscription["secret_sealed"] is None:
            # Written before secrets were sealed and not sealed yet (start-up does it).
            return subscription["legacy_secret"]
        try:
            return self._box.open(subscription["secret_sealed"], webhook_id=subscription["id"])
        except SecretUnreadable as exc:
            # Another key than the one that sealed it: an operator must fix the setting.
            raise RetryLater("webhook secret does not open with SIGAP_WEBHOOK_SECRET_KEY") from exc


class HttpGatewayChannel:
    """SMS or WhatsApp through the city's provider: an HTTP POST to a configurable URL with a
    configurable JSON body (`string.Template`: `$to`, `$text`, `$reference`, each inserted as a
    JSON string), a bearer token and `Idempotency-Key` (providers that honour it drop repeats)."""

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

    async def send(self, delivery: Delivery) -> str | None:
        try:
            contact = await self._resolver.resolve(
                recipient=delivery.recipient, channel=self._name, params=delivery.params
            )
        except ContactLookupUnavailable as exc:
            raise RetryLater(str(exc)) from exc
        if contact is None or not contact.addresses:
            raise Undeliverable(f"no {self._name} number known for this recipient")
        template = await load_template(self._pool, key=delivery.template, language=contact.language)
        if template is None:
            raise Undeliverable(f"no template {delivery.template}")
        text = domain.render(subject=template["subject"], body=template["body"], params=delivery.params).body
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
        return domain.mask_address(contact.addresses[0])


class WebPushChannel:
    """Web push to the citizen web page (VAPID, RFC 8291 aes128gcm encryption by pywebpush).
    The contact is the browser's PushSubscription JSON (endpoint + keys), from a direct
    subscription or from intake. An endpoint the push service reports gone (404/410) is
    undeliverable, not retried."""

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

    async def send(self, delivery: Delivery) -> str | None:
        try:
            contact = await self._resolver.resolve(recipient=delivery.recipient, channel="push", params=delivery.params)
        except ContactLookupUnavailable as exc:
            raise RetryLater(str(exc)) from exc
        if contact is None or not contact.addresses:
            raise Undeliverable("no push subscription known for this recipient")
        try:
            subscription = orjson.loads(contact.addresses[0])
            endpoint = str(subscription["endpoint"])
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise Undeliverable("push subscription is not readable") from exc
        template = await load_template(self._pool, key=delivery.template, language=contact.language)
        if template is None:
            raise Undeliverable(f"no template {delivery.template}")
        message = domain.render(subject=template["subject"], body=template["body"], params=delivery.params)
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
            response = await webpush_async(
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
        del response
        return domain.mask_address(endpoint)


def vapid_public_key(vapid: Vapid) -> str:
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
