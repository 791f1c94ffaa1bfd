"""One complaint through all four services over real Kafka: HTTP in at intake, observed at
status and notify, and every message it caused checked against the CloudEvents SDK."""

from __future__ import annotations

import httpx
import pytest

from sigap_shared.events import (
    TOPIC_COMPLAINT_ROUTED,
    TOPIC_COMPLAINT_STATUS,
    TOPIC_COMPLAINT_SUBMITTED,
)
from tests.support.cloudevents_sdk import parse_record
from tests.support.complaints import lamp_complaint
from tests.support.kafka import collect, eventually

pytestmark = pytest.mark.e2e

COMPLAINT = lamp_complaint()


async def _get_json(url: str, headers: dict[str, str] | None = None) -> dict | None:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(url, headers=headers)
    return response.json() if response.status_code == 200 else None


async def test_complaint_reaches_department_and_notifications(sigap, infra, staff):
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{sigap.url('intake')}/v1/complaints", json=COMPLAINT)
    assert response.status_code == 201, response.text
    receipt = response.json()
    complaint_id = receipt["id"]
    assert receipt["tracking_code"].startswith("SGP-")

    async def received() -> dict | None:
        body = await _get_json(f"{sigap.url('status')}/v1/complaints/{complaint_id}")
        return body if body and body["status"] == "diterima" else None

    status = await eventually(received, timeout_s=60)
    assert status["department"] == "DISHUB"
    # The public view never hands out the tracking code (with the token, the reporter's key).
    assert "tracking_code" not in status

    async def timeline_complete() -> dict | None:
        body = await _get_json(f"{sigap.url('status')}/v1/complaints/{complaint_id}")
        return body if body and len(body["timeline"]) == 3 else None

    status = await eventually(timeline_complete, timeout_s=60)
    assert [entry["type"] for entry in status["timeline"]] == [
        "sigap.complaint.submitted.v1",
        "sigap.complaint.routed.v1",
        "sigap.complaint.status_changed.v1",
    ]

    async def notified() -> dict | None:
        body = await _get_json(
            f"{sigap.url('notify')}/v1/complaints/{complaint_id}/notifications",
            headers=await staff.headers("dept_admin", "DISHUB"),
        )
        return body if body and len(body["notifications"]) >= 4 else None

    notifications = (await eventually(notified, timeout_s=60))["notifications"]
    pairs = {(n["recipient"], n["channel"], n["template"]) for n in notifications}
    assert ("department:DISHUB:admins", "dashboard", "staff.new_in_queue") in pairs
    assert ("department:DISHUB:admins", "email", "staff.new_in_queue") in pairs
    reporter_rows = [n for n in notifications if n["recipient"].startswith("reporter:")]
    assert {n["channel"] for n in reporter_rows} == {"email", "sms"}
    assert all(n["template"] == "reporter.status.diterima" for n in reporter_rows)
    assert len(notifications) == 4

    # Every message this complaint caused, on every topic, is a CloudEvent the SDK can parse,
    # and none of them carries the reporter's identity.
    records = await collect(
        infra.kafka_bootstrap,
        [infra.topic(TOPIC_COMPLAINT_SUBMITTED), infra.topic(TOPIC_COMPLAINT_ROUTED), infra.topic(TOPIC_COMPLAINT_STATUS)],
        keep=lambda record: record.key == complaint_id.encode(),
        until=lambda kept: len({record.topic for record in kept}) == 3,
        settle_s=0.5,
    )
    assert {record.topic for record in records} == {
        infra.topic(TOPIC_COMPLAINT_SUBMITTED),
        infra.topic(TOPIC_COMPLAINT_ROUTED),
        infra.topic(TOPIC_COMPLAINT_STATUS),
    }
    for record in records:
        event = parse_record(record)
        assert event["specversion"] == "1.0"
        assert event["subject"] == complaint_id
        assert event["source"].startswith("sigap/")
        assert event["type"].startswith("sigap.complaint.")
        assert event["datacontenttype"] == "application/json"
        assert event["data"]["complaint_id"] == complaint_id
        raw = record.value.decode() + repr(record.headers)
        for secret in ("Siti", "Rahmawati", "0812", "3456", "siti.rahma@example.com"):
            assert secret not in raw


async def test_invalid_complaint_is_rejected_with_problem_details(sigap):
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{sigap.url('intake')}/v1/complaints",
            json={"description": "rusak", "location": {"lat": 200, "lon": 106.8}},
        )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {error["field"] for error in body["errors"]} == {"description", "location.lat"}
    assert body["title"] == "Data yang dikirim tidak valid"


async def test_unknown_complaint_is_a_404_problem(sigap):
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{sigap.url('status')}/v1/complaints/5f0c7c3e-2a4e-4d1e-9a47-1b2c3d4e5f60")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
