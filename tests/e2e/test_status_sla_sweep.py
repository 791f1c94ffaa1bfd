"""The running status service reports a passed deadline on Kafka by itself, once, and climbs
the first step of its escalation ladder, once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from sigap_shared.events import TOPIC_COMPLAINT_SLA
from tests.support.cloudevents_sdk import parse_record
from tests.support.infra import random_name
from tests.support.kafka import collect, eventually
from tests.support.services import SigapSystem, start_service, wait_ready

pytestmark = pytest.mark.e2e


async def test_sweep_publishes_a_breach_once(infra, databases, tmp_path):
    database = await databases.create("sigap_e2e_status_sla")
    system = SigapSystem()
    system.services["status"] = start_service(
        "status",
        infra=infra,
        database=database,
        group_prefix=random_name("e2e_sla"),
        log_dir=tmp_path,
        extra_env={"SIGAP_SLA_SWEEP_INTERVAL_S": "0.5", "SIGAP_KAFKA_OFFSET_RESET": "latest"},
    )
    try:
        await asyncio.to_thread(wait_ready, system)
        complaint_id = uuid.uuid4()
        conn = await asyncpg.connect(**infra.pg_kwargs(database))
        try:
            await conn.execute(
                "INSERT INTO complaints (id, tracking_code, department, status, submitted_at, sla_stage, sla_due_at,"
                " privacy, publicly_visible) VALUES ($1, 'SGP-TEST-SL', 'DISHUB', 'diterima', $2, 'verify', $2,"
                " 'publik', true)",
                complaint_id,
                datetime.now(UTC),
            )
            await eventually(
                lambda: conn.fetchval("SELECT sla_breached_at FROM complaints WHERE id = $1", complaint_id), timeout_s=30
            )
        finally:
            await conn.close()
        records = await collect(
            infra.kafka_bootstrap,
            [infra.topic(TOPIC_COMPLAINT_SLA)],
            keep=lambda record: record.key == str(complaint_id).encode(),
            until=lambda kept: len(kept) >= 2,
            timeout_s=30,
            settle_s=2.0,
        )
        # The breach, and the first step of the default escalation ladder (the head of
        # department, at the breach): each once.
        events = sorted((parse_record(record) for record in records), key=lambda event: event["type"])
        assert [event["type"] for event in events] == [
            "sigap.complaint.escalated.v1",
            "sigap.complaint.sla_breached.v1",
        ]
        escalated, event = events
        assert (event["data"]["stage"], event["data"]["department"]) == ("verify", "DISHUB")
        assert (escalated["data"]["step"], escalated["data"]["department"]) == ("head_of_department", "DISHUB")
        async with httpx.AsyncClient(timeout=5) as client:
            public = (await client.get(f"{system.url('status')}/v1/complaints/{complaint_id}")).json()
        assert "sigap.complaint.sla_breached.v1" in [entry["type"] for entry in public["timeline"]]
    finally:
        system.stop()
