"""Judging uploaded photos again once they are attached: against the complaint's category and
location, and against each other (one photo shown twice is not two pieces of evidence)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from sigap_intake import domain
from sigap_intake.photos import checks as photo_checks
from sigap_intake.photos import repository
from sigap_intake.photos.checks import PhotoPolicy
from sigap_shared.errors import Text


async def judge_photos(
    *,
    conn: asyncpg.Connection,
    photo_ids: tuple[UUID, ...],
    category: str | None,
    reported: tuple[float, float] | None,
    policy: PhotoPolicy,
) -> tuple[domain.AttachedPhoto, ...]:
    """Re-judge each referenced photo now that the category and location are known."""
    if not photo_ids:
        return ()
    rows = await repository.lock_photos(conn=conn, photo_ids=list(photo_ids))
    # A rejected upload whose original was purged (capture/purge.py) is gone as evidence.
    missing = [str(photo_id) for photo_id in photo_ids if photo_id not in rows or rows[photo_id].original_purged]
    if missing:
        raise _refused(missing, "Foto tidak ditemukan: {ids}. Unggah foto dulu lewat /v1/photos.",
                       "Photo not found: {ids}. Upload photos first via /v1/photos.")
    taken = [str(row.id) for row in rows.values() if row.in_use]
    if taken:
        raise _refused(taken, "Foto sudah dilampirkan pada laporan lain: {ids}.",
                       "Photo already attached to another report: {ids}.")
    own = set(photo_ids)
    judged = [
        rejudge(rows[photo_id], together_with=own, category=category, reported=reported, policy=policy)
        for photo_id in photo_ids
    ]
    rejected = [photo for photo in judged if photo.verdict == "rejected"]
    if rejected:
        codes = sorted({reason.code for photo in rejected for reason in photo.reasons})
        raise domain.IntakeError(
            field="photos",
            message=Text(
                id="Foto ditolak ("
                    + ", ".join(str(photo.id) for photo in rejected)
                    + "): "
                    + "; ".join(_reason_text(photo, "id") for photo in rejected)
                    + ". Ambil foto baru langsung di lokasi.",
                en="Photo rejected ("
                    + ", ".join(str(photo.id) for photo in rejected)
                    + "): "
                    + "; ".join(_reason_text(photo, "en") for photo in rejected)
                    + ". Take a new photo on the spot.",
            ),
            codes=codes,
        )
    return tuple(judged)


def rejudge(
    row: repository.PhotoRow,
    *,
    together_with: set[UUID],
    category: str | None,
    reported: tuple[float, float] | None,
    policy: PhotoPolicy,
) -> domain.AttachedPhoto:
    reasons = [
        reason
        for reason in row.reasons
        # Two shots of the same scene sent together are not a reuse.
        if not (
            reason.code in ("reused_photo", "similar_photo")
            and UUID(str(reason.details["earlier_photo_id"])) in together_with
        )
        and reason.code != "gps_far_from_location"
    ]
    distance_m, far = photo_checks.location_check(
        row.gps, reported=reported, max_distance_m=policy.gps_max_distance_m
    )
    if far is not None:
        reasons.append(far)
    verdict = photo_checks.verdict(reasons, category=category, reject_reasons=policy.reject_reasons)
    return domain.AttachedPhoto(
        id=row.id,
        verdict=verdict,
        reasons=tuple(reasons),
        upload_verdict=row.verdict,  # type: ignore[arg-type]
        location_distance_m=distance_m,
    )


def _reason_text(photo: domain.AttachedPhoto, lang: str) -> str:
    return " ".join(reason.message_en if lang == "en" else reason.message_id for reason in photo.reasons)


def _refused(photo_ids: list[str], id_text: str, en_text: str) -> domain.IntakeError:
    ids = ", ".join(photo_ids)
    return domain.IntakeError(field="photos", message=Text(id_text.format(ids=ids), en_text.format(ids=ids)))
