"""The event contract between Sigap's services: every topic name, every event type and its
payload, and how an event travels on Kafka as a CloudEvents 1.0 message (binary content mode
of the Kafka protocol binding: `ce_*` headers, JSON data as the value, complaint id as key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar, Literal, get_args
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sigap_shared.storable import refuse_unstorable
from sigap_shared.tracing import current_traceparent, parse_traceparent

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

# Topics. One topic per kind of fact; every message is keyed by complaint id.
TOPIC_COMPLAINT_SUBMITTED = "sigap.complaint.submitted"
TOPIC_COMPLAINT_ROUTED = "sigap.complaint.routed"
TOPIC_COMPLAINT_STATUS = "sigap.complaint.status"
TOPIC_DEAD_LETTER = "sigap.deadletter"


ComplaintKind = Literal["pengaduan", "aspirasi", "permintaan_informasi"]
Privacy = Literal["publik", "rahasia", "anonim"]
ComplaintStatus = Literal["diterima", "terverifikasi", "dalam_proses", "selesai", "ditolak", "dibuka_kembali"]
TRIAGE_DESK = "TRIAGE"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*")
    @classmethod
    def _storable_text(cls, value: object) -> object:
        # Every consumer stores event text in PostgreSQL: an event carrying NUL or a lone
        # surrogate would be dead-lettered by each of them, so it can be neither built nor read.
        return refuse_unstorable(value)


class GeoPoint(_Frozen):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ReporterRef(_Frozen):
    """How to reach a reporter without naming them: a pseudonym and the channels they chose.
    Identities (name, phone, email) never travel in events."""

    pseudonym: str
    channels: tuple[str, ...] = ()


class EventPayload(_Frozen):
    """Base for every event's data. Subclasses declare their CloudEvents type and topic."""

    event_type: ClassVar[str]
    topic: ClassVar[str]

    complaint_id: UUID


EVENT_TYPES: dict[str, type[EventPayload]] = {}


def register_event(model: type[EventPayload]) -> type[EventPayload]:
    """Class decorator: registers an event model so consumers can decode it."""
    if model.event_type in EVENT_TYPES:
        raise ValueError(f"event type {model.event_type} registered twice")
    EVENT_TYPES[model.event_type] = model
    return model


def all_topics() -> tuple[str, ...]:
    """Every topic Sigap's services publish to, created at start-up."""
    return tuple(sorted({model.topic for model in EVENT_TYPES.values()} | {TOPIC_DEAD_LETTER}))


PhotoVerdict = Literal["verified_live", "suspicious", "rejected"]


class PhotoEvidence(_Frozen):
    """(Owned by intake.) A photo attached to a complaint and its live-photo verdict: reason
    codes and the complaints an earlier look-alike photo belongs to; never EXIF or GPS."""

    photo_id: UUID
    verdict: PhotoVerdict
    reasons: tuple[str, ...] = ()
    similar_to_complaints: tuple[UUID, ...] = ()


@register_event
class ComplaintSubmitted(EventPayload):
    event_type: ClassVar[str] = "sigap.complaint.submitted.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_SUBMITTED

    tracking_code: str
    kind: ComplaintKind
    title: str | None = None
    description: str
    category: str | None = None
    location: GeoPoint | None = None
    address: str | None = None
    privacy: Privacy
    reporter: ReporterRef | None = None
    submitted_at: datetime
    photos: tuple[PhotoEvidence, ...] = ()
    photo_verdict: PhotoVerdict | None = None
    # False when the report must stay out of public listings (always so unless privacy is publik).
    publicly_visible: bool = True


@register_event
class ComplaintRouted(EventPayload):
    event_type: ClassVar[str] = "sigap.complaint.routed.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_ROUTED

    tracking_code: str
    department: str
    category: str | None = None
    confidence: float = Field(ge=0, le=1)
    needs_triage: bool
    reasons: tuple[str, ...] = ()
    reporter: ReporterRef | None = None
    routed_at: datetime
    # Added by the routing issue; optional so older events still decode.
    suggested_department: str | None = None  # routing's best guess, also when sent to triage
    inside_city: bool | None = None  # None: the complaint had no location
    kecamatan_code: str | None = None  # Kemendagri, e.g. "32.76.06"
    kecamatan_name: str | None = None
    kelurahan_code: str | None = None  # Kemendagri, e.g. "32.76.06.1001"
    kelurahan_name: str | None = None
    classifier_version: str | None = None
    taxonomy_version: int | None = None


# The `reason` of the status change by which SP4N-LAPOR!'s rules close a finished complaint
# nobody reacted to (`selesai` → `selesai`, docs/lapor.md): status sends it, notify tells the
# reporter with its own message, intake stops the reporter's reopens from then on.
AUTO_CLOSE_REASON = "ditutup_otomatis"
# The codes a rejection (`ditolak`) gives as its `reason`: status requires one; a code names no
# one, so a reporter's erasure keeps it where it blanks free texts.
RejectionReason = Literal["hoax", "spam", "duplicate", "out_of_scope"]
REJECTION_REASONS: tuple[str, ...] = get_args(RejectionReason)


@register_event
class ComplaintStatusChanged(EventPayload):
    event_type: ClassVar[str] = "sigap.complaint.status_changed.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_STATUS

    tracking_code: str
    department: str
    previous_status: ComplaintStatus | None = None
    status: ComplaintStatus
    reason: str | None = None
    actor: str
    reporter: ReporterRef | None = None
    changed_at: datetime
    actor_role: str | None = None
    note: str | None = None
    duplicate_of: UUID | None = None
    resolution_note: str | None = None
    after_photo_ids: tuple[UUID, ...] = ()


# -- intake's events (owned by services/intake) -------------------------------------------

TOPIC_COMPLAINT_FOLLOWUP = "sigap.complaint.followup"


@register_event
class ComplaintInformationAdded(EventPayload):
    """The reporter added information (and maybe photos) to an open complaint."""

    event_type: ClassVar[str] = "sigap.complaint.information_added.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_FOLLOWUP

    tracking_code: str
    text: str
    photos: tuple[PhotoEvidence, ...] = ()
    added_at: datetime


@register_event
class ComplaintRated(EventPayload):
    """The reporter rated the handling of a finished complaint (1 = poor, 5 = excellent)."""

    event_type: ClassVar[str] = "sigap.complaint.rated.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_FOLLOWUP

    tracking_code: str
    rating: int = Field(ge=1, le=5)
    comment: str | None = None
    rated_at: datetime


@register_event
class ComplaintReopenRequested(EventPayload):
    """The reporter asked to reopen a finished complaint, within the allowed days, with a reason."""

    event_type: ClassVar[str] = "sigap.complaint.reopen_requested.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_FOLLOWUP

    tracking_code: str
    reason: str
    requested_at: datetime


TOPIC_COMPLAINT_PHOTO = "sigap.complaint.photo"


@register_event
class PhotoVerified(EventPayload):
    """(Owned by intake.) A complaint's photo was judged again once the complaint's location
    was known: its verdict as now stored, the verdict it had at upload, the reason codes, and
    how far its GPS position lies from the reported location. Never the position itself."""

    event_type: ClassVar[str] = "sigap.complaint.photo_verified.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_PHOTO

    tracking_code: str
    photo_id: UUID
    verdict: PhotoVerdict
    upload_verdict: PhotoVerdict
    reasons: tuple[str, ...] = ()
    # False when the photo or the complaint has no position: nothing could be compared.
    location_compared: bool
    distance_m: int | None = Field(default=None, ge=0)
    verified_at: datetime


# -- routing's events (owned by services/routing) -----------------------------------------
# Delegation after the first routing travels on the routing topic, keyed by complaint id, so a
# consumer sees ComplaintRouted and every later hand-over of one complaint in order.

TransferKind = Literal["bukan_wewenang", "triase", "koreksi"]


@register_event
class ComplaintTransferred(EventPayload):
    """The lead department changed: a department handed the complaint on (`bukan_wewenang`),
    the city admin routed it from the triage desk (`triase`) or corrected a routing (`koreksi`).
    Supporting departments stay, except the new lead (who is no longer only supporting)."""

    event_type: ClassVar[str] = "sigap.complaint.transferred.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_ROUTED

    tracking_code: str
    from_department: str
    to_department: str
    kind: TransferKind
    reason: str
    category: str | None = None
    actor: str  # staff username
    actor_role: str
    supporting_departments: tuple[str, ...] = ()  # after the transfer
    reporter: ReporterRef | None = None
    transferred_at: datetime


@register_event
class ComplaintSupportAdded(EventPayload):
    """Joint handling: `department` now supports the lead department on this complaint and
    sees it in its queue."""

    event_type: ClassVar[str] = "sigap.complaint.support_added.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_ROUTED

    tracking_code: str
    lead_department: str
    department: str
    reason: str
    actor: str
    actor_role: str
    supporting_departments: tuple[str, ...]  # after the change
    added_at: datetime


@register_event
class ComplaintSupportRemoved(EventPayload):
    """`department` no longer supports the lead department on this complaint."""

    event_type: ClassVar[str] = "sigap.complaint.support_removed.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_ROUTED

    tracking_code: str
    lead_department: str
    department: str
    reason: str
    actor: str
    actor_role: str
    supporting_departments: tuple[str, ...]  # after the change
    removed_at: datetime


# -- status's events (owned by services/status) -------------------------------------------

TOPIC_COMPLAINT_SLA = "sigap.complaint.sla"


@register_event
class ComplaintSlaBreached(EventPayload):
    """A working-day deadline passed: `verify` (verification) or `finish` (follow-up).
    Emitted once per breach; `escalate_to` names the roles to alert."""

    event_type: ClassVar[str] = "sigap.complaint.sla_breached.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_SLA

    tracking_code: str
    department: str
    status: ComplaintStatus
    stage: Literal["verify", "finish"]
    due_at: datetime
    breached_at: datetime
    escalate_to: tuple[str, ...] = ("dept_admin", "city_admin")


@register_event
class ComplaintAssigned(EventPayload):
    """The lead department assigned a field officer (or reassigned, or with `officer` None
    took the assignment back). Officers are staff usernames; their contacts stay in notify."""

    event_type: ClassVar[str] = "sigap.complaint.assigned.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_STATUS

    tracking_code: str
    department: str
    officer: str | None
    previous_officer: str | None = None
    actor: str
    actor_role: str
    assigned_at: datetime


@register_event
class ComplaintReporterMessagePosted(EventPayload):
    """The department wrote to the reporter (a reply shown in the public timeline). Internal
    notes between staff never become events."""

    event_type: ClassVar[str] = "sigap.complaint.reporter_message_posted.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_STATUS

    message_id: UUID  # the timeline entry's id
    tracking_code: str
    department: str
    body: str
    actor: str
    actor_role: str
    reporter: ReporterRef | None = None
    posted_at: datetime


@register_event
class ComplaintEscalated(EventPayload):
    """A breached deadline went one step up its department's escalation ladder (e.g. the head
    of department at the breach, the regional secretary's office some working days later).
    Emitted once per step of each breach; `step_number` counts from 1. Names no person: the
    step's contacts are kept by notify."""

    event_type: ClassVar[str] = "sigap.complaint.escalated.v1"
    topic: ClassVar[str] = TOPIC_COMPLAINT_SLA

    tracking_code: str
    department: str
    category: str | None = None
    status: ComplaintStatus
    stage: Literal["verify", "finish"]
    step: str
    step_number: int = Field(ge=1)
    due_at: datetime
    breached_at: datetime
    escalated_at: datetime
    working_days_overdue: int = Field(ge=0)


class EventDecodeError(ValueError):
    """A Kafka message that is not a valid Sigap CloudEvent: it goes to the dead-letter topic."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """A CloudEvent carrying one validated payload."""

    data: EventPayload
    source: str
    id: UUID = field(default_factory=uuid.uuid4)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str | None = None
    # W3C trace context of the span the event was made in (CloudEvents distributed-tracing
    # extension): the trace continues in whatever handles it. None when nothing is traced.
    traceparent: str | None = field(default_factory=current_traceparent)

    @property
    def type(self) -> str:
        return self.data.event_type

    @property
    def topic(self) -> str:
        return self.data.topic

    @property
    def subject(self) -> str:
        return str(self.data.complaint_id)


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    """What goes on the wire: topic, key, value and headers, ready for a producer."""

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


def _binary_headers(
    *,
    event_id: UUID,
    source: str,
    event_type: str,
    time: datetime,
    subject: str | None,
    correlation_id: str | None,
    traceparent: str | None,
) -> tuple[tuple[str, bytes], ...]:
    """CloudEvents attributes as Kafka headers (binary content mode)."""
    attributes = [
        ("ce_specversion", SPEC_VERSION),
        ("ce_id", str(event_id)),
        ("ce_source", source),
        ("ce_type", event_type),
        ("ce_time", time.isoformat()),
        ("ce_subject", subject),
        ("content-type", CONTENT_TYPE),
        ("ce_correlationid", correlation_id),
        ("ce_traceparent", traceparent),
    ]
    return tuple((name, value.encode()) for name, value in attributes if value)


def encode(envelope: Envelope) -> KafkaRecord:
    return KafkaRecord(
        topic=envelope.topic,
        key=envelope.subject.encode(),
        value=envelope.data.__pydantic_serializer__.to_json(envelope.data),
        headers=_binary_headers(
            event_id=envelope.id,
            source=envelope.source,
            event_type=envelope.type,
            time=envelope.time,
            subject=envelope.subject,
            correlation_id=envelope.correlation_id,
            traceparent=envelope.traceparent,
        ),
    )


def encode_to_topic(envelope: Envelope, topic: str) -> KafkaRecord:
    """`encode`, but for another topic than the payload's own (e.g. a department's topic):
    same CloudEvents binary format, same key."""
    record = encode(envelope)
    return KafkaRecord(topic=topic, key=record.key, value=record.value, headers=record.headers)


_REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type")


def decode(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes | None) -> Envelope:
    """Parse a binary-mode CloudEvent. Raises `EventDecodeError` with a readable reason."""
    try:
        # A header may carry no value at all (null): it then says nothing.
        attrs = {name: raw.decode() for name, raw in headers or () if raw is not None}
    except UnicodeDecodeError as exc:
        raise EventDecodeError(f"header is not UTF-8: {exc}") from exc
    missing = [name for name in _REQUIRED if name not in attrs]
    if missing:
        raise EventDecodeError(f"missing CloudEvents attributes: {', '.join(missing)}")
    if attrs["ce_specversion"] != SPEC_VERSION:
        raise EventDecodeError(f"unsupported specversion {attrs['ce_specversion']!r}")
    content_type = attrs.get("content-type", CONTENT_TYPE)
    if not content_type.startswith(CONTENT_TYPE):
        raise EventDecodeError(f"unsupported content-type {content_type!r}")
    model = EVENT_TYPES.get(attrs["ce_type"])
    if model is None:
        raise EventDecodeError(f"unknown event type {attrs['ce_type']!r}")
    if value is None:
        raise EventDecodeError("message has no value")
    try:
        event_id = UUID(attrs["ce_id"])
        time = datetime.fromisoformat(attrs["ce_time"]) if "ce_time" in attrs else datetime.now(UTC)
        data = model.model_validate_json(value)
    except ValidationError as exc:
        raise EventDecodeError(f"invalid {model.event_type} payload: {exc}") from exc
    except ValueError as exc:
        raise EventDecodeError(f"invalid CloudEvents attribute: {exc}") from exc
    if "ce_subject" in attrs and attrs["ce_subject"] != str(data.complaint_id):
        raise EventDecodeError("ce_subject does not match the payload's complaint_id")
    return Envelope(
        data=data,
        source=attrs["ce_source"],
        id=event_id,
        time=time,
        correlation_id=attrs.get("ce_correlationid"),
        # A malformed one is dropped: tracing is never a reason to refuse an event.
        traceparent=attrs["ce_traceparent"].strip() if parse_traceparent(attrs.get("ce_traceparent")) else None,
    )


def headers_to_json(headers: tuple[tuple[str, bytes], ...]) -> bytes:
    """Headers as stored in an outbox row (JSON list of [name, text] pairs)."""
    return orjson.dumps([[name, raw.decode()] for name, raw in headers])


def headers_from_json(stored: str | bytes) -> list[tuple[str, bytes]]:
    return [(name, text.encode()) for name, text in orjson.loads(stored)]


DeadLetterPart = Literal["error", "key", "headers", "value"]


class DeadLetter(BaseModel):
    """Data of a `sigap.deadletter.v1` event: a message a consumer could not handle, with why.

    Carries the original as it was, unstorable text included: that may be why it is here.
    Its size is bounded whatever the original's: topic, partition and offset point at the
    original on the broker, the value's size and SHA-256 identify it, and the key, the headers
    and a prefix of the value travel as text, cut to fit. `truncated` names what was cut short
    or left out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str] = "sigap.deadletter.v1"

    consumer: str
    error: str
    original_topic: str
    original_partition: int
    original_offset: int
    original_key: str | None = None
    original_headers: dict[str, str] = Field(default_factory=dict)
    # UTF-8 text when it was text, else base64: the whole value, or its first bytes when
    # "value" is in `truncated`.
    original_value: str | None = None
    original_value_encoding: Literal["utf-8", "base64", "none"] = "none"
    # Added with bounded dead letters; absent (None) in older ones and for unreadable records.
    original_value_size: int | None = None  # bytes
    original_value_sha256: str | None = None  # hex
    truncated: tuple[DeadLetterPart, ...] = ()


def encode_dead_letter(dead_letter: DeadLetter, *, source: str, subject: str | None) -> KafkaRecord:
    return KafkaRecord(
        topic=TOPIC_DEAD_LETTER,
        key=(subject or "").encode(),
        value=dead_letter.__pydantic_serializer__.to_json(dead_letter),
        headers=_binary_headers(
            event_id=uuid.uuid4(),
            source=source,
            event_type=DeadLetter.event_type,
            time=datetime.now(UTC),
            subject=subject,
            correlation_id=None,
            traceparent=current_traceparent(),
        ),
    )
