"""Routing's SQL. Functions take a connection and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
import orjson

from sigap_routing.delegation.rules import Assignment
from sigap_routing.domain import RoutingDecision
from sigap_routing.geography import place_fields
from sigap_shared.db import Rows
from sigap_shared.events import ComplaintSubmitted, Envelope, ReporterRef
from sigap_shared.outbox import add_to_outbox


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One complaint's automatic decision as it is stored: the submission it answers (and that
    event's id), the decision, and the `ComplaintRouted` announcing it."""

    event_id: UUID
    complaint: ComplaintSubmitted
    decision: RoutingDecision
    routed: Envelope


@dataclass(frozen=True, slots=True)
class _DecisionRow:
    """One `routing_decisions` row as `record_decisions` writes it."""

    complaint_id: UUID
    event_id: UUID
    department: str
    category: str
    confidence: Annotated[float, "real"]
    needs_triage: bool
    reasons: Annotated[str, "jsonb"]  # JSON list
    suggested_department: str | None
    inside_city: bool | None
    kecamatan_code: str | None
    kecamatan_name: str | None
    kelurahan_code: str | None
    kelurahan_name: str | None
    classifier_version: str
    taxonomy_version: int
    tracking_code: str
    reporter: Annotated[str | None, "jsonb"]  # JSON object
    reason: str  # the reasons as one line, for the history
    decided_at: datetime

    @classmethod
    def of(cls, record: DecisionRecord, *, decided_at: datetime) -> _DecisionRow:
        decision, complaint = record.decision, record.complaint
        return cls(
            complaint_id=complaint.complaint_id,
            event_id=record.event_id,
            department=decision.department,
            category=decision.category,
            confidence=decision.confidence,
            needs_triage=decision.needs_triage,
            reasons=orjson.dumps(decision.reasons).decode(),
            suggested_department=decision.suggested_department,
            **place_fields(decision.area),
            classifier_version=decision.classifier_version,
            taxonomy_version=decision.taxonomy_version,
            tracking_code=complaint.tracking_code,
            reporter=complaint.reporter.model_dump_json() if complaint.reporter else None,
            reason="; ".join(decision.reasons),
            decided_at=decided_at,
        )


_DECISION_ROWS = Rows(_DecisionRow)

_RECORD_DECISIONS = f"""
WITH incoming AS (
    SELECT * FROM {_DECISION_ROWS.unnest}
), decision AS (
    INSERT INTO routing_decisions
        (complaint_id, event_id, department, category, confidence, needs_triage, reasons, decided_at,
         suggested_department, inside_city, kecamatan_code, kecamatan_name, kelurahan_code, kelurahan_name,
         classifier_version, taxonomy_version, tracking_code, reporter, lead_department, updated_at)
    SELECT complaint_id, event_id, department, category, confidence, needs_triage, reasons, decided_at,
           suggested_department, inside_city, kecamatan_code, kecamatan_name, kelurahan_code, kelurahan_name,
           classifier_version, taxonomy_version, tracking_code, reporter, department, decided_at
    FROM incoming ORDER BY position
    ON CONFLICT (complaint_id) DO NOTHING
    RETURNING event_id
), history AS (
    INSERT INTO routing_history (complaint_id, event_id, kind, to_department, category, reason, actor, at)
    SELECT i.complaint_id, i.event_id, 'automatic', i.department, i.category, i.reason, 'system:routing', i.decided_at
    FROM incoming i JOIN decision USING (event_id) ORDER BY i.position
)
SELECT array(SELECT event_id FROM decision)
"""


async def record_decisions(
    *, conn: asyncpg.Connection, records: Sequence[DecisionRecord], decided_at: datetime
) -> set[UUID]:
    """Store each complaint's decision with its automatic entry in the routing history, and
    queue its ComplaintRouted in the outbox, for any number of complaints in two statements.
    A complaint already routed is left as it was (as is a second submission of one complaint
    in `records`). Returns the ids of the submitted events whose decision was recorded now."""
    rows = [_DecisionRow.of(record, decided_at=decided_at) for record in records]
    recorded = set(await conn.fetchval(_RECORD_DECISIONS, *_DECISION_ROWS.params(rows)))
    await add_to_outbox(conn=conn, envelopes=[record.routed for record in records if record.event_id in recorded])
    return recorded


async def get_decision(*, conn: asyncpg.Connection, complaint_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        SELECT complaint_id, department, category, confidence, needs_triage, reasons, decided_at,
               suggested_department, inside_city, kecamatan_code, kecamatan_name, kelurahan_code, kelurahan_name,
               classifier_version, taxonomy_version, lead_department, supporting_departments
        FROM routing_decisions WHERE complaint_id = $1
        """,
        complaint_id,
    )


# -- taxonomy versions ----------------------------------------------------------------------


async def active_taxonomy_version(*, conn: asyncpg.Connection) -> int | None:
    return await conn.fetchval("SELECT max(version) FROM taxonomy_versions")


async def get_taxonomy_version(*, conn: asyncpg.Connection, version: int | None = None) -> asyncpg.Record | None:
    """One version (the active one when `version` is None), with its document as JSON text."""
    if version is None:
        return await conn.fetchrow(
            "SELECT version, document, created_by, comment, created_at FROM taxonomy_versions"
            " ORDER BY version DESC LIMIT 1"
        )
    return await conn.fetchrow(
        "SELECT version, document, created_by, comment, created_at FROM taxonomy_versions WHERE version = $1",
        version,
    )


async def list_taxonomy_versions(*, conn: asyncpg.Connection, limit: int = 100) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT version, created_by, comment, created_at FROM taxonomy_versions ORDER BY version DESC LIMIT $1",
        limit,
    )


async def insert_taxonomy_version(
    *, conn: asyncpg.Connection, document_json: str, created_by: str, comment: str | None, version: int
) -> bool:
    """Insert `version`; False when another writer took that number first."""
    inserted = await conn.fetchval(
        "INSERT INTO taxonomy_versions (version, document, created_by, comment) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (version) DO NOTHING RETURNING true",
        version,
        document_json,
        created_by,
        comment,
    )
    return bool(inserted)


# -- delegation -------------------------------------------------------------------------------


async def lock_assignment(*, conn: asyncpg.Connection, complaint_id: UUID) -> Assignment | None:
    """The complaint's current lead and supporting departments, locked until the transaction ends."""
    row = await conn.fetchrow(
        "SELECT complaint_id, tracking_code, lead_department, supporting_departments, reporter"
        " FROM routing_decisions WHERE complaint_id = $1 FOR UPDATE",
        complaint_id,
    )
    if row is None:
        return None
    return Assignment(
        complaint_id=row["complaint_id"],
        tracking_code=row["tracking_code"] or "",
        lead=row["lead_department"],
        supporting=tuple(row["supporting_departments"]),
        reporter=ReporterRef.model_validate_json(row["reporter"]) if row["reporter"] else None,
    )


async def save_assignment(
    *, conn: asyncpg.Connection, complaint_id: UUID, lead: str, supporting: tuple[str, ...], at: datetime
) -> None:
    await conn.execute(
        "UPDATE routing_decisions SET lead_department = $2, supporting_departments = $3, updated_at = $4"
        " WHERE complaint_id = $1",
        complaint_id,
        lead,
        list(supporting),
        at,
    )


async def add_history(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    event_id: UUID,
    kind: str,
    from_department: str | None,
    to_department: str | None,
    reason: str,
    actor: str,
    actor_role: str,
    at: datetime,
    transfer_kind: str | None = None,
    category: str | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO routing_history
            (complaint_id, event_id, kind, transfer_kind, from_department, to_department, category, reason,
             actor, actor_role, at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        """,
        complaint_id,
        event_id,
        kind,
        transfer_kind,
        from_department,
        to_department,
        category,
        reason,
        actor,
        actor_role,
        at,
    )


async def history(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT kind, transfer_kind, from_department, to_department, category, reason, actor, actor_role, at"
        " FROM routing_history WHERE complaint_id = $1 ORDER BY id",
        complaint_id,
    )


async def routing_outcomes(*, conn: asyncpg.Connection, days: int) -> list[asyncpg.Record]:
    """Per automatically chosen department: decisions, triaged, and how many a department
    or the city admin later moved elsewhere (`bukan_wewenang` or `koreksi`)."""
    return await conn.fetch(
        """
        SELECT d.department,
               count(*) AS decided,
               count(*) FILTER (WHERE d.needs_triage) AS triaged,
               count(*) FILTER (
                   WHERE NOT d.needs_triage AND EXISTS (
                       SELECT 1 FROM routing_history h
                       WHERE h.complaint_id = d.complaint_id AND h.kind = 'transferred'
                         AND h.transfer_kind IN ('bukan_wewenang', 'koreksi')
                   )
               ) AS corrected
        FROM routing_decisions d
        WHERE d.decided_at >= now() - make_interval(days => $1)
        GROUP BY d.department
        ORDER BY d.department
        """,
        days,
    )
