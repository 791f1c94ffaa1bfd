"""Events that do not name a department (a reporter adding information) reach the complaint's
current lead department, which notify learns from routing's events, transfers included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from sigap_shared.events import ComplaintInformationAdded, ComplaintTransferred, Envelope
from tests.integration.notify.conftest import handle, random_department, routed, tracking_code

pytestmark = pytest.mark.integration


def _information_added(complaint_id: uuid.UUID, code: str) -> Envelope:
    return Envelope(
        source="sigap/intake",
        data=ComplaintInformationAdded(
            complaint_id=complaint_id, tracking_code=code, text="Sekarang makin parah", added_at=datetime.now(UTC)
        ),
    )


async def _recipients(pool, event_id) -> set[tuple[str, str, str]]:
    rows = await pool.fetch("SELECT recipient, channel, template FROM notifications WHERE event_id = $1", event_id)
    return {(row["recipient"], row["channel"], row["template"]) for row in rows}


async def test_reporter_information_reaches_the_current_lead_department(notify_pool):
    first, second = random_department(), random_department()
    complaint_id, code = uuid.uuid4(), tracking_code()
    unknown = _information_added(uuid.uuid4(), tracking_code())
    await handle(notify_pool, unknown)
    assert await _recipients(notify_pool, unknown.id) == set()

    await handle(notify_pool, routed(department=first, complaint_id=complaint_id, code=code))
    before = _information_added(complaint_id, code)
    await handle(notify_pool, before)
    assert await _recipients(notify_pool, before.id) == {
        (f"department:{first}:admins", "dashboard", "staff.reporter_replied"),
        (f"department:{first}:admins", "email", "staff.reporter_replied"),
    }

    transfer = Envelope(
        source="sigap/routing",
        data=ComplaintTransferred(
            complaint_id=complaint_id,
            tracking_code=code,
            from_department=first,
            to_department=second,
            kind="bukan_wewenang",
            reason="Bukan kewenangan kami",
            actor="admin",
            actor_role="dept_admin",
            transferred_at=datetime.now(UTC),
        ),
    )
    await handle(notify_pool, transfer)
    assert (f"department:{second}:admins", "email", "staff.transferred_in") in await _recipients(
        notify_pool, transfer.id
    )
    after = _information_added(complaint_id, code)
    await handle(notify_pool, after)
    assert {recipient for recipient, _, _ in await _recipients(notify_pool, after.id)} == {
        f"department:{second}:admins"
    }
    # The department topic copy went to the department that leads the complaint at the time.
    topics = await notify_pool.fetch(
        "SELECT event_id, topic FROM outbox WHERE event_id = ANY($1::uuid[])", [before.id, after.id]
    )
    assert {row["event_id"]: row["topic"] for row in topics} == {
        before.id: f"sigap.department.{first}",
        after.id: f"sigap.department.{second}",
    }
