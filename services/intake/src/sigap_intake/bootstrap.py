"""Composition root of the intake service."""

from sigap_intake import complaint_photos, internal_api, open311
from sigap_intake.api import router
from sigap_intake.handlers import on_complaints_routed, on_status_changes
from sigap_intake.settings import IntakeSettings
from sigap_shared.events import (
    TOPIC_COMPLAINT_ROUTED,
    TOPIC_COMPLAINT_STATUS,
    ComplaintRouted,
    ComplaintStatusChanged,
)
from sigap_shared.consumer import BatchHandler
from sigap_shared.housekeeping import ExpiringRows
from sigap_shared.runtime import ConsumerSpec, ServiceSpec, serve


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


SPEC = ServiceSpec(
    package="sigap_intake",
    title="Sigap Intake",
    description="Where complaints enter Sigap: the API for the mobile apps and the citizen page.",
    routers=[router, internal_api.router, open311.router, complaint_photos.router],
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
)


def load_settings() -> IntakeSettings:
    settings = IntakeSettings()
    settings.refuse_development_secrets()
    return settings


def main() -> None:
    serve(load_settings, SPEC)
