"""The running status service calls the running intake (as bootstrap wires it from
SIGAP_INTAKE_INTERNAL_URL): an officer's gallery photo cannot finish a complaint, a live one
does; the city admin sees a confidential reporter, audited at intake, and the identity appears
in neither service's status log nor status's events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from sigap_shared.events import TOPIC_COMPLAINT_STATUS
from tests.e2e.conftest import INTAKE_DEVELOPMENT_INTERNAL_TOKEN
from tests.support.complaints import lamp_complaint, place
from tests.support.kafka import collect, eventually
from tests.support.services import create_staff_user
from tests.unit.intake.images import camera_photo, jpeg, scene

pytestmark = pytest.mark.e2e

PLACE = (-6.38, 106.83)
REPORTER = {"name": "Sulastri Wibowo", "phone": "0813-5555-8181", "email": "sulastri.w@example.com"}
# The phone number only in the forms it could be written: its four-digit groups alone also
# occur by chance in the UUIDs and timestamps of a log shared with every other e2e test.
SECRETS = ("Sulastri", "Wibowo", "0813-5555-8181", "081355558181", "6281355558181", "sulastri.w@example.com")


async def _upload(client: httpx.AsyncClient, intake_url: str, data: bytes) -> dict:
    session = await client.post(f"{intake_url}/v1/capture-sessions")
    assert session.status_code == 201, session.text
    photo = await client.post(
        f"{intake_url}/v1/photos",
        data={"capture_token": session.json()["capture_token"]},
        files={"file": ("IMG_0002.jpg", data, "application/octet-stream")},
    )
    assert photo.status_code == 201, photo.text
    return photo.json()


async def test_finishing_and_identity_go_through_the_running_intake(sigap, infra):
    status_url, intake_url = sigap.url("status"), sigap.url("intake")
    database = sigap.services["status"].database
    suffix = uuid.uuid4().hex[:6]
    admin, city = f"admin-dishub-{suffix}", f"admin-kota-{suffix}"
    create_staff_user(infra, database, admin, "sandi-rahasia-789", "--role", "dept_admin", "--department", "DISHUB")
    create_staff_user(infra, database, city, "sandi-rahasia-790", "--role", "city_admin")

    async with httpx.AsyncClient(timeout=15) as client:
        submitted = await client.post(
            f"{intake_url}/v1/complaints",
            json=lamp_complaint(
                description="Lampu PJU di Jl. Juanda dekat flyover mati sejak dua hari, gelap sekali",
                location=place(*PLACE, "Jl. Ir. H. Juanda"),
                privacy="rahasia",
                reporter=REPORTER,
            ),
        )
        assert submitted.status_code in (200, 201), submitted.text
        complaint_id = submitted.json()["id"]

        async def login(username: str, password: str) -> dict[str, str]:
            response = await client.post(f"{status_url}/v1/auth/login", json={"username": username, "password": password})
            assert response.status_code == 200, response.text
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

        admin_headers = await login(admin, "sandi-rahasia-789")
        city_headers = await login(city, "sandi-rahasia-790")
        staff_view = f"{status_url}/v1/staff/complaints/{complaint_id}"

        async def received():
            # A rahasia complaint is not public: staff follow it.
            response = await client.get(staff_view, headers=admin_headers)
            return response.json() if response.status_code == 200 and response.json()["status"] == "diterima" else None

        view = await eventually(received, timeout_s=30)
        assert view["department"] == "DISHUB"
        assert (await client.get(f"{status_url}/v1/complaints/{complaint_id}")).status_code == 404

        async def transition(**body) -> httpx.Response:
            current = (await client.get(staff_view, headers=admin_headers)).json()["version"]
            return await client.post(
                f"{status_url}/v1/complaints/{complaint_id}/transitions",
                json={"expected_version": current, **body},
                headers=admin_headers,
            )

        assert (await transition(to="terverifikasi")).status_code == 200
        assert (await transition(to="dalam_proses")).status_code == 200

        gallery = await _upload(client, intake_url, jpeg(scene(uuid.uuid4().int % 10**9)))
        refused = await transition(to="selesai", resolution_note="Lampu diganti", after_photo_ids=[gallery["id"]])
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["photo_id"] == gallery["id"]
        live = await _upload(client, intake_url, camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC), gps=PLACE))
        finished = await transition(to="selesai", resolution_note="Lampu diganti", after_photo_ids=[live["id"]])
        assert finished.status_code == 200, finished.text
        assert finished.json()["status"] == "selesai"

        reason = "Konfirmasi lokasi langsung dengan pelapor"
        identity = await client.get(
            f"{status_url}/v1/staff/complaints/{complaint_id}/reporter-identity",
            params={"reason": reason},
            headers=city_headers,
        )
        assert identity.status_code == 200, identity.text
        assert identity.json()["name"] == REPORTER["name"] and identity.json()["email"] == REPORTER["email"]
        refused_admin = await client.get(
            f"{status_url}/v1/staff/complaints/{complaint_id}/reporter-identity",
            params={"reason": reason},
            headers=admin_headers,
        )
        assert refused_admin.status_code == 403

        access_log = await client.get(
            f"{intake_url}/internal/v1/identities/access-log",
            params={"complaint_id": complaint_id},
            headers={"Authorization": f"Bearer {INTAKE_DEVELOPMENT_INTERNAL_TOKEN}"},
        )
        assert [(e["actor"], e["outcome"]) for e in access_log.json()["entries"]] == [(city, "revealed")]

    records = await collect(
        infra.kafka_bootstrap,
        [infra.topic(TOPIC_COMPLAINT_STATUS)],
        keep=lambda record: record.key == complaint_id.encode(),
        until=lambda kept: any(b'"selesai"' in (record.value or b"") for record in kept),
        timeout_s=30,
    )
    assert records
    assert not any(secret.encode() in (record.value or b"") for record in records for secret in SECRETS)
    status_log = sigap.services["status"].log_text()
    assert "reporter_identity_viewed" in status_log
    assert not any(secret in status_log for secret in SECRETS)
