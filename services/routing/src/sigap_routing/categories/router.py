"""Public lookups of the active taxonomy (it names no one): `GET /v1/routing/categories`, every
category by code and name with the department that owns it, and `GET /v1/routing/departments`,
every department and area office by code and name."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from sigap_routing.context import Engine
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1/routing", tags=["routing"])


class CategoryOut(BaseModel):
    code: str
    name: str
    department: str | None


class DepartmentOut(BaseModel):
    code: str
    name: str


@router.get(
    "/departments",
    summary="Every department and area office of the active taxonomy, by code and name (public)",
)
async def departments(conn: Conn, engine: Engine) -> list[DepartmentOut]:
    taxonomy = await engine.taxonomy(conn=conn)
    return [DepartmentOut(code=d.code, name=d.name) for d in taxonomy.departments.values()]


@router.get(
    "/categories",
    summary="Every category of the active taxonomy, by code and name, with its department (public)",
)
async def categories(conn: Conn, engine: Engine) -> list[CategoryOut]:
    taxonomy = await engine.taxonomy(conn=conn)
    return [
        CategoryOut(code=category.code, name=category.name, department=category.department)
        for category in taxonomy.categories.values()
    ]
