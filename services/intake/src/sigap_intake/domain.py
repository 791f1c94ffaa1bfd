"""Pure rules of accepting a complaint: privacy choices, tracking codes, pseudonyms and the
event that announces a new complaint. No I/O here."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sigap_shared.events import (
    ComplaintKind,
    ComplaintSubmitted,
    Envelope,
    GeoPoint,
    Privacy,
    ReporterRef,
)

SOURCE = "sigap/intake"

# No 0/O, 1/I/L or U: a code read aloud over the phone or copied by hand stays unambiguous.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


class IntakeError(Exception):
    """A submission that breaks a rule; `field` names the offending input."""

    def __init__(self, *, field: str, message_id: str, message_en: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.message_id = message_id
        self.message_en = message_en


@dataclass(frozen=True, slots=True)
class ReporterContact:
    name: str | None = None
    phone: str | None = None
    email: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.phone or self.email)

    def channels(self) -> tuple[str, ...]:
        return tuple(
            channel for channel, present in (("email", self.email), ("sms", self.phone)) if present
        )


@dataclass(frozen=True, slots=True)
class SubmitComplaint:
    kind: ComplaintKind
    description: str
    privacy: Privacy
    title: str | None = None
    category: str | None = None
    location: GeoPoint | None = None
    address: str | None = None
    reporter: ReporterContact | None = None


@dataclass(frozen=True, slots=True)
class AcceptedComplaint:
    id: UUID
    tracking_code: str
    follow_up_token: str
    reporter_pseudonym: str | None
    command: SubmitComplaint
    submitted_at: datetime

    @property
    def follow_up_token_hash(self) -> bytes:
        return hash_token(self.follow_up_token)


def new_tracking_code() -> str:
    chars = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6))
    return f"SGP-{chars[:4]}-{chars[4:]}"


def new_pseudonym() -> str:
    return "Pelapor-" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def accept(command: SubmitComplaint, *, complaint_id: UUID, now: datetime) -> AcceptedComplaint:
    """Check the privacy rules and give the complaint its identifiers."""
    reporter = command.reporter
    if command.privacy == "anonim" and reporter is not None and not reporter.is_empty:
        raise IntakeError(
            field="reporter",
            message_id="Laporan anonim tidak boleh menyertakan identitas pelapor; hapus data pelapor "
            "atau pilih privasi 'rahasia'.",
            message_en="Anonymous reports carry no reporter identity; remove the reporter data or "
            "choose privacy 'rahasia'.",
        )
    if command.location is None and not command.address:
        raise IntakeError(
            field="location",
            message_id="Sertakan lokasi (lat/lon) atau alamat kejadian.",
            message_en="Give a location (lat/lon) or an address.",
        )
    has_reporter = reporter is not None and not reporter.is_empty
    return AcceptedComplaint(
        id=complaint_id,
        tracking_code=new_tracking_code(),
        follow_up_token=secrets.token_urlsafe(24),
        reporter_pseudonym=new_pseudonym() if has_reporter else None,
        command=command,
        submitted_at=now,
    )


def submitted_event(complaint: AcceptedComplaint, *, correlation_id: str | None = None) -> Envelope:
    """The event never names the reporter: only a pseudonym and the chosen channels."""
    command = complaint.command
    reporter_ref = None
    if complaint.reporter_pseudonym is not None and command.reporter is not None:
        reporter_ref = ReporterRef(
            pseudonym=complaint.reporter_pseudonym, channels=command.reporter.channels()
        )
    return Envelope(
        source=SOURCE,
        correlation_id=correlation_id,
        data=ComplaintSubmitted(
            complaint_id=complaint.id,
            tracking_code=complaint.tracking_code,
            kind=command.kind,
            title=command.title,
            description=command.description,
            category=command.category,
            location=command.location,
            address=command.address,
            privacy=command.privacy,
            reporter=reporter_ref,
            submitted_at=complaint.submitted_at,
        ),
    )
