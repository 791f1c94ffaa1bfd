"""A complaint submitted at intake, delivered by a notify process (the real entrypoint) to a
real SMTP server, a real signature-checking webhook receiver and the department's Kafka topic;
and the AsyncAPI document it serves."""

from __future__ import annotations

import uuid

import httpx
import pytest

from sigap_notify.events.audience import department_topic
from sigap_shared.events import EVENT_TYPES
from tests.integration.notify.support import WebhookReceiver, serve_asgi, smtp_server
from tests.support.cloudevents_sdk import parse_record
from tests.support.complaints import traffic_light_complaint
from tests.support.infra import random_name
from tests.support.kafka import collect, eventually
from tests.support.services import SigapSystem, start_service, wait_ready

# What the e2e intake runs with (its development default; services never import each other).
INTAKE_DEVELOPMENT_INTERNAL_TOKEN = "sigap-development-internal-token-change-me"

pytestmark = pytest.mark.e2e

COMPLAINT = traffic_light_complaint(
    description="Lampu lalu lintas di simpang Margonda - Juanda mati sejak pagi, macet parah",
    reporter={"name": "Budi Santoso", "phone": "0813-9876-5432", "email": "budi.santoso@example.com"},
)


async def test_submitted_complaint_reaches_department_email_webhook_and_topic(
    sigap, infra, databases, tmp_path, staff
):
    secret = "rahasia-e2e-" + uuid.uuid4().hex
    receiver = WebhookReceiver(secret=secret)
    async with smtp_server() as smtp, serve_asgi(receiver.app()) as receiver_url:
        notify = SigapSystem()
        notify.services["notify"] = start_service(
            "notify",
            infra=infra,
            database=await databases.create("sigap_e2e_notify_delivery"),
            group_prefix=random_name("e2e-notify"),
            log_dir=tmp_path,
            extra_env={
                "SIGAP_SMTP_HOST": "127.0.0.1",
                "SIGAP_SMTP_PORT": str(smtp.port),
                "SIGAP_WEBHOOK_ALLOW_HTTP": "true",
                "SIGAP_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',  # the receiver listens on loopback
                "SIGAP_DISPATCHER_POLL_INTERVAL_S": "0.2",
                # The real intake resolves the reporter's pseudonym at send time.
                "SIGAP_INTAKE_INTERNAL_URL": sigap.url("intake"),
                "SIGAP_INTERNAL_TOKEN": INTAKE_DEVELOPMENT_INTERNAL_TOKEN,
                # Staff tokens are checked against the real accounts at status.
                "SIGAP_STATUS_INTERNAL_URL": sigap.url("status"),
            },
        )
        try:
            wait_ready(notify)
            url = notify.url("notify")
            headers = await staff.headers("dept_admin", "DISHUB")
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.put(
                    f"{url}/v1/departments/DISHUB/contacts",
                    json={"emails": ["antrean@dishub.depok.go.id"]},
                    headers=headers,
                )
                assert response.status_code == 200, response.text
                response = await client.post(
                    f"{url}/v1/departments/DISHUB/webhooks",
                    json={"url": f"{receiver_url}/hook", "secret": secret},
                    headers=headers,
                )
                assert response.status_code == 201, response.text
                response = await client.post(f"{sigap.url('intake')}/v1/complaints", json=COMPLAINT)
                assert response.status_code == 201, response.text
                complaint_id = response.json()["id"]

                # Other Sigap systems may share this Kafka (parallel test sessions) and route the
                # same complaint again: every event counts, each delivered once.
                await eventually(
                    lambda: (
                        {e["type"] for e in receiver.events if e["subject"] == complaint_id}
                        >= {"sigap.complaint.routed.v1", "sigap.complaint.status_changed.v1"}
                    ),
                    timeout_s=60,
                )

                async def log_final():
                    log_url = f"{url}/v1/complaints/{complaint_id}/notifications"
                    body = (await client.get(log_url, headers=headers)).json()
                    rows = body["notifications"]
                    final = all(n["status"] in ("sent", "failed", "undeliverable") for n in rows)
                    return rows if rows and final else None

                log = await eventually(log_final, timeout_s=60)
                mails = smtp.inbox.for_complaint(complaint_id)
                mine = [event for event in receiver.events if event["subject"] == complaint_id]
                asyncapi = (await client.get(f"{url}/asyncapi.json")).json()
        finally:
            notify.stop()

    def notification_id(mail) -> int:
        return int(mail["Message-ID"].strip().removeprefix("<notification-").split(".")[0])

    logged = {n["id"] for n in log}
    mails = [mail for mail in mails if notification_id(mail) in logged]  # not a row routed later
    sent_emails = {n["id"]: n for n in log if n["channel"] == "email" and n["status"] == "sent"}
    mail_ids = [notification_id(mail) for mail in mails]
    assert sorted(mail_ids) == sorted(sent_emails)  # every sent row is exactly one mail
    for mail in mails:
        row = sent_emails[notification_id(mail)]
        if row["recipient"] == "department:DISHUB:admins":
            assert mail["To"] == "antrean@dishub.depok.go.id" and mail["Subject"].startswith("Laporan baru SGP-")
            assert row["address"] == "a***@d***.id"
        else:
            tracking_code = mine[0]["data"]["tracking_code"]
            assert mail["To"] == "budi.santoso@example.com"
            assert mail["Subject"] == f"Laporan {tracking_code} telah diterima"
            assert row["recipient"].startswith("reporter:Pelapor-") and row["address"] == "b***@e***.com"
    assert {sent_emails[i]["template"] for i in mail_ids} == {"staff.new_in_queue", "reporter.status.diterima"}
    hooks = [n for n in log if n["channel"] == "webhook"]
    assert all(n["status"] == "sent" for n in hooks)
    assert len({e["id"] for e in mine}) == len(mine)  # no event twice
    assert {e["id"] for e in mine} >= {n["event_id"] for n in hooks}
    assert receiver.bad_signatures == 0
    # No SMS gateway is configured: reported, not retried forever.
    assert {n["status"] for n in log if n["channel"] == "sms"} == {"undeliverable"}

    records = await collect(
        infra.kafka_bootstrap,
        [infra.topic(department_topic("DISHUB"))],
        keep=lambda record: record.key == complaint_id.encode(),
        until=lambda kept: len(kept) >= len(hooks),
        timeout_s=60,
    )
    assert {parse_record(record)["id"] for record in records} >= {n["event_id"] for n in hooks}
    assert {parse_record(record)["type"] for record in records} == {
        "sigap.complaint.routed.v1",
        "sigap.complaint.status_changed.v1",
    }
    for record in records:
        raw = record.value.decode() + repr(record.headers)
        for secret_text in ("Budi", "Santoso", "0813", "budi.santoso@example.com", "Pelapor-"):
            assert secret_text not in raw
    assert set(EVENT_TYPES) <= {m["title"] for m in asyncapi["components"]["messages"].values()}
