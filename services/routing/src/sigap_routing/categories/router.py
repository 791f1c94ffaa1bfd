"""`GET /v1/routing/categories`: every category of the active taxonomy by code and name, with
the department that owns it (public, like the departments: the taxonomy names no one)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from sigap_routing.engine import RoutingEngine
from sigap_shared.runtime import Conn


class CategoryOut(BaseModel):
    code: str
    name: str
    department: str | None


def build_router(engine: RoutingEngine) -> APIRouter:
    router = APIRouter(prefix="/v1/routing", tags=["routing"])

    @router.get(
        "/categories",
        response_model=list[CategoryOut],
        summary="Every category of the active taxonomy, by code and name, with its department (public)",
    )
    async def categories(conn: Conn) -> list[CategoryOut]:
        taxonomy = await engine.taxonomy(conn=conn)
        return [
            CategoryOut(code=category.code, name=category.name, department=category.department)
            for category in taxonomy.categories.values()
        ]

    return router
