"""A complaint's delivery log follows the isolation rule of every service: staff only, the
departments that lead or support the complaint (as notify learnt them from the events) and
city-wide roles; to anyone else the complaint answers exactly as an unknown one. Reporters
follow their complaint through intake's tracking page instead."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from sigap_notify.bootstrap import create_app
from sigap_shared.events import ComplaintSupportAdded, Envelope
from tests.integration.notify.conftest import handle, notify_settings, random_department, routed, staff_headers
from tests.integration.notify.support import serve_asgi

pytestmark = pytest.mark.integration


def _support_added(envelope: Envelope, supporter: str) -> Envelope:
    return Envelope(
        source="sigap/routing",
        data=ComplaintSupportAdded(
            complaint_id=envelope.data.complaint_id,
            tracking_code=envelope.data.tracking_code,
            lead_department=envelope.data.department,
            department=supporter,
            reason="Perlu alat berat dari dinas lain",
            actor="admin.lead",
            actor_role="dept_admin",
            supporting_departments=(supporter,),
            added_at=datetime.now(UTC),
        ),
    )


async def test_the_delivery_log_is_for_the_complaints_departments_and_city_wide_roles(
    infra, notify_pool, notify_database
):
    lead, supporter, other = random_department(), random_department(), random_department()
    envelope = routed(department=lead)
    await handle(notify_pool, envelope)
    await handle(notify_pool, _support_added(envelope, supporter))
    settings = notify_settings(infra, notify_database)
    app = create_app(settings, consumers=False)
    path = f"/v1/complaints/{envelope.data.complaint_id}/notifications"
    unknown = f"/v1/complaints/{uuid.uuid4()}/notifications"
    async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as client:

        async def status(headers: dict[str, str], at: str = path) -> int:
            return (await client.get(at, headers=headers)).status_code

        anonymous = await client.get(path)
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        outsider = staff_headers(settings, "dept_admin", other)
        hidden, missing = await client.get(path, headers=outsider), await client.get(unknown, headers=outsider)
        assert hidden.status_code == missing.status_code == 404, hidden.text
        assert hidden.headers["content-type"] == "application/problem+json"
        assert (hidden.json()["type"], hidden.json()["title"]) == (missing.json()["type"], missing.json()["title"])
        # Notify does not know who is assigned, and a field officer sees only their own tasks.
        assert await status(staff_headers(settings, "field_officer", lead)) == 404

        for allowed in (
            staff_headers(settings, "dept_admin", lead),
            staff_headers(settings, "dept_admin", supporter),
            staff_headers(settings, "city_admin"),
            staff_headers(settings, "auditor"),
        ):
            response = await client.get(path, headers=allowed)
            assert response.status_code == 200, response.text
            assert {n["template"] for n in response.json()["notifications"]} >= {"staff.new_in_queue"}
        # A complaint notify has never heard of: city-wide roles get an empty log, as before.
        assert await status(staff_headers(settings, "city_admin"), unknown) == 200
