"""Changing escalation contacts; each command is its statement's transaction, logged with who
changed what (never the addresses)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import structlog

from sigap_notify.errors import NotifyError
from sigap_notify.escalation_contacts import repository
from sigap_shared.errors import Text

log = structlog.get_logger(__name__)


async def set_contacts(
    *, conn: asyncpg.Connection, department: str, step: str, emails: Sequence[str], changed_by: str
) -> asyncpg.Record:
    row = await repository.set_contacts(
        conn=conn, department=department, step=step, emails=sorted(set(emails)), updated_by=changed_by
    )
    log.info("escalation_contacts_updated", department=department, step=step, by=changed_by)
    return row


async def remove_contacts(*, conn: asyncpg.Connection, department: str, step: str, removed_by: str) -> None:
    if not await repository.delete_contacts(conn=conn, department=department, step=step):
        raise NotifyError(
            "escalation-contacts-not-found",
            Text(
                id=f"Belum ada kontak eskalasi untuk tingkat {step} di dinas {department}.",
                en=f"No escalation contacts are kept for step {step} of department {department}.",
            ),
        )
    log.info("escalation_contacts_deleted", department=department, step=step, by=removed_by)
