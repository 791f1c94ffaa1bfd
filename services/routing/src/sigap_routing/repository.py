"""Routing's SQL. Functions take a connection and never commit."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import orjson

from sigap_routing.domain import RoutingDecision


async def record_decision(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    event_id: UUID,
    decision: RoutingDecision,
    decided_at: datetime,
) -> bool:
    """False when this complaint was already routed."""
    inserted = await conn.fetchval(
        """
        INSERT INTO routing_decisions
            (complaint_id, event_id, department, category, confidence, needs_triage, reasons, decided_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (complaint_id) DO NOTHING
        RETURNING true
        """,
        complaint_id,
        event_id,
        decision.department,
        decision.category,
        decision.confidence,
        decision.needs_triage,
        orjson.dumps(decision.reasons).decode(),
        decided_at,
    )
    return bool(inserted)


async def get_decision(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT complaint_id, department, category, confidence, needs_triage, reasons, decided_at"
        " FROM routing_decisions WHERE complaint_id = $1",
        complaint_id,
    )
