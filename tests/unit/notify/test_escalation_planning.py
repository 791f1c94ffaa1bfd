"""Who hears of an escalation: the step's contacts by mail, the lead department's admins and
the city desk on their dashboards; departments' systems get the event like every other."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sigap_notify.events.audience import DEPARTMENT_EVENT_TYPES, department_of
from sigap_notify.events.planning import plan, staff_mailboxes
from sigap_shared.events import ComplaintEscalated, Envelope

DUE = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # 00:00 WIB on 8 December
# A street light complaint still waiting for verification when its deadline passed.
BREACHED = {"tracking_code": "SGP-7K3M-Q9", "department": "DISHUB", "category": "lampu_jalan", "status": "diterima"}


def _escalated(step: str, number: int) -> Envelope:
    at_once = {"due_at": DUE, "breached_at": DUE, "escalated_at": DUE, "working_days_overdue": 0}
    escalated = ComplaintEscalated(
        complaint_id=uuid.uuid4(), stage="verify", step=step, step_number=number, **BREACHED, **at_once
    )
    return Envelope(source="sigap/status", data=escalated)


def test_the_steps_contacts_are_mailed_and_the_dashboards_told():
    envelope = _escalated("city", 2)
    planned = plan(envelope)
    assert [(p.recipient, p.channel, p.template) for p in planned] == [
        ("escalation:DISHUB:city", "email", "staff.escalated"),
        ("department:DISHUB:admins", "dashboard", "staff.escalated"),
        ("desk:CITY", "dashboard", "staff.escalated"),
    ]
    params = planned[0].params
    assert (params["step"], params["step_number"], params["due_at"]) == ("city", 2, "08-12-2026 00:00 WIB")
    # Escalation contacts are not a department's or an officer's mailbox: they are looked up
    # at send time, so the consumer does not mark them unreachable.
    assert staff_mailboxes(planned).departments == frozenset() and staff_mailboxes(planned).officers == frozenset()
    assert department_of(envelope) == "DISHUB" and ComplaintEscalated.event_type in DEPARTMENT_EVENT_TYPES
