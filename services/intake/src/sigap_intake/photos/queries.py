"""Photos as they leave intake: the metadata-free copy, for the public only while the complaint
is public (or finished, for after-photos), for staff (through status) any photo of a complaint."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg
import structlog

from sigap_intake import domain
from sigap_intake.photos import checks as photo_checks
from sigap_intake.photos import repository
from sigap_intake.photos.storage import PhotoStore
from sigap_shared.errors import DomainError, Text

log = structlog.get_logger(__name__)


async def public_photo(*, conn: asyncpg.Connection, photo_id: UUID, store: PhotoStore) -> tuple[bytes, str]:
    """The metadata-free copy of a photo the public may see, and its store key."""
    photo = await repository.photo_exposure(conn=conn, photo_id=photo_id)
    if photo is None or not domain.photo_is_public(
        photo_id=photo_id,
        evidence_listed_publicly=photo.evidence_listed_publicly,
        after_photo_status=photo.after_photo_status,
        announced_after_photos=photo.announced_after_photos,
    ):
        raise domain.PhotoNotPublic()
    return await stripped_copy(
        conn=conn, store=store, photo_id=photo_id, original_key=photo.original_key, public_key=photo.public_key
    )


async def complaint_photo(*, conn: asyncpg.Connection, store: PhotoStore, complaint_id: UUID, photo_id: UUID) -> bytes:
    """One of a complaint's photos (evidence or after-photo), stripped, for staff."""
    keys = await repository.photo_keys_of_complaint(conn=conn, complaint_id=complaint_id, photo_id=photo_id)
    if keys is None:
        raise DomainError(
            "photo-not-found",
            Text("Pengaduan ini tidak punya foto dengan id tersebut.", "This complaint has no photo with that id."),
        )
    original_key, public_key = keys
    data, _ = await stripped_copy(
        conn=conn, store=store, photo_id=photo_id, original_key=original_key, public_key=public_key
    )
    return data


async def stripped_copy(
    *, conn: asyncpg.Connection, store: PhotoStore, photo_id: UUID, original_key: str, public_key: str | None
) -> tuple[bytes, str]:
    """The photo without metadata and its store key: made on first request and kept
    (content-addressed), so each photo is stripped once."""
    if public_key is not None:
        try:
            return await asyncio.to_thread(store.get, public_key), public_key
        except FileNotFoundError:
            log.warning("public_photo_copy_missing", photo_id=str(photo_id))
    original = await asyncio.to_thread(store.get, original_key)
    stripped = await asyncio.to_thread(photo_checks.public_copy, original)
    public_key = await asyncio.to_thread(store.put, stripped, area="public", suffix=".jpg")
    await repository.set_public_key(conn=conn, photo_id=photo_id, public_key=public_key)
    log.info("public_photo_copy_made", photo_id=str(photo_id))
    return stripped, public_key
