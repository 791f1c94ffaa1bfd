"""Changing a message template (one transaction: the statement's own)."""

from __future__ import annotations

import asyncpg
import structlog

from sigap_notify.errors import NotifyError
from sigap_notify.templates import repository
from sigap_notify.templates.rules import template_problems
from sigap_shared.errors import Text

log = structlog.get_logger(__name__)


async def change_template(
    *, conn: asyncpg.Connection, key: str, language: str, subject: str, body: str, changed_by: str
) -> asyncpg.Record:
    problems = template_problems(subject) + template_problems(body)
    if problems:
        raise NotifyError(
            "invalid-template",
            Text(
                id="Tanda $ harus diikuti nama (mis. $tracking_code atau ${department}); tulis $$ untuk tanda $ biasa.",
                en="A $ must be followed by a name (e.g. $tracking_code or ${department}); write $$ for a literal $.",
            ),
            problems=problems,
        )
    row = await repository.upsert_template(
        conn=conn, key=key, language=language, subject=subject, body=body, updated_by=changed_by
    )
    log.info("template_updated", key=key, language=language, by=changed_by)
    return row
