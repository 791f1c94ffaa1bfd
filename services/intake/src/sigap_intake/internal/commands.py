"""Commands of the internal API used by status and notify: claiming after-photos for a
finished complaint, revealing a reporter's identity (audited), and that audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from sigap_intake import domain
from sigap_intake.complaints import repository as complaint_repository
from sigap_intake.internal import repository
from sigap_intake.photos import repository as photo_repository
from sigap_intake.photos.checks import PhotoPolicy
from sigap_intake.photos.judging import rejudge
from sigap_intake.sealing import Sealer

log = structlog.get_logger(__name__)


async def claim_after_photos(
    *, conn: asyncpg.Connection, complaint_id: UUID, photo_ids: tuple[UUID, ...], policy: PhotoPolicy
) -> list[domain.AttachedPhoto]:
    """Bind live photos to a finished complaint as its after-photos, judged against the
    complaint's category and location. Claiming the same photos again answers the same."""
    async with conn.transaction():
        complaint = await repository.complaint_facts(conn=conn, complaint_id=complaint_id)
        if complaint is None:
            raise domain.UnknownComplaint()
        rows = await photo_repository.lock_photos(conn=conn, photo_ids=list(photo_ids))
        # A rejected upload whose original was purged (capture/purge.py) is gone as evidence.
        missing = [photo_id for photo_id in photo_ids if photo_id not in rows or rows[photo_id].original_purged]
        if missing:
            raise domain.UnknownPhotos(missing)
        in_use = domain.photos_in_use(
            {photo_id: (rows[photo_id].complaint_id, rows[photo_id].after_photo_of) for photo_id in photo_ids},
            complaint_id=complaint_id,
        )
        if in_use:
            raise domain.PhotosInUse(in_use)
        already = {photo_id for photo_id in photo_ids if rows[photo_id].after_photo_of == complaint_id}
        judged = [
            domain.AttachedPhoto(
                id=photo_id, verdict=rows[photo_id].verdict, reasons=rows[photo_id].reasons  # type: ignore[arg-type]
            )
            if photo_id in already
            else rejudge(
                rows[photo_id],
                together_with=set(photo_ids),
                category=complaint.category,
                reported=complaint.location,
                policy=policy,
            )
            for photo_id in photo_ids
        ]
        fresh = [photo for photo in judged if photo.id not in already]
        if fresh:
            await photo_repository.claim_after_photos(
                conn=conn,
                complaint_id=complaint_id,
                photos=[(photo.id, photo.verdict, list(photo.reasons)) for photo in fresh],
                claimed_at=datetime.now(UTC),
            )
    log.info(
        "after_photos_claimed",
        complaint_id=str(complaint_id),
        photos=len(judged),
        newly_claimed=len(fresh),
        verdicts=[photo.verdict for photo in judged],
    )
    return judged


async def reveal_identity(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    actor: str,
    actor_role: str,
    reason: str,
    sealer: Sealer,
) -> domain.RevealedIdentity:
    """The audit row is written in the transaction that reads the identity, so no look goes
    unrecorded; a refused request is recorded too and then raises `IdentityRevealRefused`."""
    audit_id = uuid.uuid4()
    allowed = domain.may_reveal_identity(actor_role)
    async with conn.transaction():
        complaint = await repository.complaint_facts(conn=conn, complaint_id=complaint_id)
        if complaint is None:
            raise domain.UnknownComplaint()
        await repository.insert_identity_access(
            conn=conn,
            audit_id=audit_id,
            complaint_id=complaint_id,
            actor=actor,
            actor_role=actor_role,
            reason=reason,
            outcome="revealed" if allowed else "refused",
            at=datetime.now(UTC),
        )
        identity: dict = {}
        if allowed:
            sealed = await complaint_repository.sealed_identity_of(conn=conn, complaint_id=complaint_id)
            if sealed is not None:
                opened = sealer.open(sealed, bound_to=complaint_id.bytes)
                assert isinstance(opened, dict)
                identity = opened
    if not allowed:
        log.warning(
            "identity_reveal_refused",
            complaint_id=str(complaint_id),
            actor=actor,
            actor_role=actor_role,
            audit_id=str(audit_id),
        )
        raise domain.IdentityRevealRefused(audit_id)
    log.info("identity_revealed", complaint_id=str(complaint_id), actor=actor, audit_id=str(audit_id))
    return domain.RevealedIdentity(
        complaint_id=complaint_id,
        privacy=complaint.privacy,  # type: ignore[arg-type]
        name=identity.get("name"),
        phone=identity.get("phone"),
        email=identity.get("email"),
        audit_id=audit_id,
    )


async def identity_access_log(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[dict]:
    return [dict(row) for row in await repository.identity_access_log(conn=conn, complaint_id=complaint_id)]
