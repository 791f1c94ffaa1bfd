"""Who hears about which event, on which channel, with which template. Pure: no I/O.
(Real channels — email, web push, SMS gateways, webhooks — arrive with the notify issue; for
now every planned notification is recorded.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sigap_shared.events import TRIAGE_DESK, ComplaintRouted, ComplaintStatusChanged, Envelope


@dataclass(frozen=True, slots=True)
class PlannedNotification:
    recipient: str
    channel: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)


def plan(envelope: Envelope) -> list[PlannedNotification]:
    data = envelope.data
    if isinstance(data, ComplaintRouted):
        return _plan_routed(data)
    if isinstance(data, ComplaintStatusChanged):
        return _plan_status_changed(data)
    return []


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
    params = {
        "tracking_code": change.tracking_code,
        "department": change.department,
        "status": change.status,
        "reason": change.reason,
    }
    template = f"reporter.status.{change.status}"
    return [
        PlannedNotification(f"reporter:{change.reporter.pseudonym}", channel, template, params)
        for channel in change.reporter.channels
    ]
