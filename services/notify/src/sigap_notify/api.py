"""Notify's HTTP API: the delivery log, templates, department contacts and webhooks, reporter
subscriptions, and the staff dashboard's live stream (Server-Sent Events)."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import orjson
import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from sigap_notify import domain, handlers, repository
from sigap_notify.channels import EVERY_DEPARTMENT
from sigap_notify.egress import RefusedAddress, UnresolvableHost
from sigap_notify.intake_client import FollowUpRateLimited, FollowUpRejected, IntakeUnavailable
from sigap_shared.auth import (
    AuthError,
    CurrentStaff,
    StaffDirectoryUnavailable,
    StaffPrincipal,
    may_see_complaint,
)
from sigap_shared.problems import Problem, Text, invalid_input
from sigap_shared.runtime import Conn
from sigap_shared.storable import BIGINT_MAX

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1", tags=["notifications"])

DepartmentCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,31}$")]
TemplateKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]{2,63}$")]
# Staff usernames as the status service issues them.
StaffUsername = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- Delivery log --------------------------------------------------------------------------


class NotificationOut(BaseModel):
    id: int
    event_id: UUID
    event_type: str
    recipient: str = Field(description="Who, never an address: a department, a reporter pseudonym or a webhook id.")
    channel: str
    template: str
    status: Literal["pending", "sending", "sent", "failed", "undeliverable"]
    attempts: int
    address: str | None = Field(None, description="Where it went, masked (e.g. s***@e***.com).")
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None


class NotificationLog(BaseModel):
    complaint_id: UUID
    notifications: list[NotificationOut]


@router.get(
    "/complaints/{complaint_id}/notifications",
    response_model=NotificationLog,
    summary="Every notification of a complaint: channel, recipient, status, attempts (staff of its departments, "
    "city-wide roles)",
)
async def list_notifications(complaint_id: UUID, conn: Conn, staff: CurrentStaff) -> NotificationLog:
    departments = await repository.complaint_audience(conn=conn, complaint_id=complaint_id)
    if not may_see_complaint(staff, departments=departments):
        raise Problem(
            status=404,
            slug="complaint-not-found",
            title=Text("Pengaduan tidak ditemukan", "Complaint not found"),
            detail=Text(
                f"Tidak ada pengaduan {complaint_id} yang ditangani dinas Anda.",
                f"No complaint {complaint_id} handled by your department.",
            ),
        )
    rows = await repository.list_for_complaint(conn=conn, complaint_id=complaint_id)
    return NotificationLog(
        complaint_id=complaint_id,
        notifications=[
            NotificationOut(
                id=row["id"],
                event_id=row["event_id"],
                event_type=row["event_type"],
                recipient=_mask_recipient(row["recipient"]),
                channel=row["channel"],
                template=row["template"],
                status=row["status"],
                attempts=row["attempts"],
                address=row["address_masked"],
                last_error=row["last_error"],
                created_at=row["created_at"],
                next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
                sent_at=row["sent_at"],
            )
            for row in rows
        ],
    )


def _mask_recipient(recipient: str) -> str:
    # Recipients name departments, pseudonyms and webhook ids; should an address ever slip in,
    # it is masked here rather than shown.
    prefix, _, last = recipient.rpartition(":")
    if "@" in last or _PHONE.fullmatch(last):
        return f"{prefix}:{domain.mask_address(last)}" if prefix else domain.mask_address(last)
    return recipient


_PHONE = re.compile(r"\+?\d[\d\s-]{6,}")


# -- Access rules --------------------------------------------------------------------------


def _forbidden(en: str, id_: str) -> Problem:
    return Problem(status=403, slug="forbidden", title=Text("Akses ditolak", "Forbidden"), detail=Text(id_, en))


def _require_city_admin(staff: StaffPrincipal) -> None:
    if staff.role != "city_admin":
        raise _forbidden(
            "Only a city administrator may change this.", "Hanya administrator kota yang dapat mengubah ini."
        )


def _require_department(staff: StaffPrincipal, department: str, *, write: bool) -> None:
    if staff.role == "city_admin" or (staff.role == "auditor" and not write):
        return
    if staff.department == department and staff.role == "dept_admin":
        return
    if staff.department == department and not write:
        return
    raise _forbidden(
        f"Your account may not manage department {department}.",
        f"Akun Anda tidak berwenang mengelola dinas {department}.",
    )


# -- Templates -----------------------------------------------------------------------------


class TemplateIn(_Body):
    subject: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=10000)]


class TemplateOut(BaseModel):
    key: str
    language: Literal["id", "en"]
    subject: str
    body: str
    updated_at: datetime
    updated_by: str


@router.get("/templates", response_model=list[TemplateOut], summary="Message templates (staff)")
async def list_templates(conn: Conn, staff: CurrentStaff) -> list[TemplateOut]:
    return [TemplateOut(**dict(row)) for row in await repository.list_templates(conn=conn)]


@router.put(
    "/templates/{key}/{language}",
    response_model=TemplateOut,
    summary="Change a message template without a deploy (city admin). Placeholders: $tracking_code, ${department}",
)
async def put_template(
    key: TemplateKey, language: Literal["id", "en"], body: TemplateIn, conn: Conn, staff: CurrentStaff
) -> TemplateOut:
    _require_city_admin(staff)
    problems = domain.template_problems(body.subject) + domain.template_problems(body.body)
    if problems:
        raise Problem(
            status=422,
            slug="invalid-template",
            title=Text("Templat tidak valid", "Invalid template"),
            detail=Text(
                "Tanda $ harus diikuti nama (mis. $tracking_code atau ${department}); tulis $$ untuk tanda $ biasa.",
                "A $ must be followed by a name (e.g. $tracking_code or ${department}); write $$ for a literal $.",
            ),
            errors=problems,
        )
    row = await repository.upsert_template(
        conn=conn, key=key, language=language, subject=body.subject, body=body.body, updated_by=staff.username
    )
    log.info("template_updated", key=key, language=language, by=staff.username)
    return TemplateOut(**dict(row))


# -- Department contacts -------------------------------------------------------------------


class DepartmentContactsIn(_Body):
    emails: list[EmailStr] = Field(max_length=50)


class DepartmentContactsOut(BaseModel):
    department: str
    emails: list[str]


@router.put(
    "/departments/{department}/contacts",
    response_model=DepartmentContactsOut,
    summary="Where a department's admins receive email",
)
async def put_department_contacts(
    department: DepartmentCode, body: DepartmentContactsIn, conn: Conn, staff: CurrentStaff
) -> DepartmentContactsOut:
    _require_department(staff, department, write=True)
    emails = sorted({str(email) for email in body.emails})
    await repository.set_department_emails(conn=conn, department=department, emails=emails)
    return DepartmentContactsOut(department=department, emails=emails)


@router.get("/departments/{department}/contacts", response_model=DepartmentContactsOut)
async def get_department_contacts(department: DepartmentCode, conn: Conn, staff: CurrentStaff) -> DepartmentContactsOut:
    _require_department(staff, department, write=False)
    return DepartmentContactsOut(
        department=department, emails=await repository.department_emails(conn=conn, department=department)
    )


# -- Field officers' contacts --------------------------------------------------------------


class OfficerContactsIn(_Body):
    emails: list[EmailStr] = Field(min_length=1, max_length=5)


class OfficerContactsOut(BaseModel):
    department: str
    username: str
    recipient: str = Field(description="How deliveries to this officer are logged: officer:<CODE>:<username>.")
    emails: list[str]
    updated_at: datetime
    updated_by: str


def _officer_contacts_out(department: str, row) -> OfficerContactsOut:
    return OfficerContactsOut(
        department=department,
        username=row["username"],
        recipient=domain.officer_recipient(department, row["username"]),
        emails=list(row["emails"]),
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


@router.put(
    "/departments/{department}/officers/{username}/contacts",
    response_model=OfficerContactsOut,
    summary="Where a field officer receives email about assignments (the department's admin or a city admin)",
)
async def put_officer_contacts(
    department: DepartmentCode, username: StaffUsername, body: OfficerContactsIn, conn: Conn, staff: CurrentStaff
) -> OfficerContactsOut:
    _require_department(staff, department, write=True)
    emails = sorted({str(email) for email in body.emails})
    row = await repository.set_officer_emails(
        conn=conn, department=department, username=username, emails=emails, updated_by=staff.username
    )
    log.info("officer_contacts_updated", department=department, officer=username, by=staff.username)
    return _officer_contacts_out(department, row)


@router.get("/departments/{department}/officers/contacts", response_model=list[OfficerContactsOut])
async def list_officer_contacts(
    department: DepartmentCode, conn: Conn, staff: CurrentStaff
) -> list[OfficerContactsOut]:
    _require_department(staff, department, write=False)
    rows = await repository.list_officer_contacts(conn=conn, department=department)
    return [_officer_contacts_out(department, row) for row in rows]


@router.delete("/departments/{department}/officers/{username}/contacts", status_code=204)
async def delete_officer_contacts(
    department: DepartmentCode, username: StaffUsername, conn: Conn, staff: CurrentStaff
) -> None:
    _require_department(staff, department, write=True)
    if not await repository.delete_officer_contacts(conn=conn, department=department, username=username):
        raise Problem(
            status=404,
            slug="officer-contacts-not-found",
            title=Text("Kontak petugas tidak ditemukan", "Officer contacts not found"),
            detail=Text(
                f"Belum ada alamat untuk petugas {username} di dinas {department}.",
                f"No addresses are kept for officer {username} of department {department}.",
            ),
        )
    log.info("officer_contacts_deleted", department=department, officer=username, by=staff.username)


# -- Webhooks ------------------------------------------------------------------------------


class WebhookIn(_Body):
    url: Annotated[str, StringConstraints(min_length=8, max_length=2000)]
    secret: Annotated[str, StringConstraints(min_length=16, max_length=200)] | None = Field(
        None, description="Shared HMAC secret; generated (and shown once) when omitted."
    )


class WebhookOut(BaseModel):
    id: UUID
    department: str
    url: str
    active: bool
    created_at: datetime
    created_by: str
    secret: str | None = Field(None, description="Only in the answer to the registration.")


@router.post(
    "/departments/{department}/webhooks",
    response_model=WebhookOut,
    status_code=201,
    summary="Register a department system's webhook (signed CloudEvents, see WEBHOOKS.md)",
)
async def register_webhook(
    department: DepartmentCode, body: WebhookIn, request: Request, conn: Conn, staff: CurrentStaff
) -> WebhookOut:
    _require_department(staff, department, write=True)
    allow_http = request.app.state.settings.webhook_allow_http
    if not _acceptable_webhook_url(body.url, allow_http=allow_http):
        raise Problem(
            status=422,
            slug="invalid-webhook-url",
            title=Text("URL webhook tidak valid", "Invalid webhook URL"),
            detail=Text(
                "Gunakan URL https:// lengkap dengan nama host, mis. https://sistem.dinas.depok.go.id/sigap.",
                "Use a full https:// URL with a host name, e.g. https://system.department.example/sigap.",
            ),
        )
    await _check_target(request, body.url, field="url")
    secret = body.secret or secrets.token_urlsafe(32)
    webhook_id = uuid.uuid4()
    row = await repository.create_webhook(
        conn=conn,
        subscription_id=webhook_id,
        department=department,
        url=body.url,
        secret_sealed=request.app.state.notify.box.seal(secret, webhook_id=webhook_id),
        created_by=staff.username,
    )
    log.info("webhook_registered", department=department, webhook_id=str(row["id"]))
    return WebhookOut(**dict(row), secret=secret)


async def _check_target(request: Request, url: str, *, field: str) -> None:
    """A webhook URL or push endpoint must reach a public address (or an allowed network):
    notify must not be made to call its own neighbourhood."""
    try:
        await request.app.state.notify.egress.check_url(url)
    except RefusedAddress as refused:
        raise _target_problem(
            field,
            slug="delivery-target-refused",
            title=Text("Tujuan pengiriman ditolak", "Delivery target refused"),
            message=Text(f"alamat {refused.kind} tidak diizinkan", f"a {refused.kind} address is not allowed"),
            detail=Text(
                f"{refused.host} mengarah ke {refused.address}, alamat {refused.kind}. Sigap hanya mengirim ke alamat "
                "publik; jaringan lain harus diizinkan operator lewat SIGAP_WEBHOOK_ALLOWED_NETWORKS.",
                f"{refused}. Sigap only sends to public addresses; an operator may allow other networks "
                "with SIGAP_WEBHOOK_ALLOWED_NETWORKS.",
            ),
        ) from None
    except UnresolvableHost as unresolvable:
        raise _target_problem(
            field,
            slug="host-unresolvable",
            title=Text("Nama host tidak dikenal", "Host name does not resolve"),
            message=Text("nama host tidak dikenal", "the host name does not resolve"),
            detail=Text(
                f"Nama host {unresolvable} tidak dapat ditemukan di DNS saat ini. Periksa penulisannya.",
                f"The host name {unresolvable} cannot be found in DNS right now. Check its spelling.",
            ),
        ) from None


def _target_problem(field: str, *, slug: str, title: Text, message: Text, detail: Text) -> Problem:
    return Problem(
        status=422,
        slug=slug,
        title=title,
        detail=detail,
        errors=[{"field": field, "in": "body", "message": message, "code": slug}],
    )


def _acceptable_webhook_url(url: str, *, allow_http: bool) -> bool:
    schemes = ("https://", "http://") if allow_http else ("https://",)
    if not url.startswith(schemes) or any(ch.isspace() for ch in url):
        return False
    host = url.split("://", 1)[1].split("/", 1)[0]
    return bool(host) and "@" not in host


@router.get("/departments/{department}/webhooks", response_model=list[WebhookOut])
async def list_webhooks(department: DepartmentCode, conn: Conn, staff: CurrentStaff) -> list[WebhookOut]:
    _require_department(staff, department, write=False)
    return [WebhookOut(**dict(row)) for row in await repository.list_webhooks(conn=conn, department=department)]


@router.delete("/departments/{department}/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(department: DepartmentCode, webhook_id: UUID, conn: Conn, staff: CurrentStaff) -> None:
    _require_department(staff, department, write=True)
    row = await repository.get_webhook(conn=conn, subscription_id=webhook_id)
    if row is None or row["department"] != department:
        raise _webhook_not_found(webhook_id)
    await repository.deactivate_webhook(conn=conn, subscription_id=webhook_id)


def _webhook_not_found(webhook_id: UUID) -> Problem:
    return Problem(
        status=404,
        slug="webhook-not-found",
        title=Text("Webhook tidak ditemukan", "Webhook not found"),
        detail=Text(
            f"Tidak ada webhook {webhook_id} untuk dinas ini.", f"No webhook {webhook_id} for this department."
        ),
    )


class DeadLetterOut(BaseModel):
    notification_id: int
    webhook_id: UUID
    department: str
    event_id: UUID
    event_type: str
    complaint_id: UUID
    attempts: int
    last_error: str | None
    parked_at: datetime


@router.get(
    "/webhooks/dead-letters",
    response_model=list[DeadLetterOut],
    summary="Webhook deliveries that failed their last retry",
)
async def list_dead_letters(
    conn: Conn, staff: CurrentStaff, department: DepartmentCode | None = None
) -> list[DeadLetterOut]:
    if department is None:
        _require_city_admin(staff)
    else:
        _require_department(staff, department, write=False)
    rows = await repository.list_dead_letters(conn=conn, department=department)
    return [
        DeadLetterOut(
            **{k: v for k, v in dict(row).items() if k != "subscription_id"}, webhook_id=row["subscription_id"]
        )
        for row in rows
    ]


class ReplayIn(_Body):
    notification_ids: list[Annotated[int, Field(ge=1, le=BIGINT_MAX)]] | None = Field(
        None, max_length=10000, description="Omit to replay all (in scope)."
    )
    department: DepartmentCode | None = None


class ReplayOut(BaseModel):
    replayed: list[int]


@router.post(
    "/webhooks/dead-letters/replay",
    response_model=ReplayOut,
    summary="Queue parked webhook deliveries again, with a fresh set of retries",
)
async def replay_dead_letters(body: ReplayIn, request: Request, conn: Conn, staff: CurrentStaff) -> ReplayOut:
    if body.department is None:
        _require_city_admin(staff)
    else:
        _require_department(staff, body.department, write=True)
    async with conn.transaction():
        replayed = await repository.replay_dead_letters(
            conn=conn, notification_ids=body.notification_ids, department=body.department, replayed_by=staff.username
        )
    log.info("webhook_dead_letters_replayed", count=len(replayed), by=staff.username)
    return ReplayOut(replayed=replayed)


# -- Reporter subscriptions ----------------------------------------------------------------


class PushKeysIn(_Body):
    p256dh: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{80,100}={0,2}$")]
    auth: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,32}={0,2}$")]


class PushSubscriptionIn(BaseModel):
    """The browser's `PushSubscription.toJSON()`."""

    model_config = ConfigDict(extra="ignore")

    endpoint: Annotated[str, StringConstraints(pattern=r"^https://[^\s/@]+/\S*$", max_length=2000)]
    keys: PushKeysIn


class SubscriptionIn(_Body):
    tracking_code: Annotated[str, StringConstraints(min_length=4, max_length=40)]
    follow_up_token: Annotated[str, StringConstraints(min_length=8, max_length=200)]
    channel: Literal["email", "push"]
    address: EmailStr | None = Field(None, description="For channel email.")
    push_subscription: PushSubscriptionIn | None = Field(None, description="For channel push.")
    language: Literal["id", "en"] = "id"


class SubscriptionOut(BaseModel):
    id: UUID
    tracking_code: str
    channel: str
    address: str = Field(description="Masked.")


@router.post(
    "/subscriptions",
    response_model=SubscriptionOut,
    status_code=201,
    summary="A reporter subscribes a channel to a complaint with its tracking code and follow-up token",
)
async def subscribe(body: SubscriptionIn, request: Request, conn: Conn) -> SubscriptionOut:
    address = _subscription_address(body)
    if body.push_subscription is not None:
        await _check_target(request, body.push_subscription.endpoint, field="push_subscription.endpoint")
    intake = request.app.state.notify.intake
    try:
        verified = await intake.verify_follow_up(tracking_code=body.tracking_code, follow_up_token=body.follow_up_token)
    except FollowUpRejected:
        raise Problem(
            status=403,
            slug="follow-up-token-mismatch",
            title=Text("Kode pelacakan atau token tidak cocok", "Tracking code or token does not match"),
            detail=Text(
                "Periksa kembali kode pelacakan dan token tindak lanjut yang Anda terima saat melapor.",
                "Check the tracking code and the follow-up token you received when reporting.",
            ),
        ) from None
    except FollowUpRateLimited as exc:
        raise Problem(
            status=429,
            slug="too-many-requests",
            title=Text("Terlalu banyak percobaan", "Too many attempts"),
            detail=Text(
                "Kode pelacakan ini terlalu sering dicoba. Silakan tunggu sebentar.",
                "This tracking code was tried too often. Please wait a moment.",
            ),
            headers={"Retry-After": exc.retry_after},
        ) from None
    except IntakeUnavailable as exc:
        log.warning("subscription_verification_unavailable", error=str(exc))
        raise Problem(
            status=503,
            slug="temporarily-unavailable",
            title=Text("Layanan sedang tidak tersedia", "Service temporarily unavailable"),
            detail=Text("Silakan coba lagi sebentar lagi.", "Please try again shortly."),
            headers={"Retry-After": "5"},
        ) from None
    subscription_id = await handlers.subscribe_reporter(
        conn=conn,
        box=request.app.state.notify.box,
        tracking_code=verified.tracking_code,
        complaint_id=verified.complaint_id,
        channel=body.channel,
        address=address,
        language=body.language,
    )
    log.info("reporter_subscribed", channel=body.channel, complaint_id=str(verified.complaint_id))
    shown = body.push_subscription.endpoint if body.push_subscription else address
    return SubscriptionOut(
        id=subscription_id,
        tracking_code=verified.tracking_code,
        channel=body.channel,
        address=domain.mask_address(shown),
    )


def _subscription_address(body: SubscriptionIn) -> str:
    if body.channel == "email" and body.address is not None:
        return str(body.address)
    if body.channel == "push" and body.push_subscription is not None:
        return body.push_subscription.model_dump_json()
    field = "address" if body.channel == "email" else "push_subscription"
    raise invalid_input(
        field=field,
        location="body",
        message=Text("wajib diisi", "is required"),
        code="missing",
        detail=Text(
            f"Kolom {field} wajib diisi untuk kanal {body.channel}.", f"{field} is required for {body.channel}."
        ),
    )


@router.get("/push/public-key", summary="VAPID public key (applicationServerKey) for the citizen web page")
async def push_public_key(request: Request) -> dict[str, str]:
    push = request.app.state.notify.dispatcher.channel("push")
    key = getattr(push, "public_key", None)
    if key is None:
        raise Problem(
            status=404,
            slug="push-not-configured",
            title=Text("Notifikasi push belum diaktifkan", "Web push is not configured"),
            detail=Text(
                "Kota belum mengatur kunci VAPID; gunakan email untuk menerima kabar laporan.",
                "The city has not configured a VAPID key; use email to hear about your report.",
            ),
        )
    return {"public_key": key}


# -- Dashboard live stream -----------------------------------------------------------------


@router.get(
    "/stream",
    summary="Live dashboard notifications of a department, and for a field officer their own (Server-Sent Events)",
    response_class=StreamingResponse,
)
async def stream(
    request: Request,
    staff: CurrentStaff,
    department: Annotated[
        DepartmentCode | None,
        Query(description="Department code, e.g. DISHUB, or TRIAGE; omitted: every department (city admin, auditor)"),
    ] = None,
) -> StreamingResponse:
    if department is None:
        if staff.role not in ("city_admin", "auditor"):
            raise _forbidden(
                "Only the city admin and auditors may follow every department; name your department.",
                "Hanya admin kota dan auditor yang dapat mengikuti semua dinas; sebutkan dinas Anda.",
            )
    else:
        _require_department(staff, department, write=False)
    hub = request.app.state.notify.hub
    # A field officer's stream also carries what is addressed to that officer alone.
    keys = [department or EVERY_DEPARTMENT]
    if staff.role == "field_officer" and staff.department == department:
        keys.append(domain.officer_recipient(department, staff.username))
    queue = hub.subscribe(*keys)
    directory = request.app.state.staff_directory
    # An open stream is checked again as often as the staff directory forgets its answers, so
    # a deactivated account's stream ends within that bound too (STAFF_CONTRACT.md at status).
    recheck_s = max(1.0, min(15.0, request.app.state.settings.staff_check_ttl_s))

    async def events() -> AsyncIterator[bytes]:
        checked = time.monotonic()
        try:
            yield b": connected\n\nretry: 3000\n\n"
            while True:
                if time.monotonic() - checked >= recheck_s:
                    try:
                        await directory.check(staff)
                    except AuthError:
                        log.info("staff_stream_ended", reason="account_refused")
                        return
                    except StaffDirectoryUnavailable:
                        pass  # cannot tell now: asked again at the next check
                    checked = time.monotonic()
                try:
                    message = await asyncio.wait_for(queue.get(), recheck_s)
                except asyncio.TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                yield (
                    f"id: {message['notification_id']}\nevent: {message['template']}\n".encode()
                    + b"data: "
                    + orjson.dumps(message)
                    + b"\n\n"
                )
        finally:
            hub.unsubscribe(queue, *keys)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
