"""The taxonomy admin for the city admin: the active taxonomy, its version history, and
replacing it (stored as a new version and used at once)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from sigap_routing import repository
from sigap_routing.context import Engine
from sigap_routing.taxonomy import TaxonomyDocument
from sigap_routing.taxonomy_admin.commands import replace_taxonomy
from sigap_shared.auth import CityAdmin
from sigap_shared.errors import DomainError, Text
from sigap_shared.runtime import Conn
from sigap_shared.storable import INTEGER_MAX

router = APIRouter(prefix="/v1/routing/admin", tags=["routing"])

# Versions are PostgreSQL integers: a larger number is a 422, not an overflow in the database.
TaxonomyVersion = Annotated[int, Path(ge=1, le=INTEGER_MAX)]


class TaxonomyVersionOut(BaseModel):
    version: int
    created_by: str
    comment: str | None
    created_at: datetime


class TaxonomyOut(TaxonomyVersionOut):
    taxonomy: TaxonomyDocument

    @classmethod
    def of(cls, row: asyncpg.Record) -> TaxonomyOut:
        return cls(
            version=row["version"],
            created_by=row["created_by"],
            comment=row["comment"],
            created_at=row["created_at"],
            taxonomy=TaxonomyDocument.model_validate_json(row["document"]),
        )


class TaxonomyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(None, max_length=500)
    taxonomy: TaxonomyDocument


@router.get("/taxonomy", summary="The active taxonomy (city_admin)")
async def get_taxonomy(staff: CityAdmin, conn: Conn, engine: Engine) -> TaxonomyOut:
    await engine.taxonomy(conn=conn)  # seeds the default on a fresh database
    row = await repository.get_taxonomy_version(conn=conn)
    assert row is not None
    return TaxonomyOut.of(row)


@router.get("/taxonomy/versions", summary="Version history (city_admin)")
async def list_versions(staff: CityAdmin, conn: Conn, engine: Engine) -> list[TaxonomyVersionOut]:
    await engine.taxonomy(conn=conn)
    return [TaxonomyVersionOut(**dict(row)) for row in await repository.list_taxonomy_versions(conn=conn)]


@router.get("/taxonomy/versions/{version}", summary="One stored version (city_admin)")
async def get_version(version: TaxonomyVersion, staff: CityAdmin, conn: Conn) -> TaxonomyOut:
    row = await repository.get_taxonomy_version(conn=conn, version=version)
    if row is None:
        raise DomainError(
            "taxonomy-version-not-found",
            Text(f"Tidak ada taksonomi versi {version}.", f"There is no taxonomy version {version}."),
        )
    return TaxonomyOut.of(row)


@router.put(
    "/taxonomy",
    summary="Replace the taxonomy: stored as a new version and used at once (city_admin)",
)
async def put_taxonomy(body: TaxonomyIn, staff: CityAdmin, conn: Conn, engine: Engine) -> TaxonomyOut:
    compiled = await replace_taxonomy(
        conn=conn, engine=engine, document=body.taxonomy, author=staff.username, comment=body.comment
    )
    row = await repository.get_taxonomy_version(conn=conn, version=compiled.version)
    assert row is not None
    return TaxonomyOut.of(row)
