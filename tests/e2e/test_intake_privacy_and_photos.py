"""Intake end to end over real Kafka: a confidential reporter's identity reaches no Kafka
message, no service log and no plaintext database column; a live photo travels as evidence."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from sigap_shared.events import TOPIC_COMPLAINT_SUBMITTED, all_topics
from tests.support.kafka import collect, eventually
from tests.unit.intake.images import camera_photo

pytestmark = pytest.mark.e2e


def _reporter() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {
        "name": f"Dewi Kartika{tag}",
        "phone": "0857" + "".join(random.choice("0123456789") for _ in range(8)),
        "email": f"dewi.{tag}@example.com",
    }


async def _status_of(sigap, complaint_id: str, headers: dict[str, str]) -> dict | None:
    """The complaint as staff see it at status (rahasia and anonim complaints are not public)."""
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"{sigap.url('status')}/v1/staff/complaints/{complaint_id}", headers=headers)
    body = response.json() if response.status_code == 200 else None
    return body if body and len(body.get("timeline", ())) >= 3 else None


async def test_confidential_identity_is_in_no_message_no_log_and_not_plain_in_the_database(sigap, infra, staff):
    reporter = _reporter()
    secrets = [reporter["name"], reporter["phone"], reporter["email"], reporter["name"].split()[1]]
    complaint = {
        "kind": "pengaduan",
        "description": "Pungutan liar di loket pelayanan kelurahan, saya minta identitas dirahasiakan",
        "location": {"address": "Kantor Kelurahan Pancoran Mas"},
        "privacy": "rahasia",
        "reporter": reporter,
    }
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{sigap.url('intake')}/v1/complaints",
            json=complaint,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    assert response.status_code == 201, response.text
    complaint_id = response.json()["id"]
    auditor = await staff.headers("auditor")
    await eventually(lambda: _status_of(sigap, complaint_id, auditor), timeout_s=30)

    records = await collect(
        infra.kafka_bootstrap,
        [infra.topic(topic) for topic in all_topics()],
        keep=lambda record: record.key == complaint_id.encode()
        or any(secret.encode() in (record.value or b"") + repr(record.headers).encode() for secret in secrets),
        until=lambda kept: len(kept) >= 3,
        settle_s=1.0,
    )
    assert len(records) >= 3
    for record in records:
        wire = (record.value or b"") + repr(record.headers).encode()
        for secret in secrets:
            assert secret.encode() not in wire, (record.topic, secret)
    submitted = [r for r in records if r.topic == infra.topic(TOPIC_COMPLAINT_SUBMITTED)]
    assert b"Pelapor-" in submitted[0].value  # the pseudonym travels instead

    for name, service in sigap.services.items():
        log_text = service.log_text()
        assert log_text, name
        for secret in secrets:
            assert secret not in log_text, (name, secret)
    assert complaint_id in sigap.services["intake"].log_text()

    conn = await asyncpg.connect(**infra.pg_kwargs(sigap.services["intake"].database))
    try:
        dump = await conn.fetchval(
            "SELECT string_agg(t, ' ') FROM ("
            " SELECT row_to_json(c)::text AS t FROM complaints c"
            " UNION ALL SELECT row_to_json(k)::text FROM idempotency_keys k"
            " UNION ALL SELECT encode(payload, 'escape') FROM outbox) rows"
        )
    finally:
        await conn.close()
    assert complaint_id in dump
    for secret in secrets:
        assert secret not in dump


async def test_anonymous_report_collects_nothing_and_still_flows(sigap, infra, staff):
    anonymous = {
        "description": "Parkir liar menutup trotoar di depan stasiun Depok Baru",
        "location": {"lat": -6.3915, "lon": 106.8171},
        "privacy": "anonim",
    }
    async with httpx.AsyncClient(timeout=10) as client:
        complaints = f"{sigap.url('intake')}/v1/complaints"
        refused = await client.post(complaints, json={**anonymous, "reporter": {"name": "Tidak Boleh"}})
        assert refused.status_code == 422
        response = await client.post(complaints, json=anonymous)
    assert response.status_code == 201
    auditor = await staff.headers("auditor")
    status = await eventually(lambda: _status_of(sigap, response.json()["id"], auditor), timeout_s=30)
    assert status["tracking_code"] == response.json()["tracking_code"]


async def test_live_photo_travels_as_evidence_with_the_complaint(sigap, infra, staff):
    intake = sigap.url("intake")
    async with httpx.AsyncClient(timeout=20) as client:
        session = (await client.post(f"{intake}/v1/capture-sessions")).json()
        photo = camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC), gps=(-6.3925, 106.8226))
        uploaded = await client.post(
            f"{intake}/v1/photos",
            data={"capture_token": session["capture_token"]},
            files={"file": ("x.bin", photo, "application/octet-stream")},
        )
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["verdict"] == "verified_live"
        with_photo = {
            "description": "Lampu PJU mati di Jl. Nusantara Raya, foto terlampir",
            "category": "lampu_jalan",
            "location": {"lat": -6.3925, "lon": 106.8226},
            "photos": [uploaded.json()["id"]],
        }
        response = await client.post(f"{intake}/v1/complaints", json=with_photo)
    assert response.status_code == 201, response.text
    complaint_id = response.json()["id"]
    records = await collect(
        infra.kafka_bootstrap,
        [infra.topic(TOPIC_COMPLAINT_SUBMITTED)],
        keep=lambda record: record.key == complaint_id.encode(),
        until=lambda kept: len(kept) >= 1,
    )
    import orjson

    event = orjson.loads(records[0].value)
    assert event["photo_verdict"] == "verified_live"
    assert event["photos"] == [
        {"photo_id": uploaded.json()["id"], "verdict": "verified_live", "reasons": [], "similar_to_complaints": []}
    ]
    auditor = await staff.headers("auditor")
    await eventually(lambda: _status_of(sigap, complaint_id, auditor), timeout_s=30)


async def test_reporter_tracks_the_report_as_other_services_move_it(sigap):
    async with httpx.AsyncClient(timeout=10) as client:
        confidential = {
            "description": "Lampu PJU mati di Jl. Margonda Raya depan halte UI",
            "category": "lampu_jalan",
            "location": {"lat": -6.3606, "lon": 106.8317},
            "privacy": "rahasia",
            "reporter": {"phone": "081200001111"},
        }
        response = await client.post(f"{sigap.url('intake')}/v1/complaints", json=confidential)
        assert response.status_code == 201
        receipt = response.json()

        async def routed() -> dict | None:
            view = await client.get(
                f"{sigap.url('intake')}/v1/track/{receipt['tracking_code']}",
                headers={"X-Follow-Up-Token": receipt["follow_up_token"]},
            )
            body = view.json() if view.status_code == 200 else None
            return body if body and body["department"] and body["timeline"] else None

        view = await eventually(routed, timeout_s=40)
        assert view["department"] == "DISHUB"
        assert view["description"].startswith("Lampu PJU")
        hidden = await client.get(f"{sigap.url('intake')}/v1/track/{receipt['tracking_code']}")
        assert hidden.status_code == 404


async def test_open311_client_reads_a_routed_request_in_both_formats(sigap):
    import xml.etree.ElementTree as ET

    base = f"{sigap.url('intake')}/open311/v2"
    async with httpx.AsyncClient(timeout=10) as client:
        discovery = (await client.get(f"{base}/discovery.json")).json()
        assert discovery["endpoints"][0]["url"].endswith("/open311/v2")  # clients append /services.xml
        response = await client.post(
            f"{sigap.url('intake')}/v1/complaints",
            json={
                "description": "Lampu PJU padam sepanjang Jl. Tole Iskandar",
                "category": "lampu_jalan",
                "location": {"lat": -6.3960, "lon": 106.8400},
            },
        )
        request_id = response.json()["id"]

        async def routed() -> ET.Element | None:
            answer = await client.get(f"{base}/requests/{request_id}.xml")
            if answer.status_code != 200:
                return None
            root = ET.fromstring(answer.content)
            return root if root.findtext("request/agency_responsible") else None

        root = await eventually(routed, timeout_s=40)
        assert root.findtext("request/agency_responsible") == "DISHUB"
        assert root.findtext("request/status") == "open"
        as_json = (await client.get(f"{base}/requests/{request_id}.json")).json()
        assert as_json[0]["service_request_id"] == request_id and as_json[0]["service_code"] == "lampu_jalan"
        assert response.json()["tracking_code"] not in str(as_json)
        refused = await client.post(f"{base}/requests.json", data={"service_code": "lampu_jalan"})
        assert refused.status_code == 403 and refused.json()[0]["code"] == 403
