"""Composition root of the routing service."""

from sigap_routing.api import router
from sigap_routing.handlers import on_complaint_submitted
from sigap_routing.settings import RoutingSettings
from sigap_shared.events import TOPIC_COMPLAINT_SUBMITTED, ComplaintSubmitted
from sigap_shared.runtime import ConsumerSpec, ServiceSpec, serve

SPEC = ServiceSpec(
    package="sigap_routing",
    title="Sigap Routing",
    description="Decides which city department handles each complaint.",
    routers=[router],
    consumers=[
        ConsumerSpec(
            name="submitted",
            topics=[TOPIC_COMPLAINT_SUBMITTED],
            handlers={ComplaintSubmitted.event_type: on_complaint_submitted},
        )
    ],
)


def main() -> None:
    serve(RoutingSettings, SPEC)
