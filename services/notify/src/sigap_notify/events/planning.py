"""Who hears about which event, on which channel, with which template: the deliveries an
event plans, those fanned out over rows only the database knows (webhooks, reporters' direct
subscriptions), and which planned staff mail has nobody to go to. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sigap_notify.events.audience import department_of, redact_for_department, structured_cloudevent
from sigap_notify.recipients import (
    ANONYMOUS_REPORTER_PREFIX,
    REPORTER_PREFIX,
    department_admins,
    escalation_recipient,
    officer_recipient,
)
from sigap_shared.events import (
    AUTO_CLOSE_REASON,
    TRIAGE_DESK,
    ComplaintAssigned,
    ComplaintEscalated,
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

CITY_DESK = "CITY"  # city-wide staff dashboards (city admins)


@dataclass(frozen=True, slots=True)
class PlannedNotification:
    recipient: str
    channel: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)


def _staff_pair(recipient: str, template: str, params: dict[str, Any]) -> list[PlannedNotification]:
    """Staff hear of it on their dashboard and by mail."""
    return [
        PlannedNotification(recipient, "dashboard", template, params),
        PlannedNotification(recipient, "email", template, params),
    ]


# The city's zone unless SIGAP_TIMEZONE says otherwise: times in messages are its local times.
DEFAULT_ZONE = ZoneInfo("Asia/Jakarta")


def local_time(instant: datetime, zone: tzinfo) -> str:
    """A time as people in the city read it: `08-12-2026 00:00 WIB` (WITA, WIT elsewhere)."""
    local = instant.astimezone(zone)
    return f"{local:%d-%m-%Y %H:%M} {local.tzname()}"


def plan(
    envelope: Envelope, *, department: str | None = None, zone: tzinfo = DEFAULT_ZONE
) -> list[PlannedNotification]:
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
        return _plan_sla_breached(data, zone)
    if isinstance(data, ComplaintEscalated):
        return _plan_escalated(data, zone)
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
        planned += _staff_pair(recipient, "staff.officer_assigned", params)
    if assigned.previous_officer is not None and assigned.previous_officer != assigned.officer:
        recipient = officer_recipient(assigned.department, assigned.previous_officer)
        planned += _staff_pair(recipient, "staff.officer_unassigned", params)
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
    recipient = department_admins(department)
    return _staff_pair(recipient, template, params)


def _plan_support_changed(change: ComplaintSupportAdded | ComplaintSupportRemoved) -> list[PlannedNotification]:
    """The supporting department's admins: asked to help the lead department, or released."""
    template = "staff.support_added" if isinstance(change, ComplaintSupportAdded) else "staff.support_removed"
    params = {
        "tracking_code": change.tracking_code,
        "department": change.department,
        "lead_department": change.lead_department,
        "reason": change.reason,
    }
    recipient = department_admins(change.department)
    return _staff_pair(recipient, template, params)


def _plan_information_added(added: ComplaintInformationAdded, department: str | None) -> list[PlannedNotification]:
    """The lead department's admins hear that the reporter replied (not what: that stays in
    the dashboard)."""
    if department is None:
        return []
    params = {"tracking_code": added.tracking_code, "department": department, "photos": len(added.photos)}
    recipient = department_admins(department)
    return _staff_pair(recipient, "staff.reporter_replied", params)


def _plan_transferred(transfer: ComplaintTransferred) -> list[PlannedNotification]:
    """The receiving department's admins (its queue grew) and the reporter (who handles it now)."""
    params = _transfer_params(transfer)
    recipient = department_admins(transfer.to_department)
    planned = _staff_pair(recipient, "staff.transferred_in", params)
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


def _plan_sla_breached(breach: ComplaintSlaBreached, zone: tzinfo) -> list[PlannedNotification]:
    """The department's admins by mail and on the dashboard; city admins on their dashboard."""
    params = {
        "tracking_code": breach.tracking_code,
        "department": breach.department,
        "status": breach.status,
        "stage": breach.stage,
        "due_at": local_time(breach.due_at, zone),
    }
    planned: list[PlannedNotification] = []
    if "dept_admin" in breach.escalate_to:
        planned += _staff_pair(department_admins(breach.department), "staff.sla_breached", params)
    if "city_admin" in breach.escalate_to:
        planned.append(PlannedNotification(f"desk:{CITY_DESK}", "dashboard", "staff.sla_breached", params))
    return planned


def _plan_escalated(escalated: ComplaintEscalated, zone: tzinfo) -> list[PlannedNotification]:
    """The step's escalation contacts by mail (kept by the city admin, `escalation_contacts`);
    the department's admins and the city admins see it on their dashboards."""
    params = {
        "tracking_code": escalated.tracking_code,
        "department": escalated.department,
        "status": escalated.status,
        "stage": escalated.stage,
        "step": escalated.step,
        "step_number": escalated.step_number,
        "due_at": local_time(escalated.due_at, zone),
        "working_days_overdue": escalated.working_days_overdue,
    }
    return [
        PlannedNotification(escalation_recipient(escalated.department, escalated.step), "email", "staff.escalated", params),
        PlannedNotification(department_admins(escalated.department), "dashboard", "staff.escalated", params),
        PlannedNotification(f"desk:{CITY_DESK}", "dashboard", "staff.escalated", params),
    ]


def _plan_routed(routed: ComplaintRouted) -> list[PlannedNotification]:
    params = {"tracking_code": routed.tracking_code, "department": routed.department}
    if routed.needs_triage or routed.department == TRIAGE_DESK:
        return [PlannedNotification(f"desk:{TRIAGE_DESK}", "dashboard", "staff.triage_needed", params)]
    recipient = department_admins(routed.department)
    return _staff_pair(recipient, "staff.new_in_queue", params)


def _plan_status_changed(change: ComplaintStatusChanged) -> list[PlannedNotification]:
    if change.reporter is None:
        return []
    params = _status_params(change)
    template = reporter_status_template(change)
    return [
        PlannedNotification(REPORTER_PREFIX + change.reporter.pseudonym, channel, template, params)
        for channel in change.reporter.channels
    ]


AUTO_CLOSED_TEMPLATE = "reporter.closed_automatically"


def reporter_status_template(change: ComplaintStatusChanged) -> str:
    """The reporter's message about a status change: its status's, except for SP4N-LAPOR!'s
    closing of a finished complaint nobody reacted to, which says so instead of repeating the
    follow-up's "selesai" message (the reporter could not tell why it came again)."""
    if change.status == "selesai" and change.reason == AUTO_CLOSE_REASON:
        return AUTO_CLOSED_TEMPLATE
    return f"reporter.status.{change.status}"


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
            template, params = reporter_status_template(data), _status_params(data)
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
        return REPORTER_PREFIX + change.reporter.pseudonym
    return f"{ANONYMOUS_REPORTER_PREFIX}{change.tracking_code}"


