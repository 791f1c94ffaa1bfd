"""Capture sessions and photo uploads: a session's token is spent by the upload it signed; the
photo is checked, stored and recorded in one transaction."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from sigap_intake import domain, retries
from sigap_intake.capture import repository
from sigap_intake.capture import tokens as capture
from sigap_intake.capture import web as web_capture
from sigap_intake.metrics import PHOTO_VERDICTS
from sigap_intake.photos import checks as photo_checks
from sigap_intake.photos import repository as photo_repository
from sigap_intake.photos import evidence, lookup, reuse
from sigap_intake.photos.checks import PhotoPolicy
from sigap_intake.photos.storage import PhotoStore, content_key
from sigap_intake.sealing import Sealer

log = structlog.get_logger(__name__)


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
    reported: tuple[float, float] | None = None,
) -> retries.Outcome:
    """`device_position`: where the device said it was at capture (web-camera captures, whose
    frames carry no GPS). `reported`: the location of the problem being reported, when the app
    knows it at capture; the photo's position is compared with it now rather than only when the
    complaint arrives (it is compared again then)."""
    # Decoding and hashing are CPU work: keep them off the event loop and outside the transaction.
    facts = await asyncio.to_thread(
        photo_checks.analyse,
        data,
        max_bytes=policy.max_bytes,
        max_pixels=policy.max_pixels,
        default_offset=policy.default_offset,
        received_at=datetime.now(UTC),
        trust_anchors=policy.c2pa_trust_anchors,
        reuse_views=policy.reuse_views,
        reuse_keys=policy.reuse_keys,
    )
    async with conn.transaction():
        replay = await retries.replay_or_claim(conn=conn, retry=retry, sealer=sealer, ttl_s=retry_ttl_s)
        if replay is not None:
            return replay
        uploaded_at = datetime.now(UTC)
        session_id = tokens.verify(capture_token)
        session = await _unused_session(conn=conn, session_id=session_id, now=uploaded_at)
        reasons, gps = _capture_reasons(
            facts, session=session, uploaded_at=uploaded_at, policy=policy, device_position=device_position
        )
        # Confirmed candidates from the view hashes and/or the SIFT keys (SIGAP_PHOTO_REUSE_VIEWS,
        # SIGAP_PHOTO_REUSE_KEYS), or, with both off, today's single hash.
        matches: list[evidence.Match] = []
        similar: list[reuse.SimilarPhoto] = []
        found = lookup.Found([], {})
        if policy.reuse_views or policy.reuse_keys:
            found = await lookup.find_matches(conn=conn, facts=facts, policy=policy)
            matches = found.matches
            complaints = await photo_repository.complaints_of_photos(conn=conn, photo_ids=[m.photo for m in matches])
            # A copy of a copy matches both: the one staff can follow to a complaint comes first.
            matches.sort(key=lambda m: (m.strength != "strong", complaints.get(m.photo) is None, m.distance))
            reasons += lookup.name_checks(evidence.reasons(matches, complaint_of=complaints.get), found.checks)
            similar = found.hash_only
            reasons += reuse.reuse_reasons(similar)
        else:
            similar = await photo_repository.find_similar_photos(
                conn=conn, phash=facts.phash, max_distance=policy.reuse_max_distance
            )
            reasons += reuse.reuse_reasons(similar)
        distance_m, far = photo_checks.location_check(gps, reported=reported, max_distance_m=policy.gps_max_distance_m)
        if far is not None:
            reasons.append(far)
        verdict = photo_checks.verdict(reasons, category=category, reject_reasons=policy.reject_reasons)
        original_key = content_key(data, area="originals", suffix=facts.suffix)
        photo_id = uuid.uuid4()
        await photo_repository.insert_photo(
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
            location_distance_m=distance_m,
            matches=matches,
            match_checks=found.checks,
        )
        await repository.mark_capture_session_used(conn=conn, session_id=session_id, used_at=uploaded_at)
        PHOTO_VERDICTS.labels(verdict=verdict).inc()
        outcome = retries.Outcome(
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
                "capture_source": session.source,
            },
        )
        await retries.remember(conn=conn, retry=retry, sealer=sealer, outcome=outcome)
        # The file is written last, so a failure anywhere before rolls everything back and
        # leaves no original without a row. (Only a failing commit can still leave one; it is
        # content-addressed, so the client's retry reuses it.)
        await repository.lock_original_file(conn=conn, original_key=original_key)
        await asyncio.to_thread(store.put, data, area="originals", suffix=facts.suffix)
    log.info(
        "photo_uploaded",
        photo_id=str(photo_id),
        verdict=verdict,
        reasons=[reason.code for reason in reasons],
        matches=len(matches) + len(similar),
    )
    return outcome


async def _unused_session(*, conn: asyncpg.Connection, session_id: UUID, now: datetime) -> capture.CaptureSession:
    """The token's capture session, locked, if it can still take its one photo."""
    row = await repository.lock_capture_session(conn=conn, session_id=session_id)
    if row is None:
        raise capture.invalid()
    if row.used_at is not None:
        raise capture.already_used()
    if row.session.expires_at < now:
        raise capture.expired()
    return row.session


def _capture_reasons(
    facts: photo_checks.PhotoFacts,
    *,
    session: capture.CaptureSession,
    uploaded_at: datetime,
    policy: PhotoPolicy,
    device_position: tuple[float, float] | None,
) -> tuple[list[photo_checks.Reason], tuple[float, float] | None]:
    """What speaks against a live capture, and where the photo was taken as far as known: a
    web-camera frame carries no GPS, so the device's own position stands in for it."""
    timing = {
        "session_started_at": session.started_at,
        "uploaded_at": uploaded_at,
        "clock_skew": policy.clock_skew,
        "old_after": policy.old_after,
    }
    if session.source == "web_camera" and session.track is not None:
        return web_capture.web_capture_reasons(facts, track=session.track, **timing), facts.gps or device_position
    return photo_checks.capture_reasons(facts, **timing), facts.gps
