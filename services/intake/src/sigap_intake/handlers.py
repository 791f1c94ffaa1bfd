"""Intake's commands: each runs in one database transaction together with its outbox rows."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import asyncpg
import structlog

from sigap_intake import domain, repository
from sigap_shared.outbox import add_to_outbox

log = structlog.get_logger(__name__)


async def submit_complaint(
    *, conn: asyncpg.Connection, command: domain.SubmitComplaint, correlation_id: str | None = None
) -> domain.AcceptedComplaint:
    complaint = domain.accept(command, complaint_id=uuid.uuid4(), now=datetime.now(UTC))
    async with conn.transaction():
        while not await repository.insert_complaint(conn=conn, complaint=complaint):
            complaint = dataclasses.replace(complaint, tracking_code=domain.new_tracking_code())
        await add_to_outbox(
            conn=conn, envelopes=[domain.submitted_event(complaint, correlation_id=correlation_id)]
        )
    log.info(
        "complaint_submitted",
        complaint_id=str(complaint.id),
        tracking_code=complaint.tracking_code,
        privacy=command.privacy,
    )
    return complaint
