"""Who hears about which event, on which channel, with which template, and the pure rules of
delivering it: retry backoff, address masking, template rendering, webhook signatures and
what a department may see of an event. No I/O."""

from __future__ import annotations

import hashlib
import hmac
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sigap_shared.events import (
    CONTENT_TYPE,
    SPEC_VERSION,
    TRIAGE_DESK,
    ComplaintInformationAdded,
    ComplaintRouted,
    ComplaintSlaBreached,
    ComplaintStatusChanged,
    ComplaintTransferred,
    Envelope,
)

REPORTER_PREFIX = "reporter:"
ANONYMOUS_REPORTER_PREFIX = "reporter:anonim:"
WEBHOOK_PREFIX = "webhook:"
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
    return []


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
    `per="webhook"` once per active webhook of `department` (recipient `webhook:<id>`), with
    `per="subscription"` once per channel a reporter subscribed to `tracking_code` directly
    with notify, except `except_channels` (those the reporter chose when submitting)."""

    per: Literal["webhook", "subscription"]
    template: str
    params: dict[str, Any]
    recipient: str = ""
    department: str | None = None
    tracking_code: str | None = None
    except_channels: tuple[str, ...] = ()


def fan_outs(envelope: Envelope, *, department: str | None = None) -> list[FanOut]:
    """Webhook deliveries carry the redacted event as a structured-mode CloudEvent; status
    changes also reach channels the reporter subscribed directly (tracking code + token)."""
    data = envelope.data
    result: list[FanOut] = []
    department = department_of(envelope) or department
    if department is not None:
        cloudevent = structured_cloudevent(redact_for_department(envelope))
        result.append(FanOut("webhook", envelope.type, {"cloudevent": cloudevent}, department=department))
    if isinstance(data, ComplaintStatusChanged | ComplaintTransferred):
        template, params = (
            (f"reporter.status.{data.status}", _status_params(data))
            if isinstance(data, ComplaintStatusChanged)
            else ("reporter.transferred", _transfer_params(data))
        )
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


def reporter_recipient(change: ComplaintStatusChanged | ComplaintTransferred) -> str:
    if change.reporter is not None:
        return f"{REPORTER_PREFIX}{change.reporter.pseudonym}"
    return f"{ANONYMOUS_REPORTER_PREFIX}{change.tracking_code}"


def department_of(envelope: Envelope) -> str | None:
    data = envelope.data
    if isinstance(data, ComplaintRouted | ComplaintStatusChanged | ComplaintSlaBreached):
        return data.department
    if isinstance(data, ComplaintTransferred):
        return data.to_department  # the complaint is now in that department's queue
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
