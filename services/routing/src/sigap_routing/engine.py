"""The one code path that decides: the consumer of `complaint.submitted` and the preview API
both call `RoutingEngine.decide`. It holds the city's geography (loaded once per process) and
the active taxonomy, compiled once per version.

Edits take effect without a restart: the process that stores a new version installs it at
once, and every process re-reads the active version number at most every `refresh_s`
seconds (a one-row query), recompiling only when it changed. With no version stored yet,
the shipped Kota Depok default is stored as version 1."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import structlog

from sigap_routing import domain, repository
from sigap_routing.geography import Geography
from sigap_routing.taxonomy import (
    CompiledTaxonomy,
    TaxonomyDocument,
    compile_taxonomy,
    load_default_document,
    validate_against,
)
from sigap_shared.events import GeoPoint

log = structlog.get_logger(__name__)

SEED_AUTHOR = "system:seed"


class VersionConflict(Exception):
    """Another edit stored the same version number first."""


@dataclass
class _Cached:
    compiled: CompiledTaxonomy
    checked_at: float


class RoutingEngine:
    def __init__(
        self, *, geography: Geography, refresh_s: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.geography = geography
        self._refresh_s = refresh_s
        self._clock = clock
        self._cached: _Cached | None = None

    async def taxonomy(self, *, conn: asyncpg.Connection) -> CompiledTaxonomy:
        now = self._clock()
        cached = self._cached
        if cached is not None and now - cached.checked_at < self._refresh_s:
            return cached.compiled
        version = await repository.active_taxonomy_version(conn=conn)
        if version is None:
            await self._seed(conn=conn)
            version = await repository.active_taxonomy_version(conn=conn)
        if cached is not None and cached.compiled.version == version:
            cached.checked_at = now
            return cached.compiled
        row = await repository.get_taxonomy_version(conn=conn, version=version)
        assert row is not None
        compiled = compile_taxonomy(TaxonomyDocument.model_validate_json(row["document"]), version=row["version"])
        self._cached = _Cached(compiled=compiled, checked_at=now)
        log.info("taxonomy_loaded", version=compiled.version)
        return compiled

    async def _seed(self, *, conn: asyncpg.Connection) -> None:
        document = load_default_document()
        validate_against(document, self.geography)
        if await repository.insert_taxonomy_version(
            conn=conn,
            document_json=document.model_dump_json(),
            created_by=SEED_AUTHOR,
            comment="Taksonomi bawaan Kota Depok",
            version=1,
        ):
            log.info("taxonomy_seeded", version=1)

    async def store(
        self, *, conn: asyncpg.Connection, document: TaxonomyDocument, author: str, comment: str | None
    ) -> CompiledTaxonomy:
        """Validate and store `document` as the next version (in the caller's transaction).
        Raises `TaxonomyError` (does not fit the city) or `VersionConflict`."""
        validate_against(document, self.geography)
        current = await self.taxonomy(conn=conn)  # also seeds, so an edit is never version 1
        latest = await repository.active_taxonomy_version(conn=conn) or current.version
        version = latest + 1
        if not await repository.insert_taxonomy_version(
            conn=conn, document_json=document.model_dump_json(), created_by=author, comment=comment, version=version
        ):
            raise VersionConflict(version)
        log.info("taxonomy_stored", version=version)
        return compile_taxonomy(document, version=version)

    def use(self, compiled: CompiledTaxonomy) -> None:
        """Start using a version this process just stored (call after its transaction committed)."""
        self._cached = _Cached(compiled=compiled, checked_at=self._clock())

    async def decide(
        self,
        *,
        conn: asyncpg.Connection,
        category: str | None,
        description: str,
        location: GeoPoint | None,
    ) -> domain.RoutingDecision:
        taxonomy = await self.taxonomy(conn=conn)
        area = self.geography.locate(lat=location.lat, lon=location.lon) if location is not None else None
        return domain.decide(category=category, description=description, area=area, taxonomy=taxonomy)
