"""Composition root of the intake service: its routers, its consumer, what its housekeeping
purges, and the app the service runs."""

from __future__ import annotations

from fastapi import FastAPI

from sigap_intake.capture.router import router as capture_router
from sigap_intake.complaints.router import router as complaints_router
from sigap_intake.context import open_context
from sigap_intake.errors import install_domain_errors
from sigap_intake.events.handlers import on_complaints_routed, on_status_changes
from sigap_intake.follow_up.router import router as follow_up_router
from sigap_intake.internal.router import router as internal_router
from sigap_intake.open311.router import router as open311_router
from sigap_intake.photos.internal_router import router as complaint_photos_router
from sigap_intake.photos.public_router import router as public_photos_router
from sigap_intake.privacy.router import internal_router as privacy_internal_router
from sigap_intake.privacy.router import router as privacy_router
from sigap_intake.settings import IntakeSettings
from sigap_shared.consumer import BatchHandler
from sigap_shared.events import (
    TOPIC_COMPLAINT_ROUTED,
    TOPIC_COMPLAINT_STATUS,
    ComplaintRouted,
    ComplaintStatusChanged,
)
from sigap_shared.housekeeping import ExpiringRows
from sigap_shared.runtime import ConsumerSpec, ServiceSpec, create_service_app, run_app

ROUTERS = (
    complaints_router,
    capture_router,
    public_photos_router,
    follow_up_router,
    internal_router,
    open311_router,
    complaint_photos_router,
    privacy_router,
    privacy_internal_router,
)


def expiring_rows(settings: IntakeSettings) -> list[ExpiringRows]:
    """What intake's housekeeping purges besides the outbox and inbox: stored Idempotency-Key
    results once they can no longer answer a retry."""
    return [
        ExpiringRows(table="idempotency_keys", timestamp_column="created_at", retention_s=settings.idempotency_ttl_s)
    ]


# A photo upload is a multipart form: the photo, its capture token and category, and the
# boundaries between them. What is not the photo stays well below this.
PHOTO_FORM_OVERHEAD_BYTES = 64 * 1024


def larger_bodies(settings: IntakeSettings) -> dict[str, int]:
    """Photo uploads may be as large as the largest photo accepted, other requests not."""
    return {"/v1/photos": settings.photo_max_bytes + PHOTO_FORM_OVERHEAD_BYTES}


def build_spec(settings: IntakeSettings) -> ServiceSpec:
    return ServiceSpec(
        package="sigap_intake",
        title="Sigap Intake",
        description="Where complaints enter Sigap: the API for the mobile apps and the citizen page.",
        routers=ROUTERS,
        consumers=[
            # What a reporter sees when tracking: the department and status other services announce.
            ConsumerSpec(
                name="tracking",
                topics=[TOPIC_COMPLAINT_ROUTED, TOPIC_COMPLAINT_STATUS],
                handlers={
                    ComplaintRouted.event_type: BatchHandler(on_complaints_routed),
                    ComplaintStatusChanged.event_type: BatchHandler(on_status_changes),
                },
            )
        ],
        expiring_rows=expiring_rows,  # type: ignore[arg-type]
        larger_bodies=larger_bodies,  # type: ignore[arg-type]
        context=open_context,  # type: ignore[arg-type]
    )


def create_app(settings: IntakeSettings, spec: ServiceSpec | None = None) -> FastAPI:
    """The app the service runs; `spec` defaults to `build_spec(settings)` (tests may drop its
    consumer)."""
    app = create_service_app(settings, spec or build_spec(settings))
    install_domain_errors(app)
    return app


def load_settings() -> IntakeSettings:
    settings = IntakeSettings()
    settings.refuse_development_secrets()
    return settings


def main() -> None:
    run_app(load_settings(), create_app)
