"""The running status service closes a quiet finished complaint by itself in its SLA sweep
(SP4N-LAPOR!, docs/lapor.md): one status-changed event on Kafka, and the file LAPOR! connector,
fed from that topic, writes the update once in the documented mapping."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import orjson
import pytest

from sigap_shared.events import TOPIC_COMPLAINT_STATUS
from tests.support.governance import only_event
from tests.support.infra import random_name
from tests.support.kafka import eventually
from tests.support.services import SigapSystem, start_service, wait_ready

pytestmark = pytest.mark.e2e


async def test_the_sweep_closes_a_quiet_complaint_once_and_the_connector_hears_it(infra, databases, tmp_path):
    database = await databases.create("sigap_e2e_status_lapor")
    connector_file = tmp_path / "lapor.jsonl"
    # A sweep every half second, consumers that read each topic from its start, the file connector.
    env = {"SIGAP_SLA_SWEEP_INTERVAL_S": "0.5", "SIGAP_KAFKA_OFFSET_RESET": "earliest"}
    env |= {"SIGAP_LAPOR_CONNECTOR": "file", "SIGAP_LAPOR_CONNECTOR_PATH": str(connector_file)}
    system = SigapSystem()
    system.services["status"] = start_service(
        "status", infra=infra, database=database, group_prefix=random_name("e2e_lapor"), log_dir=tmp_path, extra_env=env
    )
    try:
        await asyncio.to_thread(wait_ready, system)
        quiet, recent = uuid.uuid4(), uuid.uuid4()
        code = "SGP-" + uuid.uuid4().hex[:4].upper() + "-LP"
        conn = await asyncpg.connect(**infra.pg_kwargs(database))
        try:
            insert = (
                "INSERT INTO complaints (id, tracking_code, department, status, submitted_at, received_at, resolved_at,"
                " resolution_note, privacy, publicly_visible) VALUES ($1, $2, 'DISHUB', 'selesai', $3, $3, $3,"
                " 'Lampu sudah diganti', 'publik', true)"
            )
            await conn.execute(insert, quiet, code, datetime(2026, 2, 9, 3, 0, tzinfo=UTC))
            await conn.execute(insert, recent, "SGP-RECE-NT", datetime.now(UTC))
            await eventually(
                lambda: conn.fetchval("SELECT lapor_closed_at FROM complaints WHERE id = $1", quiet), timeout_s=30
            )
        finally:
            await conn.close()
        event = await only_event(infra, TOPIC_COMPLAINT_STATUS, quiet)
        assert event["type"] == "sigap.complaint.status_changed.v1"
        data = event["data"]
        assert (data["previous_status"], data["status"], data["reason"]) == ("selesai", "selesai", "ditutup_otomatis")

        async def connector_lines() -> list[dict]:
            if not connector_file.exists():
                return []
            return [orjson.loads(line) for line in connector_file.read_bytes().splitlines()]

        await eventually(connector_lines, timeout_s=30)
        updates = [u for u in await connector_lines() if u["sigap_id"] == str(quiet)]
        assert len(updates) == 1
        assert updates[0]["event_id"] == event["id"]
        assert (updates[0]["tracking_code"], updates[0]["lapor_stage"], updates[0]["sigap_status"]) == (
            code,
            "ditutup",
            "selesai",
        )
        conn = await asyncpg.connect(**infra.pg_kwargs(database))
        try:
            assert await conn.fetchval("SELECT lapor_closed_at FROM complaints WHERE id = $1", recent) is None
        finally:
            await conn.close()
    finally:
        system.stop()
