"""The city admin's taxonomy command: storing a new version (one transaction) that the engine
then uses at once (who may call it is the routes' `CityAdmin` gate)."""

from __future__ import annotations

import asyncpg

from sigap_routing.engine import RoutingEngine, VersionConflict
from sigap_routing.taxonomy import CompiledTaxonomy, TaxonomyDocument, TaxonomyError
from sigap_shared.errors import DomainError, Text


async def replace_taxonomy(
    *, conn: asyncpg.Connection, engine: RoutingEngine, document: TaxonomyDocument, author: str, comment: str | None
) -> CompiledTaxonomy:
    try:
        async with conn.transaction():
            compiled = await engine.store(conn=conn, document=document, author=author, comment=comment)
    except TaxonomyError as exc:
        raise DomainError(
            "invalid-taxonomy", Text(str(exc), f"Every kecamatan and kelurahan needs an area office: {exc}")
        ) from None
    except VersionConflict:
        raise DomainError(
            "taxonomy-conflict",
            Text(
                "Perubahan lain baru saja disimpan. Muat ulang taksonomi, lalu coba lagi.",
                "Another change was just stored. Reload the taxonomy and try again.",
            ),
        ) from None
    engine.use(compiled)
    return compiled
