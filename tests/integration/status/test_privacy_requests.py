"""The data protection officer's read of one personal-data request through status, with a real
intake behind it: the dpo and the city admin read it (and the queue and the audit), other roles
are refused before intake is asked, an unknown request is a 404 problem, and the export of a
granted access request (it carries the reporter's identity) reaches the dpo alone."""

from __future__ import annotations

import uuid

import pytest

from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from tests.integration.status.intake_support import status_calling_intake
from tests.support.complaints import lamp_complaint

pytestmark = pytest.mark.integration

IDENTITY = {"name": "Wahyu Nugroho", "phone": "0813-4545-7171", "email": "wahyu.n@example.com"}
INTERNAL = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}


async def _asked(live, kind: str) -> tuple[dict, str]:
    """A confidential complaint and its reporter's request of `kind`: (receipt, request id)."""
    receipt = await live.intake.client.post("/v1/complaints", json=lamp_complaint(privacy="rahasia", reporter=IDENTITY))
    assert receipt.status_code == 201, receipt.text
    asked = await live.intake.client.post(
        f"/v1/track/{receipt.json()['tracking_code']}/privacy-requests",
        json={"kind": kind, "details": "Mohon salinan data saya"},
        headers={"X-Follow-Up-Token": receipt.json()["follow_up_token"]},
    )
    assert asked.status_code == 201, asked.text
    return receipt.json(), asked.json()["request_id"]


async def test_intake_gives_one_request_to_sigap_services_only(live_intake):
    live = live_intake
    _, request_id = await _asked(live, "correction")
    one = await live.intake.client.get(f"/internal/v1/privacy/requests/{request_id}", headers=INTERNAL)
    assert one.status_code == 200, one.text
    assert one.headers["cache-control"] == "no-store"
    request = one.json()
    assert (request["id"], request["kind"], request["state"]) == (request_id, "correction", "open")
    assert request["proof"] == "follow_up_token" and request["details"] == "Mohon salinan data saya"
    assert request["tracking_code"].startswith("SGP-")
    assert (await live.intake.client.get(f"/internal/v1/privacy/requests/{request_id}")).status_code == 401
    unknown = await live.intake.client.get(f"/internal/v1/privacy/requests/{uuid.uuid4()}", headers=INTERNAL)
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("application/problem+json")
    bad = await live.intake.client.get("/internal/v1/privacy/requests/not-a-uuid", headers=INTERNAL)
    assert bad.status_code == 422


async def test_the_dpo_and_the_city_admin_read_a_request_and_only_the_dpo_its_export(status_api, live_intake):
    api, live = status_api, live_intake
    receipt, request_id = await _asked(live, "access")
    _, dpo = await api.staff("dpo")
    _, city_admin = await api.staff("city_admin")
    _, dept_admin = await api.staff("dept_admin", "DISHUB")
    path = f"/v1/privacy/requests/{request_id}"

    async with status_calling_intake(api, live.url):
        for headers in (dpo, city_admin):
            one = await api.client.get(path, headers=headers)
            assert one.status_code == 200, one.text
            assert one.json()["state"] == "open" and one.json()["complaint_id"] == receipt["id"]
            assert one.json()["tracking_code"] == receipt["tracking_code"]
            assert one.headers["cache-control"] == "no-store"
        for refused in (dept_admin, {}):
            assert (await api.client.get(path, headers=refused)).status_code in (401, 403)
        unknown = await api.client.get(f"/v1/privacy/requests/{uuid.uuid4()}", headers=dpo)
        assert unknown.status_code == 404, unknown.text
        assert unknown.headers["content-type"].startswith("application/problem+json")
        assert "tidak ditemukan" in unknown.json()["detail"]
        assert (await api.client.get("/v1/privacy/requests/bukan-id", headers=dpo)).status_code == 422

        answered = await api.client.post(
            f"{path}/answer", json={"decision": "answered", "reason": "Seluruh data Anda terlampir."}, headers=dpo
        )
        assert answered.status_code == 200, answered.text

        # Reading the request shows an export is ready without handing it out.
        read = (await api.client.get(path, headers=dpo)).json()
        assert read["state"] == "answered" and read["has_export"] is True and read["export"] is None
        granted = (await api.client.get(path, params={"export": "true"}, headers=dpo)).json()
        assert granted["state"] == "answered" and granted["export"]["identity"] == IDENTITY
        assert granted["export"]["complaint"]["tracking_code"] == receipt["tracking_code"]
        # The city admin follows the request but never holds the identity it exported.
        as_city = await api.client.get(path, params={"export": "true"}, headers=city_admin)
        assert as_city.json()["state"] == "answered" and as_city.json()["export"] is None
        assert IDENTITY["email"] not in as_city.text
        dpo_queue = await api.client.get("/v1/privacy/requests", params={"state": "answered"}, headers=dpo)
        assert dpo_queue.status_code == 200 and IDENTITY["email"] not in dpo_queue.text
        closed = await api.client.get("/v1/privacy/requests", params={"state": "answered"}, headers=city_admin)
        assert closed.status_code == 200 and IDENTITY["email"] not in closed.text
        assert request_id in {entry["id"] for entry in closed.json()}
        audit = await api.client.get("/v1/privacy/audit", params={"complaint_id": receipt["id"]}, headers=city_admin)
        # The dpo's one download is audited under their name; reading and the queue are not.
        assert [entry["action"] for entry in audit.json()] == [
            "request_received:access", "export_prepared", "request_answered", "export_delivered"
        ]
        assert audit.json()[-1]["actor_role"] == "dpo" and audit.json()[-1]["actor"] != "pelapor"
