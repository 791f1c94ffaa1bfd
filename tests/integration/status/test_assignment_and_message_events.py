"""Assignments and messages to the reporter go out on Kafka (through status's outbox and its
relay, read back from the real topic); internal notes between staff never do."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from sigap_shared.events import (
    TOPIC_COMPLAINT_STATUS,
    ComplaintAssigned,
    ComplaintReporterMessagePosted,
    ComplaintStatusChanged,
    decode,
)
from sigap_shared.outbox import OutboxRelay
from tests.support.kafka import collect

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def running_relay(infra, api):
    relay = OutboxRelay(
        connect_kwargs=infra.pg_kwargs(api.settings.pg_database),
        bootstrap=infra.kafka_bootstrap,
        client_id=f"test-status-relay-{uuid.uuid4().hex[:6]}",
        poll_interval_s=0.3,
        topic_prefix=infra.topic_prefix,
    )
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def complaint_events(infra, complaint_id, *, until, settle_s: float = 2.0):
    """The complaint's events on the status topic, decoded, in publication order."""
    records = await collect(
        infra.kafka_bootstrap,
        [infra.topic(TOPIC_COMPLAINT_STATUS)],
        keep=lambda record: record.key == str(complaint_id).encode(),
        until=lambda kept: until([decode(r.headers, r.value).data for r in kept]),
        settle_s=settle_s,
        timeout_s=40,
    )
    return records, [decode(record.headers, record.value).data for record in records]


async def test_assignments_and_reporter_messages_are_published_internal_notes_are_not(status_api, infra):
    api = status_api
    admin, admin_headers = await api.staff("dept_admin", "DISHUB")
    first_officer, _ = await api.staff("field_officer", "DISHUB")
    second_officer, second_headers = await api.staff("field_officer", "DISHUB")
    complaint_id = await api.seed_complaint(department="DISHUB")

    async def assign(officer):
        response = await api.assign(complaint_id, admin_headers, officer)
        assert response.status_code == 200, response.text

    await assign(first_officer)
    await assign(second_officer)
    internal = await api.note(complaint_id, second_headers, "Catatan internal: tiang perlu crane")
    assert internal.status_code == 201, internal.text
    message = await api.note(complaint_id, admin_headers, "Petugas kami datang besok pagi", visibility="reporter")
    assert message.status_code == 201, message.text
    await assign(None)

    async with running_relay(infra, api):
        records, events = await complaint_events(
            infra,
            complaint_id,
            until=lambda events: sum(isinstance(e, ComplaintAssigned) for e in events) >= 3
            and any(isinstance(e, ComplaintReporterMessagePosted) for e in events),
        )

    assert [type(event).__name__ for event in events] == [
        "ComplaintStatusChanged",  # diterima, from routing's event
        "ComplaintAssigned",
        "ComplaintAssigned",
        "ComplaintReporterMessagePosted",
        "ComplaintAssigned",
    ]
    assert isinstance(events[0], ComplaintStatusChanged)
    assigned, reassigned, _, unassigned = events[1], events[2], events[3], events[4]
    assert (assigned.officer, assigned.previous_officer) == (first_officer, None)
    assert (reassigned.officer, reassigned.previous_officer) == (second_officer, first_officer)
    assert (unassigned.officer, unassigned.previous_officer) == (None, second_officer)
    for event in (assigned, reassigned, unassigned):
        assert (event.department, event.actor, event.actor_role) == ("DISHUB", admin, "dept_admin")

    posted = events[3]
    assert isinstance(posted, ComplaintReporterMessagePosted)
    assert posted.message_id == uuid.UUID(message.json()["id"])
    assert posted.body == "Petugas kami datang besok pagi"
    assert (posted.actor, posted.actor_role, posted.department) == (admin, "dept_admin", "DISHUB")
    assert posted.reporter is not None
    assert (posted.reporter.pseudonym, posted.reporter.channels) == ("Pelapor-UJI", ("sms",))
    # The message's timeline entry and its event carry the same id.
    timeline_ids = await api.pool.fetch(
        "SELECT event_id FROM timeline WHERE complaint_id = $1 AND event_type = 'sigap.status.reporter_message'",
        complaint_id,
    )
    assert [row["event_id"] for row in timeline_ids] == [posted.message_id]

    # The internal note exists in the timeline but never left the service.
    assert all(b"tiang perlu crane" not in (record.value or b"") for record in records)
    assert await api.pool.fetchval(
        "SELECT count(*) FROM timeline WHERE complaint_id = $1 AND event_type = 'sigap.status.internal_note'", complaint_id
    ) == 1
    assert await api.pool.fetchval("SELECT count(*) FROM outbox WHERE key = $1", str(complaint_id).encode()) == 5


async def test_a_refused_assignment_or_message_publishes_nothing(status_api):
    api = status_api
    _, admin_headers = await api.staff("dept_admin", "DISHUB")
    _, supporting_headers = await api.staff("dept_admin", "DLH")
    complaint_id = await api.seed_complaint(department="DISHUB", supporting=["DLH"])
    before = await api.pool.fetchval("SELECT count(*) FROM outbox WHERE key = $1", str(complaint_id).encode())

    stale = await api.client.put(
        f"/v1/complaints/{complaint_id}/assignment",
        json={"officer": None, "expected_version": await api.version(complaint_id) - 1},
        headers=admin_headers,
    )
    assert stale.status_code == 409
    unknown_officer = await api.assign(complaint_id, admin_headers, "bukan-petugas")
    assert unknown_officer.status_code == 422
    not_lead = await api.client.post(
        f"/v1/complaints/{complaint_id}/notes", json={"body": "Halo", "visibility": "reporter"}, headers=supporting_headers
    )
    assert not_lead.status_code == 403
    assert await api.pool.fetchval("SELECT count(*) FROM outbox WHERE key = $1", str(complaint_id).encode()) == before
