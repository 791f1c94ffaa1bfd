"""A data-subject access request through the running services (UU 27/2022 Art. 32): the
reporter asks at intake with their tracking code and follow-up token, the data protection
officer answers through intake's internal API, and the export holds what intake, status,
notify and routing hold about the reporter (assembled over their HTTP APIs), with the answer in
the audit log; then a granted deletion leaves no identity at intake, no contact for notify and
no pseudonym at routing."""

from __future__ import annotations

import httpx
import pytest

from sigap_status.lifecycle.rules import REPORTER_ACTOR, SYSTEM_ACTOR
from tests.e2e.conftest import INTAKE_DEVELOPMENT_INTERNAL_TOKEN
from tests.support.governance import answer_at_intake, ask_privacy, complaint_body, submit
from tests.support.kafka import eventually

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {INTAKE_DEVELOPMENT_INTERNAL_TOKEN}"}
REPORTER = {"name": "Dewi Kartika Sari", "phone": "0857-2222-4141", "email": "dewi.kartika@example.com"}
FALLEN_TREE = complaint_body(
    "Pohon besar tumbang di Jl. Nusantara Raya, menutup separuh jalan sejak pagi", "pohon_tumbang",
    privacy="rahasia", at=(-6.39, 106.82), address="Jl. Nusantara Raya", title="Pohon tumbang menutup jalan",
    reporter=REPORTER,
)  # fmt: skip
DARK_TRAFFIC_LIGHT = complaint_body(
    "Lampu lalu lintas di simpang Ramanda mati, kendaraan saling serobot", "lampu_lalu_lintas",
    privacy="rahasia", at=(-6.40, 106.81), reporter={"email": "bayu.pratama@example.com"},
)  # fmt: skip


async def test_an_access_request_exports_what_every_service_holds_and_is_audited(sigap):
    intake, status, notify = sigap.url("intake"), sigap.url("status"), sigap.url("notify")
    routing = sigap.url("routing")
    async with httpx.AsyncClient(timeout=20) as client:
        receipt = await submit(client, FALLEN_TREE, intake=intake)
        code, token, complaint_id = receipt["tracking_code"], receipt["follow_up_token"], receipt["id"]
        held_at = f"/internal/v1/personal-data/complaints/{complaint_id}"

        async def status_knows() -> bool:
            return (await client.get(f"{status}{held_at}", headers=AUTH)).status_code == 200

        await eventually(status_knows, timeout_s=60)

        # Notify plans a message for the reporter's chosen channel (email) once it knows the
        # complaint; this system's notify has no intake to resolve the address, so it stays unsent.
        async def reporter_messages() -> list:
            response = await client.get(f"{notify}{held_at}", headers=AUTH)
            return response.json()["messages"] if response.status_code == 200 else []

        planned = await eventually(reporter_messages, timeout_s=60, interval_s=0.5)

        async def routing_knows() -> bool:
            return (await client.get(f"{routing}{held_at}", headers=AUTH)).status_code == 200

        await eventually(routing_knows, timeout_s=60)

        # Internal data is for Sigap's services only.
        assert (await client.get(f"{status}{held_at}")).status_code == 401
        assert (await client.get(f"{notify}{held_at}")).status_code == 401
        assert (await client.get(f"{routing}{held_at}")).status_code == 401

        asked = await ask_privacy(client, code, token, "access", intake=intake)
        assert asked.status_code == 201, asked.text
        reason = "Seluruh data pribadi Anda di Sigap terlampir."
        answered = await answer_at_intake(client, asked.json()["request_id"], auth=AUTH, reason=reason, intake=intake)
        assert answered.status_code == 200, answered.text

        mine = await client.get(f"{intake}/v1/track/{code}/privacy-requests", headers={"X-Follow-Up-Token": token})
        export = mine.json()[0]["export"]
        # intake: the identity and the complaint
        assert export["identity"] == REPORTER
        assert export["complaint"]["tracking_code"] == code
        # status: the same complaint by pseudonym, and its timeline without staff names
        assert export["status"]["reporter_pseudonym"] == export["reporter_pseudonym"]
        assert export["status"]["description"].startswith("Pohon besar tumbang")
        assert export["status"]["timeline"]
        assert {entry["by"] for entry in export["status"]["timeline"]} <= {REPORTER_ACTOR, SYSTEM_ACTOR, "petugas"}
        # notify: the messages meant for the reporter, and no one else's
        assert export["notify"]["complaint_id"] == complaint_id
        assert [m["template"] for m in export["notify"]["messages"]][: len(planned)] == [m["template"] for m in planned]
        assert export["notify"]["subscriptions"] == []
        # routing: the pseudonym and the channels kept with its decision
        assert export["routing"]["tracking_code"] == code
        assert export["routing"]["reporter"]["pseudonym"] == export["reporter_pseudonym"]

        audit = await client.get(f"{intake}/internal/v1/privacy/audit", params={"complaint_id": complaint_id}, headers=AUTH)
        assert [entry["action"] for entry in audit.json()] == [
            "request_received:access", "export_prepared", "request_answered", "export_delivered",
        ]  # fmt: skip

        # A granted deletion: intake no longer knows who the reporter is.
        deletion = await ask_privacy(client, code, token, "deletion", intake=intake)
        erased = await answer_at_intake(
            client, deletion.json()["request_id"], auth=AUTH, reason="Data Anda dihapus.", intake=intake
        )
        assert erased.status_code == 200, erased.text
        contact = await client.post(
            f"{intake}/internal/v1/reporter-contacts/resolve",
            json={"pseudonym": export["reporter_pseudonym"], "channel": "email"},
            headers=AUTH,
        )
        assert contact.status_code == 404
        at_routing = (await client.get(f"{routing}{held_at}", headers=AUTH)).json()
        assert at_routing["reporter"] is None and at_routing["tracking_code"] == code
        assert REPORTER["email"] not in sigap.services["intake"].log_text()


async def test_the_dpo_answers_through_status_and_other_roles_are_refused(sigap, staff):
    intake, status = sigap.url("intake"), sigap.url("status")
    async with httpx.AsyncClient(timeout=20) as client:
        receipt = await submit(client, DARK_TRAFFIC_LIGHT, intake=intake)
        code, token = receipt["tracking_code"], receipt["follow_up_token"]
        dpo, city_admin = await staff.headers("dpo"), await staff.headers("city_admin")

        # A counter request recorded by the city admin, after checking who asks.
        recorded = await client.post(
            f"{status}/v1/privacy/requests", json={"tracking_code": code, "kind": "restriction"}, headers=city_admin
        )
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["verified_by"] == "city-admin.kota"
        request_id = (await ask_privacy(client, code, token, "access", intake=intake)).json()["request_id"]

        # The city admin follows the queue; the answers are the dpo's alone.
        assert (await client.get(f"{status}/v1/privacy/requests", headers=city_admin)).status_code == 200
        queue = await client.get(f"{status}/v1/privacy/requests", headers=dpo)
        assert queue.status_code == 200, queue.text
        assert {request_id, recorded.json()["id"]} <= {entry["id"] for entry in queue.json()}
        refused = await client.post(
            f"{status}/v1/privacy/requests/{request_id}/answer",
            json={"decision": "answered", "reason": "Terlampir."},
            headers=city_admin,
        )
        assert refused.status_code == 403

        async def status_knows() -> bool:
            held = f"{status}/internal/v1/personal-data/complaints/{receipt['id']}"
            return (await client.get(held, headers=AUTH)).status_code == 200

        await eventually(status_knows, timeout_s=60)
        answered = await client.post(
            f"{status}/v1/privacy/requests/{request_id}/answer",
            json={"decision": "answered", "reason": "Seluruh data Anda terlampir."},
            headers=dpo,
        )
        assert answered.status_code == 200, answered.text
        assert answered.json()["state"] == "answered" and answered.headers["cache-control"] == "no-store"
        # The answer says an export is ready; the dpo takes it with a read that is audited.
        assert answered.json()["has_export"] is True and answered.json()["export"] is None
        taken = await client.get(f"{status}/v1/privacy/requests/{request_id}", params={"export": "true"}, headers=dpo)
        assert taken.status_code == 200 and taken.headers["cache-control"] == "no-store"
        assert taken.json()["export"]["identity"]["email"] == "bayu.pratama@example.com"

        audit = await client.get(f"{status}/v1/privacy/audit", params={"complaint_id": receipt["id"]}, headers=dpo)
        entries = [(entry["action"], entry["actor"], entry["actor_role"]) for entry in audit.json()]
        assert entries == [
            ("request_received:restriction", "city-admin.kota", "city_admin"),
            ("request_received:access", "pelapor", "reporter"),
            ("export_prepared", "dpo.kota", "dpo"),
            ("request_answered", "dpo.kota", "dpo"),
            ("export_delivered", "dpo.kota", "dpo"),
        ]
