"""What routing's routes and consumer need besides a connection, built once per process in the
lifespan: the settings and the routing engine (the city's geography and the active taxonomy)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from sigap_routing.engine import RoutingEngine
from sigap_routing.geography import Geography
from sigap_routing.settings import RoutingSettings
from sigap_shared.runtime import Runtime


@dataclass(frozen=True)
class RoutingContext:
    settings: RoutingSettings
    engine: RoutingEngine


def engine_from_settings(settings: RoutingSettings) -> RoutingEngine:
    return RoutingEngine(
        geography=Geography.depok(edge_tolerance_m=settings.edge_tolerance_m),
        refresh_s=settings.taxonomy_refresh_s,
    )


def context_factory(engine: RoutingEngine):
    """The `ServiceSpec.context` of routing: the one engine the consumer also decides with."""

    @contextlib.asynccontextmanager
    async def open_context(settings: RoutingSettings, runtime: Runtime) -> AsyncIterator[RoutingContext]:
        yield RoutingContext(settings=settings, engine=engine)

    return open_context


async def get_context(request: Request) -> RoutingContext:
    return request.app.state.context


async def get_engine(request: Request) -> RoutingEngine:
    return request.app.state.context.engine


Context = Annotated[RoutingContext, Depends(get_context)]
Engine = Annotated[RoutingEngine, Depends(get_engine)]
