"""What the internal API reads and records: a complaint's facts, sealed identities and the
audit log of identity reveals (`*, conn`, never commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg


@dataclass(frozen=True, slots=True)
class ComplaintFacts:
    id: UUID
    category: str | None
    location: tuple[float, float] | None
    privacy: str


async def complaint_facts(*, conn: asyncpg.Connection, complaint_id: UUID) -> ComplaintFacts | None:
    row = await conn.fetchrow("SELECT id, category, lat, lon, privacy FROM complaints WHERE id = $1", complaint_id)
    if row is None:
        return None
    return ComplaintFacts(
        id=row["id"],
        category=row["category"],
        location=(row["lat"], row["lon"]) if row["lat"] is not None and row["lon"] is not None else None,
        privacy=row["privacy"],
    )


async def insert_identity_access(
    *,
    conn: asyncpg.Connection,
    audit_id: UUID,
    complaint_id: UUID,
    actor: str,
    actor_role: str,
    reason: str,
    outcome: str,
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO identity_access_log (id, complaint_id, actor, actor_role, reason, outcome, at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        audit_id,
        complaint_id,
        actor,
        actor_role,
        reason,
        outcome,
        at,
    )


async def identity_access_log(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id AS audit_id, complaint_id, actor, actor_role, reason, outcome, at FROM identity_access_log"
        " WHERE complaint_id = $1 ORDER BY at DESC, id",
        complaint_id,
    )


async def sealed_identity_by_pseudonym(*, conn: asyncpg.Connection, pseudonym: str) -> tuple[UUID, bytes] | None:
    row = await conn.fetchrow(
        "SELECT id, reporter_identity FROM complaints WHERE reporter_pseudonym = $1"
        " AND reporter_identity IS NOT NULL AND processing_restricted_at IS NULL ORDER BY submitted_at DESC LIMIT 1",
        pseudonym,
    )
    return (row["id"], bytes(row["reporter_identity"])) if row else None
