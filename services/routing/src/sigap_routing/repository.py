"""Routing's SQL. Functions take a connection and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
import orjson

from sigap_routing.delegation import Assignment
from sigap_routing.domain import RoutingDecision
from sigap_shared.events import ComplaintSubmitted, Envelope, ReporterRef, encode, headers_to_json
from sigap_shared.outbox import NOTIFY_CHANNEL


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One complaint's automatic decision as it is stored: the submission it answers (and that
    event's id), the decision, and the `ComplaintRouted` announcing it."""

    event_id: UUID
    complaint: ComplaintSubmitted
    decision: RoutingDecision
    routed: Envelope


_RECORD_DECISIONS = f"""
WITH incoming AS (
    SELECT * FROM unnest(
        $1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::real[], $6::boolean[], $7::jsonb[],
        $8::text[], $9::boolean[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::integer[],
        $16::text[], $17::jsonb[], $18::text[], $19::uuid[], $20::text[], $21::bytea[], $22::jsonb[], $23::bytea[]
    ) WITH ORDINALITY AS i(
        complaint_id, event_id, department, category, confidence, needs_triage, reasons,
        suggested_department, inside_city, kecamatan_code, kecamatan_name, kelurahan_code, kelurahan_name,
        classifier_version, taxonomy_version, tracking_code, reporter, reason, routed_id, topic, key, headers, payload,
        position
    )
), decision AS (
    INSERT INTO routing_decisions
        (complaint_id, event_id, department, category, confidence, needs_triage, reasons, decided_at,
         suggested_department, inside_city, kecamatan_code, kecamatan_name, kelurahan_code, kelurahan_name,
         classifier_version, taxonomy_version, tracking_code, reporter, lead_department, updated_at)
    SELECT complaint_id, event_id, department, category, confidence, needs_triage, reasons, $24,
           suggested_department, inside_city, kecamatan_code, kecamatan_name, kelurahan_code, kelurahan_name,
           classifier_version, taxonomy_version, tracking_code, reporter, department, $24
    FROM incoming ORDER BY position
    ON CONFLICT (complaint_id) DO NOTHING
    RETURNING event_id
), history AS (
    INSERT INTO routing_history (complaint_id, event_id, kind, to_department, category, reason, actor, at)
    SELECT i.complaint_id, i.event_id, 'automatic', i.department, i.category, i.reason, 'system:routing', $24
    FROM incoming i JOIN decision USING (event_id) ORDER BY i.position
), announced AS (
    INSERT INTO outbox (event_id, topic, key, headers, payload)
    SELECT i.routed_id, i.topic, i.key, i.headers, i.payload
    FROM incoming i JOIN decision USING (event_id) ORDER BY i.position
    RETURNING 1
)
SELECT array(SELECT event_id FROM decision) AS recorded,
       (SELECT count(*) FROM (SELECT pg_notify('{NOTIFY_CHANNEL}', '') FROM announced LIMIT 1) AS woken) AS woken
"""


async def record_decisions(
    *, conn: asyncpg.Connection, records: Sequence[DecisionRecord], decided_at: datetime
) -> set[UUID]:
    """Store each complaint's decision with its automatic entry in the routing history, and
    queue its ComplaintRouted in the outbox (the relay wakes on commit): one statement for any
    number of complaints. A complaint already routed is left as it was (as is a second
    submission of one complaint in `records`). Returns the ids of the submitted events whose
    decision was recorded now."""
    areas = [record.decision.area for record in records]
    kelurahan = [area.kelurahan if area else None for area in areas]
    outgoing = [encode(record.routed) for record in records]
    recorded = await conn.fetchval(
        _RECORD_DECISIONS,
        [record.complaint.complaint_id for record in records],
        [record.event_id for record in records],
        [record.decision.department for record in records],
        [record.decision.category for record in records],
        [record.decision.confidence for record in records],
        [record.decision.needs_triage for record in records],
        [orjson.dumps(record.decision.reasons).decode() for record in records],
        [record.decision.suggested_department for record in records],
        [area.inside_city if area else None for area in areas],
        [office.kecamatan.code if office else None for office in kelurahan],
        [office.kecamatan.name if office else None for office in kelurahan],
        [office.code if office else None for office in kelurahan],
        [office.name if office else None for office in kelurahan],
        [record.decision.classifier_version for record in records],
        [record.decision.taxonomy_version for record in records],
        [record.complaint.tracking_code for record in records],
        [record.complaint.reporter.model_dump_json() if record.complaint.reporter else None for record in records],
        ["; ".join(record.decision.reasons) for record in records],
        [record.routed.id for record in records],
        [message.topic for message in outgoing],
        [message.key for message in outgoing],
        [headers_to_json(message.headers).decode() for message in outgoing],
        [message.value for message in outgoing],
        decided_at,
    )
    return set(recorded)


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
