"""Changing a department's contacts and webhooks; each command is one transaction (its
statement's, or the one the caller opened at start-up for sealing)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from uuid import UUID

import asyncpg
import structlog

from sigap_notify.egress import Egress
from sigap_notify.errors import NotifyError
from sigap_notify.sealing import SecretBox
from sigap_notify.subscriptions import repository
from sigap_notify.targets import acceptable_webhook_url, check_target
from sigap_shared.errors import Text

log = structlog.get_logger(__name__)


def _distinct(emails: Sequence[str]) -> list[str]:
    return sorted(set(emails))


async def set_department_contacts(*, conn: asyncpg.Connection, department: str, emails: Sequence[str]) -> list[str]:
    """Replace where the department's admins receive email; returns the addresses kept."""
    kept = _distinct(emails)
    await repository.set_department_emails(conn=conn, department=department, emails=kept)
    return kept


async def set_officer_contacts(
    *, conn: asyncpg.Connection, department: str, username: str, emails: Sequence[str], changed_by: str
) -> asyncpg.Record:
    row = await repository.set_officer_emails(
        conn=conn, department=department, username=username, emails=_distinct(emails), updated_by=changed_by
    )
    log.info("officer_contacts_updated", department=department, officer=username, by=changed_by)
    return row


async def remove_officer_contacts(
    *, conn: asyncpg.Connection, department: str, username: str, removed_by: str
) -> None:
    if not await repository.delete_officer_contacts(conn=conn, department=department, username=username):
        raise NotifyError(
            "officer-contacts-not-found",
            Text(
                id=f"Belum ada alamat untuk petugas {username} di dinas {department}.",
                en=f"No addresses are kept for officer {username} of department {department}.",
            ),
        )
    log.info("officer_contacts_deleted", department=department, officer=username, by=removed_by)


async def register_webhook(
    *,
    conn: asyncpg.Connection,
    egress: Egress,
    box: SecretBox,
    allow_http: bool,
    department: str,
    url: str,
    secret: str | None,
    registered_by: str,
) -> tuple[asyncpg.Record, str]:
    """Register a department system's webhook; returns its row and its secret (generated when
    none was given), which is stored only sealed."""
    if not acceptable_webhook_url(url, allow_http=allow_http):
        raise NotifyError(
            "invalid-webhook-url",
            Text(
                id="Gunakan URL https:// lengkap dengan nama host, mis. https://sistem.dinas.depok.go.id/sigap.",
                en="Use a full https:// URL with a host name, e.g. https://system.department.example/sigap.",
            ),
        )
    await check_target(egress, url, field="url")
    secret = secret or secrets.token_urlsafe(32)
    webhook_id = uuid.uuid4()
    row = await repository.create_webhook(
        conn=conn,
        subscription_id=webhook_id,
        department=department,
        url=url,
        secret_sealed=box.seal(secret, webhook_id=webhook_id),
        created_by=registered_by,
    )
    log.info("webhook_registered", department=department, webhook_id=str(row["id"]))
    return row, secret


async def remove_webhook(*, conn: asyncpg.Connection, department: str, webhook_id: UUID) -> None:
    row = await repository.get_webhook(conn=conn, subscription_id=webhook_id)
    if row is None or row["department"] != department:
        raise NotifyError(
            "webhook-not-found",
            Text(
                id=f"Tidak ada webhook {webhook_id} untuk dinas ini.",
                en=f"No webhook {webhook_id} for this department.",
            ),
        )
    await repository.deactivate_webhook(conn=conn, subscription_id=webhook_id)


async def seal_legacy_webhook_secrets(*, conn: asyncpg.Connection, box: SecretBox) -> int:
    """Encrypt the webhook secrets stored in plaintext before secrets were sealed (run at
    start-up, in one transaction; replicas starting together wait on the row locks)."""
    rows = await repository.lock_legacy_webhook_secrets(conn=conn)
    for row in rows:
        await repository.seal_webhook_secret(
            conn=conn,
            subscription_id=row["id"],
            secret_sealed=box.seal(row["legacy_secret"], webhook_id=row["id"]),
        )
    if rows:
        log.info("legacy_webhook_secrets_sealed", count=len(rows))
    return len(rows)
