"""Composition root of the status service: its routers, its consumer and its context (SLA
policy, intake's client, the SLA sweep), on the shared runtime. Nothing happens at import."""

from __future__ import annotations

import functools

from fastapi import APIRouter, FastAPI

from sigap_shared.consumer import BatchHandler
from sigap_shared.events import (
    TOPIC_COMPLAINT_FOLLOWUP,
    TOPIC_COMPLAINT_ROUTED,
    TOPIC_COMPLAINT_STATUS,
    TOPIC_COMPLAINT_SUBMITTED,
    ComplaintInformationAdded,
    ComplaintRated,
    ComplaintReopenRequested,
    ComplaintRouted,
    ComplaintStatusChanged,
    ComplaintSubmitted,
    ComplaintSupportAdded,
    ComplaintSupportRemoved,
    ComplaintTransferred,
)
from sigap_shared.runtime import ConsumerSpec, ServiceSpec, create_service_app, run_app
from sigap_status import metrics
from sigap_status.auth.router import router as auth_router
from sigap_status.context import sla_policy_from_settings, status_context
from sigap_status.duplicates.router import router as duplicates_router
from sigap_status.errors import install_error_handler
from sigap_status.escalation.router import router as escalation_router
from sigap_status.events import handlers
from sigap_status.identity.router import router as identity_router
from sigap_status.lapor.connector import connector_from, forward_status_change
from sigap_status.lapor.router import router as lapor_router
from sigap_status.lifecycle.router import router as lifecycle_router
from sigap_status.officers.router import router as officers_router
from sigap_status.overview import router as overview
from sigap_status.personal_data.internal_router import router as personal_data_router
from sigap_status.personal_data.router import router as privacy_router
from sigap_status.photos.router import router as photos_router
from sigap_status.public.router import router as public_router
from sigap_status.queue.router import router as queue_router
from sigap_status.settings import StatusSettings
from sigap_status.sla.rules import SlaPolicy
from sigap_status.sla_settings.router import router as sla_settings_router
from sigap_status.staff_accounts.internal_router import router as internal_router
from sigap_status.staff_accounts.router import router as staff_accounts_router
from sigap_status.statistics.router import router as statistics_router
from sigap_status.tasks.router import router as tasks_router


def routers() -> tuple[APIRouter, ...]:
    return (
        public_router,
        auth_router,
        lifecycle_router,
        identity_router,
        duplicates_router,
        queue_router,
        statistics_router,
        escalation_router,
        internal_router,
        personal_data_router,
        privacy_router,
        overview.build_router(),  # holds the public map's cache, one per app
        tasks_router,
        staff_accounts_router,
        sla_settings_router,
        photos_router,
        officers_router,
        lapor_router,
    )


def lifecycle_consumer(policy: SlaPolicy) -> ConsumerSpec:
    return ConsumerSpec(
        name="lifecycle",
        topics=[TOPIC_COMPLAINT_SUBMITTED, TOPIC_COMPLAINT_ROUTED, TOPIC_COMPLAINT_FOLLOWUP],
        handlers={
            ComplaintSubmitted.event_type: BatchHandler(
                functools.partial(handlers.on_complaints_submitted, policy=policy)
            ),
            ComplaintRouted.event_type: BatchHandler(functools.partial(handlers.on_complaints_routed, policy=policy)),
            ComplaintTransferred.event_type: handlers.on_complaint_transferred,
            ComplaintSupportAdded.event_type: handlers.on_support_changed,
            ComplaintSupportRemoved.event_type: handlers.on_support_changed,
            ComplaintInformationAdded.event_type: functools.partial(handlers.on_reporter_follow_up, policy=policy),
            ComplaintRated.event_type: functools.partial(handlers.on_reporter_follow_up, policy=policy),
            ComplaintReopenRequested.event_type: functools.partial(handlers.on_reporter_follow_up, policy=policy),
        },
    )


def lapor_consumer(settings: StatusSettings) -> list[ConsumerSpec]:
    """Status's own status changes, read back from Kafka, to the LAPOR! connector (when the
    city configured one): only what was committed and published reaches LAPOR!."""
    if settings.lapor_connector == "none":
        return []
    connector = connector_from(settings.lapor_connector, settings.lapor_connector_path)
    return [
        ConsumerSpec(
            name="lapor",
            topics=[TOPIC_COMPLAINT_STATUS],
            handlers={ComplaintStatusChanged.event_type: functools.partial(forward_status_change, connector=connector)},
        )
    ]


def build_spec(settings: StatusSettings) -> ServiceSpec:
    # Built once per process: the consumer's handlers and the routes' context share it.
    policy = sla_policy_from_settings(settings)
    return ServiceSpec(
        package="sigap_status",
        title="Sigap Status",
        description="Owns each complaint's lifecycle and timeline, staff accounts and working-day SLAs.",
        sampled_gauges=metrics.SAMPLED,
        routers=routers(),
        consumers=[lifecycle_consumer(policy), *lapor_consumer(settings)],
        context=functools.partial(status_context, policy=policy),
    )


def create_app(settings: StatusSettings) -> FastAPI:
    app = create_service_app(settings, build_spec(settings))
    install_error_handler(app)
    return app


def main() -> None:
    run_app(StatusSettings(), create_app)
