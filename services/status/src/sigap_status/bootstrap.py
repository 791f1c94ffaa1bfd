"""Composition root of the status service."""

from sigap_shared.events import (
    TOPIC_COMPLAINT_ROUTED,
    TOPIC_COMPLAINT_SUBMITTED,
    ComplaintRouted,
    ComplaintSubmitted,
)
from sigap_shared.runtime import ConsumerSpec, ServiceSpec, serve
from sigap_status.api import router
from sigap_status.handlers import on_complaint_routed, on_complaint_submitted
from sigap_status.settings import StatusSettings

SPEC = ServiceSpec(
    package="sigap_status",
    title="Sigap Status",
    description="Owns each complaint's lifecycle and timeline.",
    routers=[router],
    consumers=[
        ConsumerSpec(
            name="lifecycle",
            topics=[TOPIC_COMPLAINT_SUBMITTED, TOPIC_COMPLAINT_ROUTED],
            handlers={
                ComplaintSubmitted.event_type: on_complaint_submitted,
                ComplaintRouted.event_type: on_complaint_routed,
            },
        )
    ],
)


def main() -> None:
    serve(StatusSettings, SPEC)
