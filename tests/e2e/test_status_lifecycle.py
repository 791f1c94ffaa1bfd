"""Staff work a complaint end to end: created by the admin CLI, logged in over HTTP at the
running status service, the complaint submitted at intake is verified, and the change goes
out on Kafka as a CloudEvent."""

from __future__ import annotations

import httpx
import pytest

from sigap_shared.events import TOPIC_COMPLAINT_STATUS
from tests.support.cloudevents_sdk import parse_record
from tests.support.complaints import lamp_complaint, place
from tests.support.kafka import collect, eventually
from tests.support.services import create_staff_user

pytestmark = pytest.mark.e2e

COMPLAINT = lamp_complaint(
    description="Lampu PJU di Jl. Juanda mati sejak kemarin, rawan kecelakaan",
    location=place(-6.38, 106.83, "Jl. Ir. H. Juanda"),
    reporter={"name": "Dewi Lestari", "phone": "0813-1111-2222"},
)


async def test_staff_verify_a_complaint_and_the_change_is_published(sigap, infra):
    status_url = sigap.url("status")
    database = sigap.services["status"].database
    dishub, dlh = ("--role", "dept_admin", "--department", "DISHUB"), ("--role", "dept_admin", "--department", "DLH")
    create_staff_user(infra, database, "admin-dishub-e2e", "sandi-rahasia-123", *dishub)
    create_staff_user(infra, database, "admin-dlh-e2e", "sandi-rahasia-456", *dlh)

    async with httpx.AsyncClient(timeout=10) as client:
        receipt = (await client.post(f"{sigap.url('intake')}/v1/complaints", json=COMPLAINT)).json()
        complaint_id = receipt["id"]

        async def received():
            response = await client.get(f"{status_url}/v1/complaints/{complaint_id}")
            return response.json() if response.status_code == 200 and response.json()["status"] == "diterima" else None

        public = await eventually(received, timeout_s=30)
        assert public["department"] == "DISHUB"

        login = await client.post(f"{status_url}/v1/auth/login", json={"username": "admin-dishub-e2e", "password": "sandi-rahasia-123"})
        assert login.status_code == 200
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        other = await client.post(f"{status_url}/v1/auth/login", json={"username": "admin-dlh-e2e", "password": "sandi-rahasia-456"})
        other_headers = {"Authorization": f"Bearer {other.json()['access_token']}"}

        queue = (await client.get(f"{status_url}/v1/staff/queue", params={"status": "diterima"}, headers=headers)).json()
        assert complaint_id in {item["id"] for item in queue["items"]}
        hidden = await client.get(f"{status_url}/v1/staff/complaints/{complaint_id}", headers=other_headers)
        assert hidden.status_code == 404

        verified = await client.post(
            f"{status_url}/v1/complaints/{complaint_id}/transitions",
            json={"to": "terverifikasi", "expected_version": public["version"], "note": "Sudah dicek ke lokasi"},
            headers=headers,
        )
        assert verified.status_code == 200, verified.text
        replay = await client.post(
            f"{status_url}/v1/complaints/{complaint_id}/transitions",
            json={"to": "terverifikasi", "expected_version": public["version"]},
            headers=headers,
        )
        assert replay.status_code == 409

    # Other test sessions may share this Kafka and run their own copy of the system, so only
    # this session's own staff action is counted exactly.
    def is_verified(record) -> bool:
        return b'"terverifikasi"' in record.value

    records = await collect(
        infra.kafka_bootstrap,
        [infra.topic(TOPIC_COMPLAINT_STATUS)],
        keep=lambda record: record.key == complaint_id.encode(),
        until=lambda kept: any(is_verified(record) for record in kept),
        timeout_s=30,
        settle_s=1.0,
    )
    events = [parse_record(record) for record in records]
    verified_events = [e for e in events if e["data"]["status"] == "terverifikasi"]
    assert len(verified_events) == 1
    change = verified_events[0]["data"]
    assert (change["previous_status"], change["actor"], change["actor_role"]) == ("diterima", "admin-dishub-e2e", "dept_admin")
    assert change["note"] == "Sudah dicek ke lokasi"
    assert events.index(verified_events[0]) > 0 and events[0]["data"]["status"] == "diterima"
    assert "Dewi" not in str(events)
