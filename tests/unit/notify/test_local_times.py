"""Times in notify's messages are the city's local times (SIGAP_TIMEZONE), named WIB, WITA or
WIT, not UTC instants: an SLA breach mail says when the deadline ended where the reader is."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from sigap_notify.events import planning
from sigap_notify.templates.rules import render
from sigap_notify.bootstrap import service_spec
from sigap_shared.events import ComplaintSlaBreached, Envelope

# The end of Tuesday 8 December 2026 in Makassar: 16:00 UTC.
DUE = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)
# The default Indonesian text of staff.sla_breached (notify's migration 0003).
TEMPLATE = "Laporan ${tracking_code} di ${department} melewati tenggat tahap ${stage} (${due_at})."


def _breach() -> Envelope:
    facts = {"tracking_code": "SGP-AB12-CD", "department": "DLHK", "status": "terverifikasi", "stage": "finish"}
    data = ComplaintSlaBreached(complaint_id=uuid.uuid4(), due_at=DUE, breached_at=DUE, **facts)
    return Envelope(source="sigap/status", data=data)


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Asia/Jakarta", "08-12-2026 23:00 WIB"),
        ("Asia/Makassar", "09-12-2026 00:00 WITA"),
        ("Asia/Jayapura", "09-12-2026 01:00 WIT"),
    ],
)
def test_an_sla_breach_message_shows_the_deadline_in_local_time(zone, shown):
    planned = planning.plan(_breach(), zone=ZoneInfo(zone))
    mail = next(p for p in planned if p.channel == "email")
    message = render(subject="", body=TEMPLATE, params=mail.params)
    assert message.body == f"Laporan SGP-AB12-CD di DLHK melewati tenggat tahap finish ({shown})."
    assert "+00:00" not in message.body


def test_the_service_plans_in_the_zone_of_its_settings():
    spec = service_spec(zone=ZoneInfo("Asia/Jayapura"))
    (consumer,) = spec.consumers
    handler = consumer.handlers[ComplaintSlaBreached.event_type]
    assert handler.keywords["zone"] == ZoneInfo("Asia/Jayapura")
