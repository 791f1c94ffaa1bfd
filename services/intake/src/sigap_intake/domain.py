"""Pure rules of accepting a complaint: privacy choices, tracking codes, pseudonyms and the
event that announces a new complaint. No I/O here."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sigap_intake.photos.checks import VERDICT_RANK, Reason, Verdict
from sigap_shared.errors import DomainError, Text
from sigap_shared.events import (
    ComplaintKind,
    ComplaintSubmitted,
    Envelope,
    GeoPoint,
    PhotoEvidence,
    PhotoVerified,
    Privacy,
    ReporterRef,
)

SOURCE = "sigap/intake"

# No 0/O, 1/I/L or U: a code read aloud over the phone or copied by hand stays unambiguous.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


class IntakeError(DomainError):
    """A submission that breaks a rule; `field` names the offending input."""

    def __init__(self, *, field: str, message: Text, codes: list[str] | None = None) -> None:
        super().__init__("validation-error", message)
        self.field = field
        self.codes = codes or []


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
    photo_ids: tuple[UUID, ...] = ()
    publicly_visible: bool = True

    @property
    def is_listed_publicly(self) -> bool:
        return self.privacy == "publik" and self.publicly_visible


@dataclass(frozen=True, slots=True)
class AttachedPhoto:
    """A photo as judged at submission, with the complaint's category and location known."""

    id: UUID
    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    # The verdict the photo had at upload, before the complaint's location was known.
    upload_verdict: Verdict | None = None
    # Metres between the photo's position and the reported location; None: not compared.
    location_distance_m: int | None = None

    def evidence(self) -> PhotoEvidence:
        similar = []
        for reason in self.reasons:
            earlier = reason.details.get("earlier_complaint_id")
            if reason.code == "reused_photo" and earlier and UUID(str(earlier)) not in similar:
                similar.append(UUID(str(earlier)))
        return PhotoEvidence(
            photo_id=self.id,
            verdict=self.verdict,
            reasons=tuple(dict.fromkeys(reason.code for reason in self.reasons)),
            similar_to_complaints=tuple(similar),
        )


@dataclass(frozen=True, slots=True)
class AcceptedComplaint:
    id: UUID
    tracking_code: str
    follow_up_token: str
    reporter_pseudonym: str | None
    command: SubmitComplaint
    submitted_at: datetime
    photos: tuple[AttachedPhoto, ...] = ()

    @property
    def follow_up_token_hash(self) -> bytes:
        return hash_token(self.follow_up_token)

    @property
    def photo_verdict(self) -> Verdict | None:
        """The worst verdict among the photos: one suspicious photo makes the report suspicious."""
        if not self.photos:
            return None
        return max((photo.verdict for photo in self.photos), key=VERDICT_RANK.__getitem__)


def new_tracking_code() -> str:
    chars = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6))
    return f"SGP-{chars[:4]}-{chars[4:]}"


def new_pseudonym() -> str:
    return "Pelapor-" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def accept(
    command: SubmitComplaint,
    *,
    complaint_id: UUID,
    now: datetime,
    min_photos: int = 0,
    max_photos: int = 5,
) -> AcceptedComplaint:
    """Check the privacy and photo-count rules and give the complaint its identifiers."""
    reporter = command.reporter
    if len(set(command.photo_ids)) != len(command.photo_ids):
        raise IntakeError(
            field="photos",
            message=Text(
                id="Foto yang sama disebut lebih dari sekali.",
                en="The same photo is listed more than once.",
            ),
        )
    if not min_photos <= len(command.photo_ids) <= max_photos:
        raise IntakeError(
            field="photos",
            message=Text(
                id=f"Lampirkan {min_photos} sampai {max_photos} foto kejadian.",
                en=f"Attach {min_photos} to {max_photos} photos of the problem.",
            ),
        )
    if command.privacy == "anonim" and reporter is not None and not reporter.is_empty:
        raise IntakeError(
            field="reporter",
            message=Text(
                id="Laporan anonim tidak boleh menyertakan identitas pelapor; hapus data pelapor "
                    "atau pilih privasi 'rahasia'.",
                en="Anonymous reports carry no reporter identity; remove the reporter data or "
                    "choose privacy 'rahasia'.",
            ),
        )
    if command.location is None and not command.address:
        raise IntakeError(
            field="location",
            message=Text(
                id="Sertakan lokasi (lat/lon) atau alamat kejadian.",
                en="Give a location (lat/lon) or an address.",
            ),
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


def photo_verified_events(
    *,
    complaint_id: UUID,
    tracking_code: str,
    photos: Sequence[AttachedPhoto],
    verified_at: datetime,
    correlation_id: str | None = None,
) -> list[Envelope]:
    """One PhotoVerified per photo judged against the complaint: its verdict now, the one it
    had at upload and how far from the reported location it was taken (never where)."""
    return [
        Envelope(
            source=SOURCE,
            correlation_id=correlation_id,
            data=PhotoVerified(
                complaint_id=complaint_id,
                tracking_code=tracking_code,
                photo_id=photo.id,
                verdict=photo.verdict,
                upload_verdict=photo.upload_verdict or photo.verdict,
                reasons=tuple(dict.fromkeys(reason.code for reason in photo.reasons)),
                location_compared=photo.location_distance_m is not None,
                distance_m=photo.location_distance_m,
                verified_at=verified_at,
            ),
        )
        for photo in photos
    ]


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
            photos=tuple(photo.evidence() for photo in complaint.photos),
            photo_verdict=complaint.photo_verdict,
            publicly_visible=command.is_listed_publicly,
        ),
    )


@dataclass(frozen=True, slots=True)
class ComplaintReceipt:
    """What the reporter gets back; stored (sealed) so a retried request gets it again."""

    id: UUID
    tracking_code: str
    follow_up_token: str
    photo_verdict: Verdict | None = None
    photos: tuple[AttachedPhoto, ...] = ()

    @classmethod
    def of(cls, complaint: AcceptedComplaint) -> "ComplaintReceipt":
        return cls(
            id=complaint.id,
            tracking_code=complaint.tracking_code,
            follow_up_token=complaint.follow_up_token,
            photo_verdict=complaint.photo_verdict,
            photos=complaint.photos,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "id": str(self.id),
            "tracking_code": self.tracking_code,
            "follow_up_token": self.follow_up_token,
            "photo_verdict": self.photo_verdict,
            "photos": [
                {"id": str(p.id), "verdict": p.verdict, "reasons": [r.to_json() for r in p.reasons]}
                for p in self.photos
            ],
        }

    @classmethod
    def from_json(cls, stored: dict) -> "ComplaintReceipt":
        return cls(
            id=UUID(stored["id"]),
            tracking_code=stored["tracking_code"],
            follow_up_token=stored["follow_up_token"],
            photo_verdict=stored["photo_verdict"],
            photos=tuple(
                AttachedPhoto(
                    id=UUID(p["id"]),
                    verdict=p["verdict"],
                    reasons=tuple(Reason.from_json(r) for r in p["reasons"]),
                )
                for p in stored["photos"]
            ),
        )


@dataclass(frozen=True, slots=True)
class RetryKey:
    """An `Idempotency-Key` and a fingerprint of the request it came with."""

    scope: str  # "complaints" | "photos"
    key: str
    request_hash: bytes

    @property
    def bound_to(self) -> bytes:
        return f"{self.scope}\x00{self.key}".encode()


class RetryKeyReused(DomainError):
    """The key was first used for a different request; its result cannot answer this one."""

    def __init__(self) -> None:
        super().__init__(
            "idempotency-key-reused",
            Text(
                "Kunci Idempotency-Key ini sudah dipakai untuk permintaan lain dengan isi berbeda. "
                "Gunakan kunci baru untuk setiap permintaan baru; pakai ulang kunci hanya untuk mengulang "
                "permintaan yang sama persis.",
                "This Idempotency-Key was already used for a different request. Use a new key for each "
                "new request; reuse a key only to retry the very same request.",
            ),
        )


# -- what status asks of intake (services/status/INTAKE_CONTRACT.md) ----------------------

# The only role that may see who a reporter is.
IDENTITY_REVEALING_ROLE = "city_admin"


class UnknownComplaint(Exception):
    """The complaint id is not one of intake's."""


class UnknownPhotos(Exception):
    """Photo ids that were never uploaded."""

    def __init__(self, photo_ids: list[UUID]) -> None:
        super().__init__(", ".join(map(str, photo_ids)))
        self.photo_ids = photo_ids


class PhotosInUse(Exception):
    """Photos already a citizen's evidence or another complaint's after-photos."""

    def __init__(self, photo_ids: list[UUID]) -> None:
        super().__init__(", ".join(map(str, photo_ids)))
        self.photo_ids = photo_ids


class IdentityRevealRefused(Exception):
    """The actor's role may not see identities; the refusal is in the access log as `audit_id`."""

    def __init__(self, audit_id: UUID) -> None:
        super().__init__(str(audit_id))
        self.audit_id = audit_id


def may_reveal_identity(actor_role: str) -> bool:
    return actor_role == IDENTITY_REVEALING_ROLE


def photos_in_use(
    uses: dict[UUID, tuple[UUID | None, UUID | None]], *, complaint_id: UUID
) -> list[UUID]:
    """Which photos cannot become after-photos of `complaint_id`. `uses` maps each photo to
    (the complaint it is evidence of, the complaint it is an after-photo of)."""
    return [
        photo_id
        for photo_id, (evidence_of, after_photo_of) in uses.items()
        if evidence_of is not None or after_photo_of not in (None, complaint_id)
    ]


@dataclass(frozen=True, slots=True)
class RevealedIdentity:
    """Returned to the city admin only; never logged or put in an event."""

    complaint_id: UUID
    privacy: Privacy
    name: str | None
    phone: str | None
    email: str | None
    audit_id: UUID

    def __repr__(self) -> str:  # keeps the identity out of tracebacks
        return f"RevealedIdentity(complaint_id={self.complaint_id}, privacy={self.privacy}, audit_id={self.audit_id})"


# -- photos shown to the public -----------------------------------------------------------


class PhotoNotPublic(DomainError):
    """Unknown, or not for public eyes: both answer the same, so ids cannot be probed."""

    def __init__(self) -> None:
        super().__init__(
            "photo-not-found",
            Text(
                "Foto ini tidak ada atau tidak ditampilkan untuk umum.",
                "This photo does not exist or is not shown publicly.",
            ),
        )


def photo_is_public(
    *,
    photo_id: UUID,
    evidence_listed_publicly: bool,
    after_photo_status: str | None,
    announced_after_photos: Sequence[UUID],
) -> bool:
    """A citizen's evidence is public when its complaint is publicly listed; an officer's
    after-photo once its complaint is finished (`selesai`), and, when status announced which
    after-photos it accepted, only those."""
    if evidence_listed_publicly:
        return True
    if after_photo_status == "selesai":
        return not announced_after_photos or photo_id in announced_after_photos
    return False
