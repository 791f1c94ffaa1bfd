"""Intake's commands: each runs in one database transaction together with its outbox rows
and, when the client sent an `Idempotency-Key`, the stored result that answers its retries."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import structlog

from sigap_intake import capture, domain, follow_up, photo_checks, repository, web_capture
from sigap_intake.metrics import PHOTO_VERDICTS
from sigap_intake.photo_checks import PhotoPolicy
from sigap_intake.sealing import Sealer
from sigap_intake.storage import PhotoStore, content_key
from sigap_shared.events import (
    ComplaintInformationAdded,
    ComplaintRated,
    ComplaintReopenRequested,
    ComplaintRouted,
    ComplaintStatusChanged,
    Envelope,
)
from sigap_shared.consumer import distinct_complaint_runs
from sigap_shared.outbox import add_to_outbox
from sigap_shared.errors import Text

log = structlog.get_logger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """A handler's answer: the receipt as JSON, and whether it repeats an earlier request's."""

    status_code: int
    body: dict
    replayed: bool = False


async def _replay_or_claim(
    *, conn: asyncpg.Connection, retry: domain.RetryKey | None, sealer: Sealer, ttl_s: int
) -> Outcome | None:
    if retry is None:
        return None
    stored = await repository.claim_retry_key(conn=conn, retry=retry, ttl_s=ttl_s)
    if stored is None:
        return None
    if stored.request_hash != retry.request_hash:
        raise domain.RetryKeyReused()
    body = sealer.open(stored.sealed_response, bound_to=retry.bound_to)
    log.info("request_replayed", scope=retry.scope)
    return Outcome(status_code=stored.status_code, body=body, replayed=True)  # type: ignore[arg-type]


async def _remember(
    *, conn: asyncpg.Connection, retry: domain.RetryKey | None, sealer: Sealer, outcome: Outcome
) -> None:
    if retry is not None:
        await repository.store_retry_response(
            conn=conn,
            retry=retry,
            status_code=outcome.status_code,
            sealed_response=sealer.seal(outcome.body, bound_to=retry.bound_to),
        )


def _identity(command: domain.SubmitComplaint) -> dict[str, str | None] | None:
    reporter = command.reporter
    if reporter is None or reporter.is_empty:
        return None
    return {"name": reporter.name, "phone": reporter.phone, "email": reporter.email}


async def submit_complaint(
    *,
    conn: asyncpg.Connection,
    command: domain.SubmitComplaint,
    sealer: Sealer,
    policy: PhotoPolicy = PhotoPolicy(),
    correlation_id: str | None = None,
    retry: domain.RetryKey | None = None,
    retry_ttl_s: int = 24 * 3600,
) -> Outcome:
    complaint = domain.accept(
        command,
        complaint_id=uuid.uuid4(),
        now=datetime.now(UTC),
        min_photos=policy.min_photos,
        max_photos=policy.max_photos,
    )
    async with conn.transaction():
        replay = await _replay_or_claim(conn=conn, retry=retry, sealer=sealer, ttl_s=retry_ttl_s)
        if replay is not None:
            return replay
        photos = await _judge_photos(
            conn=conn,
            photo_ids=command.photo_ids,
            category=command.category,
            reported=(command.location.lat, command.location.lon) if command.location else None,
            policy=policy,
        )
        complaint = await _store(
            conn=conn,
            complaint=dataclasses.replace(complaint, photos=photos),
            sealer=sealer,
            correlation_id=correlation_id,
        )
        if photos:
            await repository.attach_photos(
                conn=conn,
                complaint_id=complaint.id,
                photos=[(photo.id, photo.verdict, list(photo.reasons)) for photo in photos],
            )
        outcome = Outcome(status_code=201, body=domain.ComplaintReceipt.of(complaint).to_json())
        await _remember(conn=conn, retry=retry, sealer=sealer, outcome=outcome)
    log.info(
        "complaint_submitted",
        complaint_id=str(complaint.id),
        tracking_code=complaint.tracking_code,
        privacy=command.privacy,
        photos=len(complaint.photos),
        photo_verdict=complaint.photo_verdict,
    )
    return outcome


async def _store(
    *, conn: asyncpg.Connection, complaint: domain.AcceptedComplaint, sealer: Sealer, correlation_id: str | None
) -> domain.AcceptedComplaint:
    """Store the complaint with its ComplaintSubmitted event, drawing a new tracking code
    while the drawn one is taken; returns the complaint as stored."""
    identity = _identity(complaint.command)
    sealed_identity = sealer.seal(identity, bound_to=complaint.id.bytes) if identity else None
    while not await repository.insert_complaint(
        conn=conn,
        complaint=complaint,
        sealed_identity=sealed_identity,
        events=[domain.submitted_event(complaint, correlation_id=correlation_id)],
    ):
        complaint = dataclasses.replace(complaint, tracking_code=domain.new_tracking_code())
    return complaint


async def _judge_photos(
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
    missing = [str(photo_id) for photo_id in photo_ids if photo_id not in rows]
    if missing:
        raise domain.IntakeError(
            field="photos",
            message=Text(
                id="Foto tidak ditemukan: " + ", ".join(missing) + ". Unggah foto dulu lewat /v1/photos.",
                en="Photo not found: " + ", ".join(missing) + ". Upload photos first via /v1/photos.",
            ),
        )
    taken = [str(row.id) for row in rows.values() if row.in_use]
    if taken:
        raise domain.IntakeError(
            field="photos",
            message=Text(
                id="Foto sudah dilampirkan pada laporan lain: " + ", ".join(taken) + ".",
                en="Photo already attached to another report: " + ", ".join(taken) + ".",
            ),
        )
    own = set(photo_ids)
    judged = [
        _rejudge(rows[photo_id], together_with=own, category=category, reported=reported, policy=policy)
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


def _rejudge(
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
        if not (reason.code == "reused_photo" and UUID(str(reason.details["earlier_photo_id"])) in together_with)
        and reason.code != "gps_far_from_location"
    ]
    far = photo_checks.location_reason(row.gps, reported=reported, max_distance_m=policy.gps_max_distance_m)
    if far is not None:
        reasons.append(far)
    verdict = photo_checks.verdict(reasons, category=category, reject_reasons=policy.reject_reasons)
    return domain.AttachedPhoto(id=row.id, verdict=verdict, reasons=tuple(reasons))


def _reason_text(photo: domain.AttachedPhoto, lang: str) -> str:
    return " ".join(reason.message_en if lang == "en" else reason.message_id for reason in photo.reasons)


# -- capture sessions and photos ----------------------------------------------------------


async def open_capture_session(
    *,
    conn: asyncpg.Connection,
    tokens: capture.CaptureTokens,
    policy: PhotoPolicy,
    track: capture.VideoTrack | None = None,
) -> tuple[capture.CaptureSession, str]:
    """A session for one photo; with `track`, a web-camera session for a frame of that video
    track (judged by `web_capture`, since a canvas frame has no EXIF)."""
    started_at = datetime.now(UTC)
    session = capture.CaptureSession(
        id=uuid.uuid4(),
        started_at=started_at,
        expires_at=started_at + policy.session_ttl,
        source="web_camera" if track else "app",
        track=track,
    )
    await repository.insert_capture_session(conn=conn, session=session)
    return session, tokens.issue(session)


async def upload_photo(
    *,
    conn: asyncpg.Connection,
    data: bytes,
    capture_token: str,
    category: str | None,
    tokens: capture.CaptureTokens,
    store: PhotoStore,
    sealer: Sealer,
    policy: PhotoPolicy,
    retry: domain.RetryKey | None = None,
    retry_ttl_s: int = 24 * 3600,
    device_position: tuple[float, float] | None = None,
) -> Outcome:
    """`device_position`: where the device said it was at capture (web-camera captures, whose
    frames carry no GPS); compared with the reported location when the complaint arrives."""
    # Decoding and hashing are CPU work: keep them off the event loop and outside the transaction.
    facts = await asyncio.to_thread(
        photo_checks.analyse,
        data,
        max_bytes=policy.max_bytes,
        max_pixels=policy.max_pixels,
        default_offset=policy.default_offset,
        received_at=datetime.now(UTC),
    )
    async with conn.transaction():
        replay = await _replay_or_claim(conn=conn, retry=retry, sealer=sealer, ttl_s=retry_ttl_s)
        if replay is not None:
            return replay
        session_id = tokens.verify(capture_token)
        row = await repository.lock_capture_session(conn=conn, session_id=session_id)
        uploaded_at = datetime.now(UTC)
        if row is None:
            raise capture.invalid()
        if row.used_at is not None:
            raise capture.already_used()
        if row.session.expires_at < uploaded_at:
            raise capture.expired()
        similar = await repository.find_similar_photos(
            conn=conn, phash=facts.phash, max_distance=policy.reuse_max_distance
        )
        timing = {
            "session_started_at": row.session.started_at,
            "uploaded_at": uploaded_at,
            "clock_skew": policy.clock_skew,
            "old_after": policy.old_after,
        }
        web_track = row.session.track if row.session.source == "web_camera" else None
        if web_track is not None:
            reasons = web_capture.web_capture_reasons(facts, track=web_track, **timing)
            gps = facts.gps or device_position
        else:
            reasons = photo_checks.capture_reasons(facts, **timing)
            gps = facts.gps
        reasons += photo_checks.reuse_reasons(similar)
        verdict = photo_checks.verdict(reasons, category=category, reject_reasons=policy.reject_reasons)
        original_key = content_key(data, area="originals", suffix=facts.suffix)
        photo_id = uuid.uuid4()
        await repository.insert_photo(
            conn=conn,
            photo_id=photo_id,
            session_id=session_id,
            facts=facts,
            size_bytes=len(data),
            original_key=original_key,
            verdict=verdict,
            reasons=reasons,
            similar=similar,
            uploaded_at=uploaded_at,
            gps=gps,
        )
        await repository.mark_capture_session_used(conn=conn, session_id=session_id, used_at=uploaded_at)
        PHOTO_VERDICTS.labels(verdict=verdict).inc()
        outcome = Outcome(
            status_code=201,
            body={
                "id": str(photo_id),
                "verdict": verdict,
                "reasons": [reason.to_json() for reason in reasons],
                "media_type": facts.media_type,
                "width": facts.width,
                "height": facts.height,
                "taken_at": facts.taken_at.isoformat() if facts.taken_at else None,
                "content_credentials": facts.credentials.to_json(),
                "capture_source": row.session.source,
            },
        )
        await _remember(conn=conn, retry=retry, sealer=sealer, outcome=outcome)
        # The file is written last, so a failure anywhere before rolls everything back and
        # leaves no original without a row. (Only a failing commit can still leave one; it is
        # content-addressed, so the client's retry reuses it.)
        await asyncio.to_thread(store.put, data, area="originals", suffix=facts.suffix)
    log.info(
        "photo_uploaded",
        photo_id=str(photo_id),
        verdict=verdict,
        reasons=[reason.code for reason in reasons],
        similar=len(similar),
    )
    return outcome


async def public_photo(*, conn: asyncpg.Connection, photo_id: UUID, store: PhotoStore) -> tuple[bytes, str]:
    """The metadata-free copy of a photo the public may see, and its store key. The copy is
    made on first request and kept (content-addressed), so each photo is stripped once."""
    photo = await repository.photo_exposure(conn=conn, photo_id=photo_id)
    if photo is None or not domain.photo_is_public(
        photo_id=photo_id,
        evidence_listed_publicly=photo.evidence_listed_publicly,
        after_photo_status=photo.after_photo_status,
        announced_after_photos=photo.announced_after_photos,
    ):
        raise domain.PhotoNotPublic()
    if photo.public_key is not None:
        try:
            return await asyncio.to_thread(store.get, photo.public_key), photo.public_key
        except FileNotFoundError:
            log.warning("public_photo_copy_missing", photo_id=str(photo_id))
    original = await asyncio.to_thread(store.get, photo.original_key)
    stripped = await asyncio.to_thread(photo_checks.public_copy, original)
    public_key = await asyncio.to_thread(store.put, stripped, area="public", suffix=".jpg")
    await repository.set_public_key(conn=conn, photo_id=photo_id, public_key=public_key)
    log.info("public_photo_copy_made", photo_id=str(photo_id))
    return stripped, public_key


# -- status's requests (services/status/INTAKE_CONTRACT.md) -------------------------------


async def claim_after_photos(
    *, conn: asyncpg.Connection, complaint_id: UUID, photo_ids: tuple[UUID, ...], policy: PhotoPolicy
) -> list[domain.AttachedPhoto]:
    """Bind live photos to a finished complaint as its after-photos, judged against the
    complaint's category and location. Claiming the same photos again answers the same."""
    async with conn.transaction():
        complaint = await repository.complaint_facts(conn=conn, complaint_id=complaint_id)
        if complaint is None:
            raise domain.UnknownComplaint()
        rows = await repository.lock_photos(conn=conn, photo_ids=list(photo_ids))
        missing = [photo_id for photo_id in photo_ids if photo_id not in rows]
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
            else _rejudge(
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
            await repository.claim_after_photos(
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
            sealed = await repository.sealed_identity_of(conn=conn, complaint_id=complaint_id)
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


# -- tracking: what other services announced ----------------------------------------------


# The consumer hands these a whole run of events of one type (BatchHandler in bootstrap).


def _routing_announcement(envelope: Envelope) -> repository.Announcement:
    routed = envelope.data
    assert isinstance(routed, ComplaintRouted)
    return repository.Announcement(
        event_id=envelope.id,
        complaint_id=routed.complaint_id,
        event_type=envelope.type,
        occurred_at=routed.routed_at,
        department=routed.department,
    )


def _status_announcement(envelope: Envelope) -> repository.Announcement:
    changed = envelope.data
    assert isinstance(changed, ComplaintStatusChanged)
    return repository.Announcement(
        event_id=envelope.id,
        complaint_id=changed.complaint_id,
        event_type=envelope.type,
        occurred_at=changed.changed_at,
        department=changed.department,
        status=changed.status,
        # Only what staff wrote for the reporter is public: the reason (e.g. why rejected) and
        # the resolution note; internal notes stay with the status service.
        public_note=changed.resolution_note or changed.reason,
        resolution_note=changed.resolution_note,
        after_photo_ids=changed.after_photo_ids,
    )


async def on_complaints_routed(*, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
    for run in distinct_complaint_runs(envelopes):
        await repository.record_routings(conn=conn, announcements=[_routing_announcement(e) for e in run])


async def on_status_changes(*, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
    for run in distinct_complaint_runs(envelopes):
        await repository.record_status_changes(conn=conn, announcements=[_status_announcement(e) for e in run])


async def on_complaint_routed(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    await on_complaints_routed(conn=conn, envelopes=[envelope])


async def on_status_changed(*, conn: asyncpg.Connection, envelope: Envelope) -> None:
    await on_status_changes(conn=conn, envelopes=[envelope])


# -- the reporter's follow-ups ------------------------------------------------------------


async def track(*, conn: asyncpg.Connection, tracking_code: str, token: str | None) -> dict:
    complaint = await repository.tracked_complaint(conn=conn, tracking_code=tracking_code)
    if complaint is None:
        raise follow_up.not_found()
    own_view = complaint.check_visible(token)
    row, timeline = await repository.tracking_view(conn=conn, complaint_id=complaint.id)  # type: ignore[arg-type]
    view = {
        "tracking_code": row["tracking_code"],
        "kind": row["kind"],
        "category": row["category"],
        "status": row["status"],
        "department": row["department"],
        "submitted_at": row["submitted_at"],
        "status_changed_at": row["status_changed_at"],
        "resolution_note": row["resolution_note"],
        "after_photo_ids": list(row["after_photo_ids"]),
        "photo_verdict": row["photo_verdict"],
        "rating": row["rating"],
        "timeline": [dict(entry) for entry in timeline],
    }
    if own_view or (row["privacy"] == "publik" and row["publicly_visible"]):
        view |= {"title": row["title"], "description": row["description"], "address": row["address"]}
    return view


async def _owned(*, conn: asyncpg.Connection, tracking_code: str, token: str | None) -> follow_up.TrackedComplaint:
    complaint = await repository.tracked_complaint(conn=conn, tracking_code=tracking_code, lock=True)
    if complaint is None:
        raise follow_up.not_found()
    complaint.check_owner(token)
    return complaint


async def add_information(
    *,
    conn: asyncpg.Connection,
    tracking_code: str,
    token: str | None,
    text: str,
    photo_ids: tuple[UUID, ...],
    policy: PhotoPolicy,
) -> Envelope:
    async with conn.transaction():
        complaint = await _owned(conn=conn, tracking_code=tracking_code, token=token)
        follow_up.check_can_add_information(complaint)
        row, _ = await repository.tracking_view(conn=conn, complaint_id=complaint.id)  # type: ignore[arg-type]
        photos = await _judge_photos(
            conn=conn, photo_ids=photo_ids, category=row["category"], reported=None, policy=policy
        )
        if photos:
            await repository.attach_photos(
                conn=conn,
                complaint_id=complaint.id,  # type: ignore[arg-type]
                photos=[(photo.id, photo.verdict, list(photo.reasons)) for photo in photos],
            )
        envelope = Envelope(
            source=domain.SOURCE,
            data=ComplaintInformationAdded(
                complaint_id=complaint.id,
                tracking_code=complaint.tracking_code,
                text=text,
                photos=tuple(photo.evidence() for photo in photos),
                added_at=datetime.now(UTC),
            ),
        )
        await add_to_outbox(conn=conn, envelopes=[envelope])
    log.info("complaint_information_added", complaint_id=str(complaint.id), photos=len(photos))
    return envelope


async def rate(
    *, conn: asyncpg.Connection, tracking_code: str, token: str | None, rating: int, comment: str | None
) -> Envelope:
    async with conn.transaction():
        complaint = await _owned(conn=conn, tracking_code=tracking_code, token=token)
        follow_up.check_can_rate(complaint)
        await repository.set_rating(conn=conn, complaint_id=complaint.id, rating=rating)  # type: ignore[arg-type]
        envelope = Envelope(
            source=domain.SOURCE,
            data=ComplaintRated(
                complaint_id=complaint.id,
                tracking_code=complaint.tracking_code,
                rating=rating,
                comment=comment,
                rated_at=datetime.now(UTC),
            ),
        )
        await add_to_outbox(conn=conn, envelopes=[envelope])
    log.info("complaint_rated", complaint_id=str(complaint.id), rating=rating)
    return envelope


async def request_reopen(
    *, conn: asyncpg.Connection, tracking_code: str, token: str | None, reason: str, window_days: int
) -> Envelope:
    now = datetime.now(UTC)
    async with conn.transaction():
        complaint = await _owned(conn=conn, tracking_code=tracking_code, token=token)
        follow_up.check_can_reopen(complaint, now=now, window=timedelta(days=window_days))
        envelope = Envelope(
            source=domain.SOURCE,
            data=ComplaintReopenRequested(
                complaint_id=complaint.id, tracking_code=complaint.tracking_code, reason=reason, requested_at=now
            ),
        )
        await add_to_outbox(conn=conn, envelopes=[envelope])
    log.info("complaint_reopen_requested", complaint_id=str(complaint.id))
    return envelope
