"""Composition root of the notify service: the shared runtime (pool, migrations, consumer,
outbox relay for department topics) plus notify's own background work: the delivery
dispatcher and the keeper of department topics. Nothing happens at import time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import asyncpg
import structlog
from aiohttp.abc import AbstractResolver
from fastapi import FastAPI

from sigap_notify import domain, repository
from sigap_notify.api import router
from sigap_notify.asyncapi import router as asyncapi_router
from sigap_notify.template_preview.router import router as template_preview_router
from sigap_notify.channels import (
    Channel,
    DashboardChannel,
    DashboardHub,
    EmailChannel,
    HttpGatewayChannel,
    UnconfiguredChannel,
    WebhookChannel,
    WebPushChannel,
)
from sigap_notify.contacts import (
    ChainedContactResolver,
    ContactResolver,
    DepartmentContactResolver,
    IntakeContactResolver,
    OfficerContactResolver,
    SubscriptionContactResolver,
)
from sigap_notify.dispatcher import DigestPolicy, Dispatcher
from sigap_notify.egress import Egress, EgressPolicy
from sigap_notify.handlers import (
    on_complaint_event,
    on_complaints_submitted,
    seal_legacy_subscription_addresses,
    seal_legacy_webhook_secrets,
)
from sigap_notify.intake_client import IntakeClient
from sigap_notify.sealing import SecretBox
from sigap_notify.settings import NotifySettings
from sigap_shared.events import (
    TOPIC_COMPLAINT_FOLLOWUP,
    TOPIC_COMPLAINT_ROUTED,
    TOPIC_COMPLAINT_SLA,
    TOPIC_COMPLAINT_STATUS,
    TOPIC_COMPLAINT_SUBMITTED,
    ComplaintAssigned,
    ComplaintInformationAdded,
    ComplaintRated,
    ComplaintReopenRequested,
    ComplaintReporterMessagePosted,
    ComplaintRouted,
    ComplaintSlaBreached,
    ComplaintStatusChanged,
    ComplaintSubmitted,
    ComplaintSupportAdded,
    ComplaintSupportRemoved,
    ComplaintTransferred,
)
from sigap_shared.consumer import BatchHandler
from sigap_shared.housekeeping import ExpiringRows
from sigap_shared.kafka import ensure_topics
from sigap_shared.runtime import ConsumerSpec, ServiceSpec, create_service_app, run_app

log = structlog.get_logger(__name__)

def expiring_rows(settings: NotifySettings) -> list[ExpiringRows]:
    """Events about complaints whose submission never arrived (forged, or lost): purged with
    the outbox and inbox once they waited longer than any real submission could lag."""
    return [
        ExpiringRows(
            table="parked_events", timestamp_column="parked_at", retention_s=settings.parked_event_retention_s
        )
    ]


SPEC = ServiceSpec(
    package="sigap_notify",
    title="Sigap Notify",
    description="Turns complaint events into notifications for reporters, staff and department systems.",
    routers=[router, asyncapi_router, template_preview_router],
    consumers=[
        ConsumerSpec(
            name="deliveries",
            topics=[
                TOPIC_COMPLAINT_SUBMITTED,
                TOPIC_COMPLAINT_ROUTED,
                TOPIC_COMPLAINT_STATUS,
                TOPIC_COMPLAINT_SLA,
                TOPIC_COMPLAINT_FOLLOWUP,
            ],
            # Submissions only tell notify which complaints exist (see handlers).
            handlers={ComplaintSubmitted.event_type: BatchHandler(on_complaints_submitted)}
            | {
                event.event_type: on_complaint_event
                for event in (
                    ComplaintRouted,
                    ComplaintStatusChanged,
                    ComplaintSlaBreached,
                    ComplaintTransferred,
                    ComplaintSupportAdded,
                    ComplaintSupportRemoved,
                    ComplaintAssigned,
                    ComplaintReporterMessagePosted,
                    ComplaintInformationAdded,
                    ComplaintRated,
                    ComplaintReopenRequested,
                )
            },
        )
    ],
    # Department topics are published through notify's own outbox.
    publishes=True,
    expiring_rows=expiring_rows,  # type: ignore[arg-type]
)


@dataclass
class NotifyComponents:
    hub: DashboardHub
    http: aiohttp.ClientSession
    egress: Egress
    intake: IntakeClient
    resolver: ContactResolver
    dispatcher: Dispatcher
    box: SecretBox
    tasks: list[asyncio.Task] = field(default_factory=list)


def build_resolver(settings: NotifySettings, pool: asyncpg.Pool, http: aiohttp.ClientSession) -> ContactResolver:
    resolvers: list[ContactResolver] = [
        DepartmentContactResolver(pool),
        OfficerContactResolver(pool),
        SubscriptionContactResolver(pool, SecretBox(settings.webhook_key())),
    ]
    if settings.intake_internal_url:
        token = settings.internal_token.get_secret_value() if settings.internal_token else None
        resolvers.append(IntakeContactResolver(base_url=settings.intake_internal_url, token=token, session=http))
    return ChainedContactResolver(resolvers)


def build_channels(
    settings: NotifySettings,
    *,
    pool: asyncpg.Pool,
    hub: DashboardHub,
    http: aiohttp.ClientSession,
    resolver: ContactResolver,
    egress: Egress,
) -> dict[str, Channel]:
    """`http` reaches what the city configured (intake, SMS and WhatsApp gateways); `egress`
    what departments and reporters chose (webhook URLs, push endpoints): public addresses only."""
    channels: dict[str, Channel] = {
        "dashboard": DashboardChannel(hub),
        "webhook": WebhookChannel(
            pool=pool, egress=egress, box=SecretBox(settings.webhook_key()), allow_http=settings.webhook_allow_http
        ),
    }
    if settings.smtp_host:
        channels["email"] = EmailChannel(
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
    else:
        channels["email"] = UnconfiguredChannel("email")
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


def digest_policy(settings: NotifySettings) -> DigestPolicy | None:
    if settings.staff_digest_threshold <= 0:
        return None
    return DigestPolicy(threshold=settings.staff_digest_threshold, window_s=settings.staff_digest_window_s)


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


async def start_notify(
    settings: NotifySettings, pool: asyncpg.Pool, *, dns: AbstractResolver | None = None
) -> NotifyComponents:
    box = SecretBox(settings.webhook_key())
    async with pool.acquire() as conn, conn.transaction():
        await seal_legacy_webhook_secrets(conn=conn, box=box)
        await seal_legacy_subscription_addresses(conn=conn, box=box)
    http = new_http_session(settings)
    egress = open_egress(settings, dns=dns)
    hub = DashboardHub()
    resolver = build_resolver(settings, pool, http)
    dispatcher = Dispatcher(
        pool=pool,
        connect_kwargs=settings.pg_connect_kwargs(),
        channels=build_channels(settings, pool=pool, hub=hub, http=http, resolver=resolver, egress=egress),
        max_attempts=settings.delivery_max_attempts,
        backoff_base_s=settings.delivery_backoff_base_s,
        backoff_max_s=settings.delivery_backoff_max_s,
        batch_size=settings.dispatcher_batch_size,
        concurrency=settings.dispatcher_concurrency,
        poll_interval_s=settings.dispatcher_poll_interval_s,
        stale_after_s=settings.dispatcher_stale_after_s,
        digest=digest_policy(settings),
    )
    token = settings.internal_token.get_secret_value() if settings.internal_token else None
    components = NotifyComponents(
        hub=hub,
        http=http,
        egress=egress,
        intake=IntakeClient(base_url=settings.intake_internal_url, token=token, session=http),
        resolver=resolver,
        dispatcher=dispatcher,
        box=box,
    )
    components.tasks.append(asyncio.create_task(dispatcher.run(), name="notify-dispatcher"))
    components.tasks.append(
        asyncio.create_task(keep_department_topics(settings, pool), name="notify-department-topics")
    )
    return components


async def stop_notify(components: NotifyComponents) -> None:
    for task in components.tasks:
        task.cancel()
    await asyncio.gather(*components.tasks, return_exceptions=True)
    await components.dispatcher.close()
    await components.http.close()
    await components.egress.close()


async def keep_department_topics(settings: NotifySettings, pool: asyncpg.Pool, *, interval_s: float = 5.0) -> None:
    """Create each department's topic (with the configured partitions) once it is first seen."""
    ensured: set[str] = set()
    while True:
        try:
            async with pool.acquire() as conn:
                departments = await repository.known_departments(conn=conn)
            # Same prefix the outbox relay adds when it publishes (isolated test sessions).
            missing = [
                settings.kafka_topic_prefix + domain.department_topic(code)
                for code in departments
                if code not in ensured
            ]
            if missing:
                await ensure_topics(
                    settings.kafka_bootstrap,
                    missing,
                    partitions=settings.kafka_topic_partitions,
                    replication_factor=settings.kafka_replication_factor,
                    min_insync_replicas=settings.kafka_min_insync_replicas,
                )
                ensured.update(departments)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - retried on the next round; the broker may auto-create meanwhile
            log.warning("department_topics_pending", error=repr(exc))
        await asyncio.sleep(interval_s)


def create_app(
    settings: NotifySettings, spec: ServiceSpec = SPEC, *, dns: AbstractResolver | None = None
) -> FastAPI:
    """`dns` replaces the system resolver for webhook and push targets (tests)."""
    app = create_service_app(settings, spec)
    shared_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with shared_lifespan(app):
            app.state.notify = await start_notify(settings, app.state.runtime.pool, dns=dns)
            try:
                yield
            finally:
                await stop_notify(app.state.notify)

    app.router.lifespan_context = lifespan
    return app


def main() -> None:
    run_app(NotifySettings(), create_app)
