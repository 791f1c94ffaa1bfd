"""Composition root of the routing service."""

from sigap_routing.api import build_router
from sigap_routing.categories import router as categories
from sigap_routing.engine import RoutingEngine
from sigap_routing.geography import Geography
from sigap_routing.handlers import complaint_submitted_handler
from sigap_routing.settings import RoutingSettings
from sigap_shared.events import TOPIC_COMPLAINT_SUBMITTED, ComplaintSubmitted
from sigap_shared.runtime import ConsumerSpec, ServiceSpec, serve


def build_spec(settings: RoutingSettings) -> ServiceSpec:
    engine = RoutingEngine(
        geography=Geography.depok(edge_tolerance_m=settings.edge_tolerance_m),
        refresh_s=settings.taxonomy_refresh_s,
    )
    return ServiceSpec(
        package="sigap_routing",
        title="Sigap Routing",
        description="Decides which city department handles each complaint.",
        routers=[build_router(engine), categories.build_router(engine)],
        consumers=[
            ConsumerSpec(
                name="submitted",
                topics=[TOPIC_COMPLAINT_SUBMITTED],
                handlers={ComplaintSubmitted.event_type: complaint_submitted_handler(engine)},
            )
        ],
    )


def main() -> None:
    settings = RoutingSettings()
    serve(lambda: settings, build_spec(settings))
