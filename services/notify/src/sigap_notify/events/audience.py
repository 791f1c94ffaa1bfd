"""Which departments an event concerns and what they may see of it: the lead department an
event names, the supporting departments after it, the audience whose topics and webhooks get
the event, the event without its reporter or its free texts, and the department topic's name. Pure."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from sigap_notify.personal_data.rules import FREE_TEXT_KEYS, without_free_text
from sigap_shared.events import (
    CONTENT_TYPE,
    SPEC_VERSION,
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

DEPARTMENT_TOPIC_PREFIX = "sigap.department."
# What notify copies to a department's topic: every event of the complaints it leads or
# supports (these are the events notify acts on; submissions only tell it which complaints exist).
DEPARTMENT_EVENT_TYPES = (
    ComplaintRouted.event_type,
    ComplaintStatusChanged.event_type,
    ComplaintSlaBreached.event_type,
    ComplaintTransferred.event_type,
    ComplaintSupportAdded.event_type,
    ComplaintSupportRemoved.event_type,
    ComplaintAssigned.event_type,
    ComplaintReporterMessagePosted.event_type,
    ComplaintInformationAdded.event_type,
    ComplaintRated.event_type,
    ComplaintReopenRequested.event_type,
    ComplaintEscalated.event_type,
)


def department_of(envelope: Envelope) -> str | None:
    data = envelope.data
    if isinstance(
        data,
        ComplaintRouted
        | ComplaintStatusChanged
        | ComplaintSlaBreached
        | ComplaintEscalated
        | ComplaintAssigned
        | ComplaintReporterMessagePosted,
    ):
        return data.department
    if isinstance(data, ComplaintTransferred):
        return data.to_department  # the complaint is now in that department's queue
    if isinstance(data, ComplaintSupportAdded | ComplaintSupportRemoved):
        return data.lead_department
    return None



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



def redact_for_department(envelope: Envelope) -> Envelope:
    """The same event (same id, source and time) without anything that points at the reporter:
    departments see complaints, not who filed them."""
    data = envelope.data
    if getattr(data, "reporter", None) is not None:
        data = data.model_copy(update={"reporter": None})
    return dataclasses.replace(envelope, data=data)


def without_free_texts(envelope: Envelope) -> Envelope:
    """The same event with its free texts emptied, as a reporter's erasure leaves an event
    written before it (`personal_data.rules`): codes, statuses and times stay."""
    data = envelope.data
    texts = {key: getattr(data, key) for key in FREE_TEXT_KEYS if isinstance(getattr(data, key, None), str)}
    blanked = without_free_text(texts)
    if blanked == texts:
        return envelope
    return dataclasses.replace(envelope, data=data.model_copy(update=blanked))


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


