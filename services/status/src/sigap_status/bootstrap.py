"""Composition root of the status service: the shared runtime, the SLA sweep, and the client
for intake's internal API."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator

import asyncpg
import structlog
from fastapi import FastAPI

from sigap_shared.consumer import BatchHandler
from sigap_shared.db import TRANSIENT_DB_ERRORS
from sigap_shared.events import (
    TOPIC_COMPLAINT_FOLLOWUP,
    TOPIC_COMPLAINT_ROUTED,
    TOPIC_COMPLAINT_SUBMITTED,
    ComplaintInformationAdded,
    ComplaintRated,
    ComplaintReopenRequested,
    ComplaintRouted,
    ComplaintSubmitted,
    ComplaintSupportAdded,
    ComplaintSupportRemoved,
    ComplaintTransferred,
)
from sigap_shared.runtime import ConsumerSpec, ServiceSpec, create_service_app, run_app
from sigap_status import metrics
from sigap_status.api import router, sla_policy_from_settings
from sigap_status.handlers import (
    on_complaint_transferred,
    on_complaints_routed,
    on_complaints_submitted,
    on_reporter_follow_up,
    on_support_changed,
    sweep_sla_breaches,
)
from sigap_status.intake_client import IntakeClient, new_http_session
from sigap_status.internal_api import router as internal_router
from sigap_status.officers.router import router as officers_router
from sigap_status.overview import router as overview
from sigap_status.photos.router import router as photos_router
from sigap_status.settings import StatusSettings
from sigap_status.sla_settings.router import router as sla_settings_router
from sigap_status.staff_accounts.router import router as staff_accounts_router
from sigap_status.tasks.router import router as tasks_router

log = structlog.get_logger(__name__)


def build_spec(settings: StatusSettings) -> ServiceSpec:
    policy = sla_policy_from_settings(settings)
    return ServiceSpec(
        package="sigap_status",
        title="Sigap Status",
        description="Owns each complaint's lifecycle and timeline, staff accounts and working-day SLAs.",
        sampled_gauges=metrics.SAMPLED,
        routers=[
            router,
            internal_router,
            overview.build_router(),
            tasks_router,
            staff_accounts_router,
            sla_settings_router,
            photos_router,
            officers_router,
        ],
        consumers=[
            ConsumerSpec(
                name="lifecycle",
                topics=[TOPIC_COMPLAINT_SUBMITTED, TOPIC_COMPLAINT_ROUTED, TOPIC_COMPLAINT_FOLLOWUP],
                handlers={
                    ComplaintSubmitted.event_type: BatchHandler(
                        functools.partial(on_complaints_submitted, policy=policy)
                    ),
                    ComplaintRouted.event_type: BatchHandler(functools.partial(on_complaints_routed, policy=policy)),
                    ComplaintTransferred.event_type: on_complaint_transferred,
                    ComplaintSupportAdded.event_type: on_support_changed,
                    ComplaintSupportRemoved.event_type: on_support_changed,
                    ComplaintInformationAdded.event_type: on_reporter_follow_up,
                    ComplaintRated.event_type: on_reporter_follow_up,
                    ComplaintReopenRequested.event_type: functools.partial(on_reporter_follow_up, policy=policy),
                },
            )
        ],
    )


async def run_sla_sweep(pool: asyncpg.Pool, *, interval_s: float) -> None:
    """Report passed deadlines until cancelled. Replicas may run it side by side: rows are
    claimed with SKIP LOCKED and marked in the same transaction, so each breach goes out once."""
    while True:
        try:
            async with pool.acquire() as conn:
                while await sweep_sla_breaches(conn=conn) > 0:
                    pass
        except asyncio.CancelledError:
            raise
        except TRANSIENT_DB_ERRORS as exc:
            log.warning("sla_sweep_database_unavailable", error=repr(exc))
        except Exception:
            log.exception("sla_sweep_failed")
        await asyncio.sleep(interval_s)


@contextlib.asynccontextmanager
async def intake_client(settings: StatusSettings) -> AsyncIterator[IntakeClient | None]:
    """The client for intake's internal API, or None when no URL is configured (production
    settings refuse that; development and tests then accept after-photos unchecked)."""
    if not settings.intake_internal_url:
        log.warning("intake_internal_url_not_set", effect="after_photos_unchecked_and_identities_unavailable")
        yield None
        return
    async with new_http_session(timeout_s=settings.intake_timeout_s) as session:
        yield IntakeClient(
            base_url=settings.intake_internal_url,
            token=settings.internal_token.get_secret_value(),
            session=session,
        )


def create_app(settings: StatusSettings) -> FastAPI:
    app = create_service_app(settings, build_spec(settings))
    app.state.sla_policy = sla_policy_from_settings(settings)
    runtime_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime_lifespan(app), intake_client(settings) as intake:
            app.state.intake_client = intake
            sweep = asyncio.create_task(
                run_sla_sweep(app.state.runtime.pool, interval_s=settings.sla_sweep_interval_s), name="sla-sweep"
            )
            try:
                yield
            finally:
                sweep.cancel()
                await asyncio.gather(sweep, return_exceptions=True)

    app.router.lifespan_context = lifespan
    return app


def main() -> None:
    run_app(StatusSettings(), create_app)
