"""Composition root of the notify service."""

from sigap_notify.api import router
from sigap_notify.handlers import on_complaint_event
from sigap_notify.settings import NotifySettings
from sigap_shared.events import (
    TOPIC_COMPLAINT_ROUTED,
    TOPIC_COMPLAINT_STATUS,
    ComplaintRouted,
    ComplaintStatusChanged,
)
from sigap_shared.runtime import ConsumerSpec, ServiceSpec, serve

SPEC = ServiceSpec(
    package="sigap_notify",
    title="Sigap Notify",
    description="Turns complaint events into notifications for reporters, staff and department systems.",
    routers=[router],
    consumers=[
        ConsumerSpec(
            name="deliveries",
            topics=[TOPIC_COMPLAINT_ROUTED, TOPIC_COMPLAINT_STATUS],
            handlers={
                ComplaintRouted.event_type: on_complaint_event,
                ComplaintStatusChanged.event_type: on_complaint_event,
            },
        )
    ],
    publishes=False,
)


def main() -> None:
    serve(NotifySettings, SPEC)
