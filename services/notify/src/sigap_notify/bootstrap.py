"""Composition root of the notify service: the shared runtime (pool, migrations, consumer,
outbox relay for department topics) plus notify's own: the context its routes use (built once
in the lifespan), the delivery dispatcher and the keeper of department topics. Nothing happens
at import time."""

from __future__ import annotations

import asyncio
import dataclasses
import contextlib
import functools
from collections.abc import AsyncIterator
from datetime import tzinfo

import aiohttp
import asyncpg
from aiohttp.abc import AbstractResolver
from fastapi import APIRouter, FastAPI

from sigap_notify import asyncapi
from sigap_notify.channels.base import Channel, UnconfiguredChannel
from sigap_notify.channels.contacts import (
    ChainedContactResolver,
    ContactResolver,
    IntakeContactResolver,
    StaffContactResolver,
    SubscriptionContactResolver,
)
from sigap_notify.channels.email import EmailChannel
from sigap_notify.channels.gateway import HttpGatewayChannel
from sigap_notify.channels.push import WebPushChannel
from sigap_notify.channels.webhook import WebhookChannel
from sigap_notify.context import NotifyContext
from sigap_notify.dashboard import router as dashboard
from sigap_notify.dashboard.fanout import PostgresFanOut
from sigap_notify.dashboard.hub import DashboardChannel, DashboardHub, FanOut
from sigap_notify.deliveries import router as deliveries
from sigap_notify.escalation_contacts import router as escalation_contacts
from sigap_notify.deliveries.dispatcher import Dispatcher
from sigap_notify.deliveries.rules import DigestPolicy
from sigap_notify.egress import Egress, EgressPolicy
from sigap_notify.errors import domain_error_response
from sigap_notify.personal_data import router as personal_data
from sigap_notify.events.audience import DEPARTMENT_EVENT_TYPES
from sigap_notify.events.department_topics import keep_department_topics
from sigap_notify.events.handlers import on_complaint_event, on_complaints_submitted
from sigap_notify.events.planning import DEFAULT_ZONE
from sigap_notify.intake_client import IntakeClient
from sigap_notify.reporter import router as reporter
from sigap_notify.reporter.commands import seal_legacy_subscription_addresses
from sigap_notify.sealing import SecretBox
from sigap_notify.settings import NotifySettings
from sigap_notify.subscriptions import router as subscriptions
from sigap_notify.subscriptions.commands import seal_legacy_webhook_secrets
from sigap_notify.template_preview import router as template_preview
from sigap_notify.templates import router as templates
from sigap_shared.consumer import BatchHandler
from sigap_shared.errors import DomainError
from sigap_shared.events import (
    TOPIC_COMPLAINT_FOLLOWUP,
    TOPIC_COMPLAINT_ROUTED,
    TOPIC_COMPLAINT_SLA,
    TOPIC_COMPLAINT_STATUS,
    TOPIC_COMPLAINT_SUBMITTED,
    ComplaintSubmitted,
)
from sigap_shared.housekeeping import ExpiringRows
from sigap_shared.runtime import ConsumerSpec, Runtime, ServiceSpec, create_service_app, run_app
from sigap_shared.staff_directory import StaffDirectory

ROUTERS: tuple[APIRouter, ...] = (
    deliveries.router,
    templates.router,
    template_preview.router,
    subscriptions.router,
    escalation_contacts.router,
    reporter.router,
    dashboard.router,
    asyncapi.router,
    personal_data.router,
)

CONSUMED_TOPICS = (
    TOPIC_COMPLAINT_SUBMITTED,
    TOPIC_COMPLAINT_ROUTED,
    TOPIC_COMPLAINT_STATUS,
    TOPIC_COMPLAINT_SLA,
    TOPIC_COMPLAINT_FOLLOWUP,
)


def expiring_rows(settings: NotifySettings) -> list[ExpiringRows]:
    """Events about complaints whose submission never arrived (forged, or lost): purged with
    the outbox and inbox once they waited longer than any real submission could lag."""
    return [
        ExpiringRows(
            table="parked_events", timestamp_column="parked_at", retention_s=settings.parked_event_retention_s
        )
    ]


def service_spec(*, consumers: bool = True, zone: tzinfo = DEFAULT_ZONE) -> ServiceSpec:
    """What the shared runtime runs for notify; without `consumers`, the API alone (tests of
    the API that feed events to the handlers themselves). `zone`: the city's time zone
    (SIGAP_TIMEZONE), for the times messages show."""
    # Submissions only tell notify which complaints exist (see events/handlers.py); every
    # event notify acts on is one its department topics carry.
    handlers = {ComplaintSubmitted.event_type: BatchHandler(functools.partial(on_complaints_submitted, zone=zone))} | {
        event_type: functools.partial(on_complaint_event, zone=zone) for event_type in DEPARTMENT_EVENT_TYPES
    }
    return ServiceSpec(
        package="sigap_notify",
        title="Sigap Notify",
        description="Turns complaint events into notifications for reporters, staff and department systems.",
        routers=ROUTERS,
        consumers=[ConsumerSpec(name="deliveries", topics=CONSUMED_TOPICS, handlers=handlers)] if consumers else [],
        # Department topics are published through notify's own outbox.
        publishes=True,
        expiring_rows=expiring_rows,  # type: ignore[arg-type]
    )


def build_resolver(settings: NotifySettings, pool: asyncpg.Pool, http: aiohttp.ClientSession) -> ContactResolver:
    resolvers: list[ContactResolver] = [
        StaffContactResolver(pool),
        SubscriptionContactResolver(pool, SecretBox(settings.webhook_key())),
    ]
    if settings.intake_internal_url:
        resolvers.append(
            IntakeContactResolver(base_url=settings.intake_internal_url, token=_internal_token(settings), session=http)
        )
    return ChainedContactResolver(resolvers)


def _internal_token(settings: NotifySettings) -> str | None:
    return settings.internal_token.get_secret_value() if settings.internal_token else None


def build_channels(
    settings: NotifySettings,
    *,
    pool: asyncpg.Pool,
    hub: DashboardHub,
    http: aiohttp.ClientSession,
    resolver: ContactResolver,
    egress: Egress,
    fanout: FanOut | None = None,
) -> dict[str, Channel]:
    """`http` reaches what the city configured (intake, SMS and WhatsApp gateways); `egress`
    what departments and reporters chose (webhook URLs, push endpoints): public addresses only."""
    channels: dict[str, Channel] = {
        "dashboard": DashboardChannel(hub, fanout),
        "webhook": WebhookChannel(
            pool=pool, egress=egress, box=SecretBox(settings.webhook_key()), allow_http=settings.webhook_allow_http
        ),
        "email": _email_channel(settings, pool=pool, resolver=resolver),
    }
    gateways = {
        "sms": (settings.sms_gateway_url, settings.sms_gateway_token, settings.sms_gateway_body),
        "whatsapp": (settings.whatsapp_gateway_url, settings.whatsapp_gateway_token, settings.whatsapp_gateway_body),
    }
    for name, (url, token, body) in gateways.items():
        channels[name] = (
            HttpGatewayChannel(
                name=name,
                pool=pool,
                resolver=resolver,
                session=http,
                url=url,
                body_template=body,
                token=token.get_secret_value() if token else None,
            )
            if url
            else UnconfiguredChannel(name)
        )
    channels["push"] = (
        WebPushChannel(
            pool=pool,
            resolver=resolver,
            egress=egress,
            vapid_private_key=settings.vapid_private_key.get_secret_value(),
            vapid_subject=settings.vapid_subject,
            public_base_url=settings.public_base_url,
        )
        if settings.vapid_private_key
        else UnconfiguredChannel("push")
    )
    return channels


def _email_channel(settings: NotifySettings, *, pool: asyncpg.Pool, resolver: ContactResolver) -> Channel:
    if not settings.smtp_host:
        return UnconfiguredChannel("email")
    return EmailChannel(
        pool=pool,
        resolver=resolver,
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        use_tls=settings.smtp_use_tls,
        start_tls=settings.smtp_start_tls,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        timeout_s=settings.smtp_timeout_s,
        public_base_url=settings.public_base_url,
        # One open session per concurrent send: fewer and each batch reopens the rest.
        max_idle_connections=settings.dispatcher_concurrency,
    )


def digest_policy(settings: NotifySettings) -> DigestPolicy | None:
    if settings.staff_digest_threshold <= 0:
        return None
    return DigestPolicy(threshold=settings.staff_digest_threshold, window_s=settings.staff_digest_window_s)


def build_dispatcher(settings: NotifySettings, pool: asyncpg.Pool, channels: dict[str, Channel]) -> Dispatcher:
    return Dispatcher(
        pool=pool,
        connect_kwargs=settings.pg_connect_kwargs(),
        channels=channels,
        max_attempts=settings.delivery_max_attempts,
        backoff_base_s=settings.delivery_backoff_base_s,
        backoff_max_s=settings.delivery_backoff_max_s,
        batch_size=settings.dispatcher_batch_size,
        concurrency=settings.dispatcher_concurrency,
        poll_interval_s=settings.dispatcher_poll_interval_s,
        stale_after_s=settings.dispatcher_stale_after_s,
        digest=digest_policy(settings),
    )


def new_http_session(settings: NotifySettings) -> aiohttp.ClientSession:
    """One session (and connection pool) for intake lookups and the city's SMS and WhatsApp
    gateways: addresses the city configured."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=settings.webhook_timeout_s),
        connector=aiohttp.TCPConnector(limit=settings.dispatcher_concurrency * 2),
    )


def open_egress(settings: NotifySettings, *, dns: AbstractResolver | None = None) -> Egress:
    """The session for webhook URLs and push endpoints, which only reaches public addresses
    and the networks in SIGAP_WEBHOOK_ALLOWED_NETWORKS; `dns` replaces the system resolver
    (tests)."""
    return Egress(
        EgressPolicy(allowed=tuple(settings.webhook_allowed_networks)),
        timeout_s=settings.webhook_timeout_s,
        limit=settings.dispatcher_concurrency * 2,
        dns=dns,
    )


def build_context(
    settings: NotifySettings,
    pool: asyncpg.Pool,
    *,
    staff_directory: StaffDirectory,
    dns: AbstractResolver | None = None,
) -> NotifyContext:
    http = new_http_session(settings)
    egress = open_egress(settings, dns=dns)
    hub = DashboardHub()
    fanout = PostgresFanOut(hub, pool=pool, connect_kwargs=settings.pg_connect_kwargs())
    resolver = build_resolver(settings, pool, http)
    channels = build_channels(
        settings, pool=pool, hub=hub, http=http, resolver=resolver, egress=egress, fanout=fanout
    )
    return NotifyContext(
        settings=settings,
        box=SecretBox(settings.webhook_key()),
        http=http,
        egress=egress,
        hub=hub,
        fanout=fanout,
        intake=IntakeClient(base_url=settings.intake_internal_url, token=_internal_token(settings), session=http),
        resolver=resolver,
        dispatcher=build_dispatcher(settings, pool, channels),
        staff_directory=staff_directory,
    )


def create_app(
    settings: NotifySettings, *, consumers: bool = True, dns: AbstractResolver | None = None
) -> FastAPI:
    """The notify app. `consumers=False` leaves the Kafka consumer out (tests that feed events
    to the handlers themselves); `dns` replaces the system resolver for webhook and push
    targets (tests)."""

    @contextlib.asynccontextmanager
    async def context(settings: NotifySettings, runtime: Runtime) -> AsyncIterator[NotifyContext]:
        box = SecretBox(settings.webhook_key())
        async with runtime.pool.acquire() as conn, conn.transaction():
            await seal_legacy_webhook_secrets(conn=conn, box=box)
            await seal_legacy_subscription_addresses(conn=conn, box=box)
        # `app` is bound below; the context is entered only once the app starts.
        built = build_context(settings, runtime.pool, staff_directory=app.state.staff_directory, dns=dns)
        tasks = [
            asyncio.create_task(built.dispatcher.run(), name="notify-dispatcher"),
            asyncio.create_task(built.fanout.run(), name="notify-dashboard-fanout"),
            asyncio.create_task(keep_department_topics(settings, runtime.pool), name="notify-department-topics"),
        ]
        try:
            yield built
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await built.close()

    spec = dataclasses.replace(service_spec(consumers=consumers, zone=settings.city_zone), context=context)  # type: ignore[arg-type]
    app = create_service_app(settings, spec)
    app.add_exception_handler(DomainError, domain_error_response)
    return app


def main() -> None:
    run_app(NotifySettings(), create_app)
