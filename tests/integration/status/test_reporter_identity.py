"""The city admin sees a confidential reporter's identity through a real intake, which audits
the look; the department sees that it happened (never the identity); every other role is
refused; the identity appears in no log line of this process and no Kafka event."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.status.intake_support import (
    import_complaint,
    status_calling_intake,
)
from tests.integration.status.test_assignment_and_message_events import complaint_events, running_relay
from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from sigap_shared.events import ComplaintReporterMessagePosted
from tests.support.infra import free_port

pytestmark = pytest.mark.integration

IDENTITY = {"name": "Ratna Kusumawati", "phone": "0812-7777-3131", "email": "ratna.k@example.com"}
# The phone number in the forms it could be written, not its four-digit groups alone: those
# also occur by chance in the UUIDs of an event or a log line.
SECRETS = ("Ratna", "Kusumawati", "0812-7777-3131", "081277773131", "6281277773131", "ratna.k@example.com")
REASON = "Pelapor perlu dihubungi langsung untuk akses lokasi"


def _path(complaint_id) -> str:
    return f"/v1/staff/complaints/{complaint_id}/reporter-identity"


async def test_city_admin_sees_the_identity_and_the_look_is_audited(status_api, live_intake, infra, capfd):
    api, live = status_api, live_intake
    complaint_id = await live.submit(privacy="rahasia", reporter=IDENTITY)
    await import_complaint(api, live, complaint_id, department="DISHUB")
    city, city_headers = await api.staff("city_admin")
    _, dept_headers = await api.staff("dept_admin", "DISHUB")

    async with status_calling_intake(api, live.url):
        response = await api.client.get(_path(complaint_id), params={"reason": REASON}, headers=city_headers)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        identity = response.json()
        assert identity["privacy"] == "rahasia"
        assert (identity["name"], identity["email"]) == (IDENTITY["name"], IDENTITY["email"])
        assert "7777" in identity["phone"] and "3131" in identity["phone"]

        # Without a real reason nothing is asked of intake.
        short = await api.client.get(_path(complaint_id), params={"reason": "  ok "}, headers=city_headers)
        assert short.status_code == 422 and short.headers["content-type"].startswith("application/problem+json")
        missing = await api.client.get(_path(complaint_id), headers=city_headers)
        assert missing.status_code == 422
        invisible = await api.client.get(_path(complaint_id), params={"reason": "\u200b" * 5}, headers=city_headers)
        assert invisible.status_code == 422 and invisible.json()["errors"][0]["field"] == "reason"

        # The department follows along with a reply to the reporter (an event that names them
        # only by pseudonym).
        message = await api.client.post(
            f"/v1/complaints/{complaint_id}/notes",
            json={"body": "Petugas akan menghubungi Anda", "visibility": "reporter"},
            headers=dept_headers,
        )
        assert message.status_code == 201

    log = await live.intake.client.get(
        "/internal/v1/identities/access-log",
        params={"complaint_id": str(complaint_id)},
        headers={"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"},
    )
    assert log.status_code == 200, log.text
    entries = log.json()["entries"]
    assert [(e["actor"], e["actor_role"], e["reason"], e["outcome"]) for e in entries] == [
        (city, "city_admin", REASON, "revealed")
    ]
    assert entries[0]["audit_id"] == identity["audit_id"]

    # The department sees that the city admin looked, and why, but not who the reporter is.
    view = await api.client.get(f"/v1/staff/complaints/{complaint_id}", headers=dept_headers)
    viewed = [e for e in view.json()["timeline"] if e["type"] == "sigap.status.identity_viewed"]
    assert [(e["actor"], e["detail"]["reason"], e["detail"]["audit_id"]) for e in viewed] == [
        (city, REASON, identity["audit_id"])
    ]
    assert not any(secret in view.text for secret in SECRETS)
    public = await api.client.get(f"/v1/complaints/{complaint_id}")
    assert "identity_viewed" not in public.text and REASON not in public.text

    # Nothing this process logged (status and the in-process intake) names the reporter ...
    out, err = capfd.readouterr()
    assert "reporter_identity_viewed" in out + err, "the check below must look at the real log output"
    assert not any(secret in out + err for secret in SECRETS)
    # ... nor does anything status stored or published.
    timeline = await api.pool.fetch("SELECT detail::text AS detail FROM timeline WHERE complaint_id = $1", complaint_id)
    assert not any(secret in row["detail"] for row in timeline for secret in SECRETS)
    async with running_relay(infra, api):
        records, events = await complaint_events(
            infra, complaint_id, until=lambda events: any(isinstance(e, ComplaintReporterMessagePosted) for e in events),
            settle_s=1.0,
        )
    posted = next(e for e in events if isinstance(e, ComplaintReporterMessagePosted))
    assert posted.reporter is not None and posted.reporter.pseudonym
    for record in records:
        raw = (record.value or b"") + b"".join(value for _, value in record.headers)
        assert not any(secret.encode() in raw for secret in SECRETS)


async def test_other_roles_never_see_the_identity(status_api, live_intake):
    api, live = status_api, live_intake
    complaint_id = await live.submit(privacy="rahasia", reporter=IDENTITY)
    await import_complaint(api, live, complaint_id, department="DISHUB")
    _, dept_headers = await api.staff("dept_admin", "DISHUB")
    officer, officer_headers = await api.staff("field_officer", "DISHUB")
    _, other_officer_headers = await api.staff("field_officer", "DISHUB")
    _, other_dept_headers = await api.staff("dept_admin", "DPUPR")
    _, auditor_headers = await api.staff("auditor")
    assigned = await api.assign(complaint_id, dept_headers, officer)
    assert assigned.status_code == 200

    async with status_calling_intake(api, live.url):
        # Every role but the city admin is refused by the route's role gate before the complaint is
        # looked up: the same answer as for a complaint that does not exist, so nobody learns it exists.
        for headers in (dept_headers, officer_headers, auditor_headers, other_dept_headers, other_officer_headers):
            response = await api.client.get(_path(complaint_id), params={"reason": REASON}, headers=headers)
            assert response.status_code == 403, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert not any(secret in response.text for secret in SECRETS)
            unknown = await api.client.get(_path(uuid.uuid4()), params={"reason": REASON}, headers=headers)
            assert (unknown.status_code, unknown.json()["detail"]) == (403, response.json()["detail"])
        unauthenticated = await api.client.get(_path(complaint_id), params={"reason": REASON})
        assert unauthenticated.status_code == 401

    # Refused before intake was asked: its access log is empty, and no timeline entry was written.
    log = await live.intake.client.get(
        "/internal/v1/identities/access-log",
        params={"complaint_id": str(complaint_id)},
        headers={"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"},
    )
    assert log.json()["entries"] == []
    assert await api.pool.fetchval(
        "SELECT count(*) FROM timeline WHERE complaint_id = $1 AND event_type = 'sigap.status.identity_viewed'", complaint_id
    ) == 0


async def test_identity_needs_a_reachable_intake(status_api, live_intake):
    api, live = status_api, live_intake
    complaint_id = await live.submit(privacy="rahasia", reporter=IDENTITY)
    await import_complaint(api, live, complaint_id)
    _, city_headers = await api.staff("city_admin")
    # Not configured (development without SIGAP_INTAKE_INTERNAL_URL), then configured but down.
    unconfigured = await api.client.get(_path(complaint_id), params={"reason": REASON}, headers=city_headers)
    assert unconfigured.status_code == 503
    async with status_calling_intake(api, f"http://127.0.0.1:{free_port()}"):
        down = await api.client.get(_path(complaint_id), params={"reason": REASON}, headers=city_headers)
    assert down.status_code == 503 and down.json()["type"].endswith("/intake-unavailable")
    assert await api.pool.fetchval(
        "SELECT count(*) FROM timeline WHERE complaint_id = $1 AND event_type = 'sigap.status.identity_viewed'", complaint_id
    ) == 0
