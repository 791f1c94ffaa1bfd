"""Composition root of the routing service: one engine per process (the consumer and the API
decide with the same one), the routers, and the app the service runs."""

from __future__ import annotations

from fastapi import FastAPI

from sigap_routing.accuracy.router import router as accuracy_router
from sigap_routing.areas.router import router as areas_router
from sigap_routing.categories.router import router as categories_router
from sigap_routing.context import context_factory, engine_from_settings
from sigap_routing.decisions.router import router as decisions_router
from sigap_routing.delegation.router import router as delegation_router
from sigap_routing.errors import install_domain_errors
from sigap_routing.events.handlers import complaint_submitted_handler
from sigap_routing.personal_data.router import router as personal_data_router
from sigap_routing.preview.router import router as preview_router
from sigap_routing.settings import RoutingSettings
from sigap_routing.taxonomy_admin.router import router as taxonomy_admin_router
from sigap_shared.events import TOPIC_COMPLAINT_SUBMITTED, ComplaintSubmitted
from sigap_shared.runtime import ConsumerSpec, ServiceSpec, create_service_app, run_app

ROUTERS = (
    preview_router,
    decisions_router,
    categories_router,
    areas_router,
    taxonomy_admin_router,
    accuracy_router,
    delegation_router,
    personal_data_router,
)


def build_spec(settings: RoutingSettings) -> ServiceSpec:
    engine = engine_from_settings(settings)
    return ServiceSpec(
        package="sigap_routing",
        title="Sigap Routing",
        description="Decides which city department handles each complaint.",
        routers=ROUTERS,
        consumers=[
            ConsumerSpec(
                name="submitted",
                topics=[TOPIC_COMPLAINT_SUBMITTED],
                handlers={ComplaintSubmitted.event_type: complaint_submitted_handler(engine)},
            )
        ],
        context=context_factory(engine),  # type: ignore[arg-type]
    )


def create_app(settings: RoutingSettings, spec: ServiceSpec | None = None) -> FastAPI:
    """The app the service runs; `spec` defaults to `build_spec(settings)` (tests may drop its
    consumers)."""
    app = create_service_app(settings, spec or build_spec(settings))
    install_domain_errors(app)
    return app


def main() -> None:
    run_app(RoutingSettings(), create_app)
