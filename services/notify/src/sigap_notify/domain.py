"""Who hears about which event, on which channel, with which template, and the pure rules of
delivering it: retry backoff, address masking, template rendering, webhook signatures and
what a department may see of an event. No I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sigap_shared.events import (
    CONTENT_TYPE,
    SPEC_VERSION,
    TRIAGE_DESK,
    ComplaintAssigned,
    ComplaintInformationAdded,
    ComplaintRated,
    ComplaintReopenRequested,
    ComplaintReporterMessagePosted,
    ComplaintRouted,
    ComplaintSlaBreached,
    ComplaintStatusChanged,
    ComplaintSupportAdded,
    ComplaintSupportRemoved,
    ComplaintTransferred,
    Envelope,
)

REPORTER_PREFIX = "reporter:"
ANONYMOUS_REPORTER_PREFIX = "reporter:anonim:"
WEBHOOK_PREFIX = "webhook:"
OFFICER_PREFIX = "officer:"
DEPARTMENT_TOPIC_PREFIX = "sigap.department."
CITY_DESK = "CITY"  # city-wide staff dashboards (city admins)


@dataclass(frozen=True, slots=True)
class PlannedNotification:
    recipient: str
    channel: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)


def plan(envelope: Envelope, *, department: str | None = None) -> list[PlannedNotification]:
    """`department`: the complaint's lead department as notify last learnt it, for events that
    do not name one."""
    data = envelope.data
    if isinstance(data, ComplaintInformationAdded):
        return _plan_information_added(data, department)
    if isinstance(data, ComplaintRouted):
        return _plan_routed(data)
    if isinstance(data, ComplaintStatusChanged):
        return _plan_status_changed(data)
    if isinstance(data, ComplaintSlaBreached):
        return _plan_sla_breached(data)
    if isinstance(data, ComplaintTransferred):
        return _plan_transferred(data)
    if isinstance(data, ComplaintAssigned):
        return _plan_assigned(data)
    if isinstance(data, ComplaintReporterMessagePosted):
        return _plan_reporter_message(data)
    if isinstance(data, ComplaintRated | ComplaintReopenRequested):
        return _plan_reporter_follow_up(data, department)
    if isinstance(data, ComplaintSupportAdded | ComplaintSupportRemoved):
        return _plan_support_changed(data)
    return []


@dataclass(frozen=True, slots=True)
class StaffMailboxes:
    """Which staff have an e-mail address on file: departments, and officers as
    (department, username)."""

    departments: frozenset[str] = frozenset()
    officers: frozenset[tuple[str, str]] = frozenset()


def _staff_mailbox(item: PlannedNotification) -> tuple[str, str | None] | None:
    """(department, officer username or None) when `item` is e-mail to staff: a department's
    (`department:<CODE>:…`) or a field officer's (`officer:<CODE>:<username>`); else None."""
    if item.channel != "email":
        return None
    kind, department, username = (item.recipient.split(":") + ["", ""])[:3]
    if kind == "department":
        return department, None
    if kind == "officer":
        return department, username
    return None


def staff_mailboxes(planned: Sequence[PlannedNotification]) -> StaffMailboxes:
    """The staff that planned e-mail goes to (reporters are not staff)."""
    mailboxes = [mailbox for mailbox in map(_staff_mailbox, planned) if mailbox is not None]
    return StaffMailboxes(
        departments=frozenset(department for department, username in mailboxes if username is None),
        officers=frozenset((department, username) for department, username in mailboxes if username is not None),
    )


def unreachable_staff_mail(planned: Sequence[PlannedNotification], *, on_file: StaffMailboxes) -> set[str]:
    """Recipients of planned staff e-mail without any address on file (`on_file`): such a
    delivery is recorded undeliverable at once instead of being claimed and then settled."""
    unreachable: set[str] = set()
    for item in planned:
        mailbox = _staff_mailbox(item)
        if mailbox is None:
            continue
        department, username = mailbox
        known = department in on_file.departments if username is None else mailbox in on_file.officers
        if not known:
            unreachable.add(item.recipient)
    return unreachable


def officer_recipient(department: str, username: str) -> str:
    """`officer:<DEPT>:<username>`: a field officer of a department (usernames hold no `:`)."""
    return f"{OFFICER_PREFIX}{department}:{username}"


def _plan_assigned(assigned: ComplaintAssigned) -> list[PlannedNotification]:
    """The officer who got the task (email and their live stream); the officer it was taken
    from, on a reassignment or when the assignment was taken back."""
    params = {
        "tracking_code": assigned.tracking_code,
        "department": assigned.department,
        "officer": assigned.officer,
        "previous_officer": assigned.previous_officer,
    }
    planned: list[PlannedNotification] = []
    if assigned.officer is not None:
        recipient = officer_recipient(assigned.department, assigned.officer)
        planned += [
            PlannedNotification(recipient, "dashboard", "staff.officer_assigned", params),
            PlannedNotification(recipient, "email", "staff.officer_assigned", params),
        ]
    if assigned.previous_officer is not None and assigned.previous_officer != assigned.officer:
        recipient = officer_recipient(assigned.department, assigned.previous_officer)
        planned += [
            PlannedNotification(recipient, "dashboard", "staff.officer_unassigned", params),
            PlannedNotification(recipient, "email", "staff.officer_unassigned", params),
        ]
    return planned


def _plan_reporter_message(message: ComplaintReporterMessagePosted) -> list[PlannedNotification]:
    """The reporter reads the department's message itself on every channel they chose: the
    department wrote it for them."""
    if message.reporter is None:
        return []
    params = _reporter_message_params(message)
    return [
        PlannedNotification(reporter_recipient(message), channel, "reporter.reply", params)
        for channel in message.reporter.channels
    ]


def _reporter_message_params(message: ComplaintReporterMessagePosted) -> dict[str, Any]:
    return {"tracking_code": message.tracking_code, "department": message.department, "message": message.body}


def _plan_reporter_follow_up(
    follow_up: ComplaintRated | ComplaintReopenRequested, department: str | None
) -> list[PlannedNotification]:
    """The lead department's admins hear that the reporter rated the handling (with the score)
    or asked to reopen; the reporter's own words stay in the dashboard, as with added
    information."""
    if department is None:
        return []
    params: dict[str, Any] = {"tracking_code": follow_up.tracking_code, "department": department}
    if isinstance(follow_up, ComplaintRated):
        template = "staff.complaint_rated"
        params["rating"] = follow_up.rating
    else:
        template = "staff.reopen_requested"
    recipient = f"department:{department}:admins"
    return [
        PlannedNotification(recipient, "dashboard", template, params),
        PlannedNotification(recipient, "email", template, params),
    ]


def _plan_support_changed(change: ComplaintSupportAdded | ComplaintSupportRemoved) -> list[PlannedNotification]:
    """The supporting department's admins: asked to help the lead department, or released."""
    template = "staff.support_added" if isinstance(change, ComplaintSupportAdded) else "staff.support_removed"
    params = {
        "tracking_code": change.tracking_code,
        "department": change.department,
        "lead_department": change.lead_department,
        "reason": change.reason,
    }
    recipient = f"department:{change.department}:admins"
    return [
        PlannedNotification(recipient, "dashboard", template, params),
        PlannedNotification(recipient, "email", template, params),
    ]


def _plan_information_added(added: ComplaintInformationAdded, department: str | None) -> list[PlannedNotification]:
    """The lead department's admins hear that the reporter replied (not what: that stays in
    the dashboard)."""
    if department is None:
        return []
    params = {"tracking_code": added.tracking_code, "department": department, "photos": len(added.photos)}
    recipient = f"department:{department}:admins"
    return [
        PlannedNotification(recipient, "dashboard", "staff.reporter_replied", params),
        PlannedNotification(recipient, "email", "staff.reporter_replied", params),
    ]


def leads(envelope: Envelope) -> bool:
    """True when the event makes its department the complaint's lead department."""
    return isinstance(envelope.data, ComplaintRouted | ComplaintTransferred)


def supporters_after(envelope: Envelope) -> tuple[str, ...] | None:
    """The complaint's supporting departments once this event is applied, when the event says
    (joint handling and transfers carry the full list); None when it does not change them."""
    data = envelope.data
    if isinstance(data, ComplaintSupportAdded | ComplaintSupportRemoved | ComplaintTransferred):
        return tuple(sorted(set(data.supporting_departments)))
    return None


def department_audience(envelope: Envelope, *, lead: str | None, supporters: Sequence[str]) -> list[str]:
    """Every department whose topic and webhooks receive this event: the lead department and
    the supporting departments (joint handling: the event's own when it carries them, see
    `supporters_after`, else those notify knows); a department released from supporting gets
    that last event, so its systems learn why the complaint's events stop."""
    audience = [lead] if lead is not None else []
    audience += [code for code in supporters if code not in audience]
    data = envelope.data
    if isinstance(data, ComplaintSupportRemoved) and data.department not in audience:
        audience.append(data.department)
    return audience


def _plan_transferred(transfer: ComplaintTransferred) -> list[PlannedNotification]:
    """The receiving department's admins (its queue grew) and the reporter (who handles it now)."""
    params = _transfer_params(transfer)
    recipient = f"department:{transfer.to_department}:admins"
    planned = [
        PlannedNotification(recipient, "dashboard", "staff.transferred_in", params),
        PlannedNotification(recipient, "email", "staff.transferred_in", params),
    ]
    if transfer.reporter is not None:
        planned += [
            PlannedNotification(reporter_recipient(transfer), channel, "reporter.transferred", params)
            for channel in transfer.reporter.channels
        ]
    return planned


def _transfer_params(transfer: ComplaintTransferred) -> dict[str, Any]:
    return {
        "tracking_code": transfer.tracking_code,
        "department": transfer.to_department,
        "from_department": transfer.from_department,
        "reason": transfer.reason,
    }


def _plan_sla_breached(breach: ComplaintSlaBreached) -> list[PlannedNotification]:
    """The department's admins by mail and on the dashboard; city admins on their dashboard."""
    params = {
        "tracking_code": breach.tracking_code,
        "department": breach.department,
        "status": breach.status,
        "stage": breach.stage,
        "due_at": breach.due_at.isoformat(timespec="minutes"),
    }
    planned: list[PlannedNotification] = []
    if "dept_admin" in breach.escalate_to:
        recipient = f"department:{breach.department}:admins"
        planned.append(PlannedNotification(recipient, "dashboard", "staff.sla_breached", params))
        planned.append(PlannedNotification(recipient, "email", "staff.sla_breached", params))
    if "city_admin" in breach.escalate_to:
        planned.append(PlannedNotification(f"desk:{CITY_DESK}", "dashboard", "staff.sla_breached", params))
    return planned


def _plan_routed(routed: ComplaintRouted) -> list[PlannedNotification]:
    params = {"tracking_code": routed.tracking_code, "department": routed.department}
    if routed.needs_triage or routed.department == TRIAGE_DESK:
        return [PlannedNotification(f"desk:{TRIAGE_DESK}", "dashboard", "staff.triage_needed", params)]
    recipient = f"department:{routed.department}:admins"
    return [
        PlannedNotification(recipient, "dashboard", "staff.new_in_queue", params),
        PlannedNotification(recipient, "email", "staff.new_in_queue", params),
    ]


def _plan_status_changed(change: ComplaintStatusChanged) -> list[PlannedNotification]:
    if change.reporter is None:
        return []
    params = _status_params(change)
    template = f"reporter.status.{change.status}"
    return [
        PlannedNotification(f"reporter:{change.reporter.pseudonym}", channel, template, params)
        for channel in change.reporter.channels
    ]


@dataclass(frozen=True, slots=True)
class FanOut:
    """A notification repeated for rows only the database knows at handling time: with
    `per="webhook"` once per active webhook of `departments` (the lead `department` and, when
    the complaint is handled jointly, its supporting departments; recipient `webhook:<id>`),
    with `per="subscription"` once per channel a reporter subscribed to `tracking_code`
    directly with notify, except `except_channels` (those the reporter chose when submitting)."""

    per: Literal["webhook", "subscription"]
    template: str
    params: dict[str, Any]
    recipient: str = ""
    department: str | None = None
    tracking_code: str | None = None
    except_channels: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()


def fan_outs(
    envelope: Envelope,
    *,
    department: str | None = None,
    departments: tuple[str, ...] | None = None,
    redacted: Envelope | None = None,
) -> list[FanOut]:
    """Webhook deliveries carry the redacted event (`redacted`, when the caller already made
    it) as a structured-mode CloudEvent, to the webhooks of `departments` (default: the event's
    own department); status changes, transfers and the department's messages also reach
    channels the reporter subscribed directly (tracking code + token)."""
    data = envelope.data
    result: list[FanOut] = []
    department = department_of(envelope) or department
    if departments is None:
        departments = (department,) if department is not None else ()
    if departments:
        cloudevent = structured_cloudevent(redacted or redact_for_department(envelope))
        result.append(
            FanOut(
                "webhook",
                envelope.type,
                {"cloudevent": cloudevent},
                department=departments[0],
                departments=tuple(departments),
            )
        )
    if isinstance(data, ComplaintStatusChanged | ComplaintTransferred | ComplaintReporterMessagePosted):
        if isinstance(data, ComplaintStatusChanged):
            template, params = f"reporter.status.{data.status}", _status_params(data)
        elif isinstance(data, ComplaintTransferred):
            template, params = "reporter.transferred", _transfer_params(data)
        else:
            template, params = "reporter.reply", _reporter_message_params(data)
        result.append(
            FanOut(
                "subscription",
                template,
                params,
                recipient=reporter_recipient(data),
                tracking_code=data.tracking_code,
                except_channels=tuple(data.reporter.channels) if data.reporter else (),
            )
        )
    return result


def _status_params(change: ComplaintStatusChanged) -> dict[str, Any]:
    return {
        "tracking_code": change.tracking_code,
        "department": change.department,
        "status": change.status,
        "reason": change.reason,
        "resolution_note": change.resolution_note or change.reason,
    }


def reporter_recipient(
    change: ComplaintStatusChanged | ComplaintTransferred | ComplaintReporterMessagePosted,
) -> str:
    if change.reporter is not None:
        return f"{REPORTER_PREFIX}{change.reporter.pseudonym}"
    return f"{ANONYMOUS_REPORTER_PREFIX}{change.tracking_code}"


def department_of(envelope: Envelope) -> str | None:
    data = envelope.data
    if isinstance(
        data,
        ComplaintRouted
        | ComplaintStatusChanged
        | ComplaintSlaBreached
        | ComplaintAssigned
        | ComplaintReporterMessagePosted,
    ):
        return data.department
    if isinstance(data, ComplaintTransferred):
        return data.to_department  # the complaint is now in that department's queue
    if isinstance(data, ComplaintSupportAdded | ComplaintSupportRemoved):
        return data.lead_department
    return None


# -- What a department may see -------------------------------------------------------------


def redact_for_department(envelope: Envelope) -> Envelope:
    """The same event (same id, source and time) without anything that points at the reporter:
    departments see complaints, not who filed them."""
    data = envelope.data
    if getattr(data, "reporter", None) is not None:
        data = data.model_copy(update={"reporter": None})
    return Envelope(
        data=data, source=envelope.source, id=envelope.id, time=envelope.time, correlation_id=envelope.correlation_id
    )


# What a Kafka topic name cannot hold.
_TOPIC_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def department_topic(department: str) -> str:
    """`sigap.department.<CODE>`; anything a Kafka topic name cannot hold becomes `_`."""
    return DEPARTMENT_TOPIC_PREFIX + _TOPIC_UNSAFE.sub("_", department)


def structured_cloudevent(envelope: Envelope) -> dict[str, Any]:
    """A CloudEvent in structured JSON mode (what a webhook receives)."""
    event: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": str(envelope.id),
        "source": envelope.source,
        "type": envelope.type,
        "subject": envelope.subject,
        "time": envelope.time.isoformat(),
        "datacontenttype": CONTENT_TYPE,
        "data": envelope.data.model_dump(mode="json"),
    }
    if envelope.correlation_id:
        event["correlationid"] = envelope.correlation_id
    return event


# -- Delivery rules ------------------------------------------------------------------------


def backoff_s(attempts: int, *, base_s: float, cap_s: float) -> float:
    """Exponential backoff after `attempts` failed attempts: base, 2·base, 4·base … ≤ cap."""
    return min(cap_s, base_s * (2 ** max(0, attempts - 1)))


def mask_address(address: str) -> str:
    """Enough of an address to recognise it in a log, not enough to use it:
    `siti.rahma@example.com` -> `s***@e***.com`, `+6281234567890` -> `+62******7890`,
    a URL keeps only its scheme and host."""
    if "://" in address:
        scheme, _, rest = address.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0].rsplit('@', 1)[-1]}/***"
    if "@" in address:
        local, _, domain = address.rpartition("@")
        host, dot, tld = domain.rpartition(".")
        masked_domain = f"{host[:1]}***{dot}{tld}" if host else f"{tld[:1]}***"
        return f"{local[:1]}***@{masked_domain}"
    digits = address.strip()
    if len(digits) <= 4:
        return "***"
    return digits[:3] + "*" * max(3, len(digits) - 7) + digits[-4:]


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    body: str


def render(*, subject: str, body: str, params: Mapping[str, Any]) -> RenderedMessage:
    """Fill a template. `string.Template` (not `str.format`) because templates are edited by
    the city: `$name` can only substitute a value, never reach into an object's attributes.
    Unknown placeholders are left as written; a missing value reads as "-"."""
    values = {name: "-" if value is None else str(value) for name, value in params.items()}
    return RenderedMessage(
        subject=string.Template(subject).safe_substitute(values),
        body=string.Template(body).safe_substitute(values),
    )


def plain_email(
    *, sender: str, to: Sequence[str], subject: str, body: str, headers: Sequence[tuple[str, str]]
) -> bytes | None:
    """A text/plain UTF-8 message ready for SMTP: base64 body, the subject as RFC 2047 encoded
    words unless it is short plain ASCII. Written directly because the email package's
    generator (header folding, address re-parsing) was the largest CPU cost of sending. None
    when the sender, an address or a header value is not plain one-line ASCII: the caller then
    lets the email package handle it."""
    fixed = [("From", sender), ("To", ", ".join(to)), *headers]
    if not all(_plain_header_value(value) for _, value in fixed):
        return None
    try:
        encoded_body = base64.encodebytes(body.encode())
        encoded_subject = _header_text(subject)
    except UnicodeEncodeError:  # a lone surrogate: let the email package decide
        return None
    lines = [f"{name}: {value}" for name, value in fixed]
    lines += [
        f"Subject: {encoded_subject}",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + encoded_body.replace(b"\n", b"\r\n")


def _plain_header_value(value: str) -> bool:
    return value.isascii() and value.isprintable() and len(value) < 900


_ENCODED_WORD_BYTES = 45  # 60 base64 characters: each encoded word stays under 75


def _header_text(text: str) -> str:
    if _plain_header_value(text) and len(text) <= 76 and "=?" not in text:
        return text
    words: list[bytes] = []
    word = b""
    for character in text:
        encoded = character.encode()
        if len(word) + len(encoded) > _ENCODED_WORD_BYTES:
            words.append(word)
            word = b""
        word += encoded
    words.append(word)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode()}?=" for word in words)


def template_problems(text: str) -> list[str]:
    """Why a template text cannot be used (empty list when it can)."""
    try:
        string.Template(text).substitute({name: "" for name in _placeholders(text)})
    except (ValueError, KeyError) as exc:
        return [str(exc)]
    return []


def _placeholders(text: str) -> set[str]:
    pattern = string.Template.pattern
    names: set[str] = set()
    for match in pattern.finditer(text):
        name = match.group("named") or match.group("braced")
        if name:
            names.add(name)
    return names


# -- Webhook signatures --------------------------------------------------------------------

SIGNATURE_HEADER = "Sigap-Signature"
TIMESTAMP_HEADER = "Sigap-Timestamp"
EVENT_ID_HEADER = "Sigap-Event-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign_webhook(*, secret: str, timestamp: int, body: bytes) -> str:
    """`v1=` + hex HMAC-SHA256 over `<timestamp>.<body>` with the subscriber's secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_webhook(
    *, secret: str, timestamp: str, body: bytes, signature: str, now: int, tolerance_s: int = 300
) -> bool:
    """What a receiver does (see WEBHOOKS.md): recompute, compare in constant time, and refuse
    timestamps too far from its own clock so a captured request cannot be replayed later."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance_s:
        return False
    expected = sign_webhook(secret=secret, timestamp=sent_at, body=body)
    return hmac.compare_digest(expected, signature)
