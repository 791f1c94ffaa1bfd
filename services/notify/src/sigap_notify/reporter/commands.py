"""Subscribing a reporter's channel (verified with intake, then one statement), and sealing
addresses stored before addresses were sealed (at start-up)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import structlog

from sigap_notify.errors import NotifyError
from sigap_notify.intake_client import FollowUpRateLimited, FollowUpRejected, IntakeClient, IntakeUnavailable
from sigap_notify.reporter import repository
from sigap_notify.sealing import SecretBox
from sigap_shared import erasure
from sigap_shared.errors import Text

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Subscribed:
    subscription_id: UUID
    complaint_id: UUID
    tracking_code: str


async def subscribe_reporter(
    *,
    conn: asyncpg.Connection,
    intake: IntakeClient,
    box: SecretBox,
    tracking_code: str,
    follow_up_token: str,
    channel: str,
    address: str,
    language: str,
) -> Subscribed:
    """Store (or replace) a reporter's direct subscription once intake confirmed the tracking
    code and follow-up token; the address only ever sealed."""
    verified = await _verify(intake, tracking_code=tracking_code, follow_up_token=follow_up_token)
    if await erasure.is_erased(conn=conn, complaint_id=verified.complaint_id):
        raise NotifyError(
            "reporter-erased",
            Text(
                id="Data pribadi pelapor pengaduan ini sudah dihapus; Sigap tidak lagi mengirim kabar tentangnya.",
                en="The reporter's personal data for this complaint was erased; Sigap no longer sends updates about it.",
            ),
        )
    subscription_id = await repository.upsert_subscription(
        conn=conn,
        subscription_id=uuid.uuid4(),
        tracking_code=verified.tracking_code,
        complaint_id=verified.complaint_id,
        channel=channel,
        address_sealed=box.seal_address(address, tracking_code=verified.tracking_code, channel=channel),
        language=language,
    )
    log.info("reporter_subscribed", channel=channel, complaint_id=str(verified.complaint_id))
    return Subscribed(subscription_id, verified.complaint_id, verified.tracking_code)


async def _verify(intake: IntakeClient, *, tracking_code: str, follow_up_token: str):
    try:
        return await intake.verify_follow_up(tracking_code=tracking_code, follow_up_token=follow_up_token)
    except FollowUpRejected:
        raise NotifyError(
            "follow-up-token-mismatch",
            Text(
                id="Periksa kembali kode pelacakan dan token tindak lanjut yang Anda terima saat melapor.",
                en="Check the tracking code and the follow-up token you received when reporting.",
            ),
        ) from None
    except FollowUpRateLimited as exc:
        raise NotifyError(
            "too-many-requests",
            Text(
                id="Kode pelacakan ini terlalu sering dicoba. Silakan tunggu sebentar.",
                en="This tracking code was tried too often. Please wait a moment.",
            ),
            retry_after_s=exc.retry_after,
        ) from None
    except IntakeUnavailable as exc:
        log.warning("subscription_verification_unavailable", error=str(exc))
        raise NotifyError(
            "temporarily-unavailable",
            Text(id="Silakan coba lagi sebentar lagi.", en="Please try again shortly."),
            retry_after_s="5",
        ) from None


async def seal_legacy_subscription_addresses(*, conn: asyncpg.Connection, box: SecretBox) -> int:
    """Encrypt the subscribed addresses stored in plaintext before addresses were sealed (run
    at start-up with the webhook secrets, in the same transaction)."""
    rows = await repository.lock_legacy_subscription_addresses(conn=conn)
    for row in rows:
        await repository.seal_subscription_address(
            conn=conn,
            subscription_id=row["id"],
            address_sealed=box.seal_address(
                row["legacy_address"], tracking_code=row["tracking_code"], channel=row["channel"]
            ),
        )
    if rows:
        log.info("legacy_subscription_addresses_sealed", count=len(rows))
    return len(rows)
