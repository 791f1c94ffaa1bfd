"""The reporter's reopen window as SP4N-LAPOR! sets it, on real PostgreSQL and Kafka: complaints
submitted at intake reach status as intake announces them, status finishes them and its outbox
relay publishes the status changes, intake's own consumer handler records them. Within the
window the reporter may object (reopen); once status's sweep has closed a quiet complaint by
itself, intake refuses the reopen with 409 `lapor-closed` and leaves the complaint as it was."""

from __future__ import annotations

import uuid

import pytest

from sigap_intake.events.handlers import AUTO_CLOSE_NOTE, on_status_changes
from sigap_shared.consumer import BatchHandler
from sigap_shared.events import (
    TOPIC_COMPLAINT_STATUS,
    ComplaintReopenRequested,
    ComplaintStatusChanged,
    ComplaintSubmitted,
    Envelope,
    decode,
    headers_from_json,
)
from sigap_shared.outbox import OutboxRelay
from sigap_status.context import lapor_policy_from_settings, sla_policy_from_settings
from sigap_status.events import handlers as status_handlers
from sigap_status.lapor.commands import close_quiet_complaints
from sigap_status.sla.rules import SlaPolicy
from tests.integration.intake.conftest import intake  # noqa: F401 (fixture)
from tests.integration.status.conftest import status_api  # noqa: F401 (fixture)
from tests.support.factories import routed_for
from tests.support.kafka import event_consumer, eventually
from tests.support.tasks import running

pytestmark = pytest.mark.integration

REASON = {"reason": "Lampu mati lagi dua hari setelah diperbaiki"}


async def _intake_events(at_intake) -> list[Envelope]:
    rows = await at_intake.pool.fetch("SELECT headers, payload FROM outbox ORDER BY id")
    return [decode(headers_from_json(row["headers"]), bytes(row["payload"])) for row in rows]


async def _submit(at_intake, api, department: str) -> dict:
    """A complaint submitted at intake, and its submission and routing delivered to status."""
    body = {
        "description": "Lampu PJU mati di Jl. Nusantara Raya, jalan gelap sejak minggu lalu",
        "category": "lampu_jalan",
        "location": {"lat": -6.39, "lon": 106.82},
        "privacy": "publik",
        "reporter": {"email": "warga@example.com"},
    }
    response = await at_intake.client.post("/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    receipt = response.json()
    [submitted] = [
        e for e in await _intake_events(at_intake)
        if isinstance(e.data, ComplaintSubmitted) and str(e.data.complaint_id) == receipt["id"]
    ]  # fmt: skip
    async with api.pool.acquire() as conn, conn.transaction():
        await status_handlers.on_complaints_submitted(conn=conn, envelopes=[submitted], policy=SlaPolicy())
        routed = routed_for(submitted, department, kelurahan=None)
        await status_handlers.on_complaints_routed(conn=conn, envelopes=[routed], policy=SlaPolicy())
    return receipt


async def test_reopen_within_the_lapor_window_and_lapor_closed_after_the_auto_close(
    intake, status_api, infra  # noqa: F811
):
    api = status_api
    department = "LR" + uuid.uuid4().hex[:6].upper()
    objecting = await _submit(intake, api, department)
    quiet = await _submit(intake, api, department)
    objecting_id, quiet_id = uuid.UUID(objecting["id"]), uuid.UUID(quiet["id"])
    for complaint_id in (objecting_id, quiet_id):
        await api.finish(complaint_id, department)
    # Only the quiet complaint's follow-up is old enough for the sweep to close it.
    await api.pool.execute("UPDATE complaints SET resolved_at = now() - interval '30 days' WHERE id = $1", quiet_id)

    prefix = f"test{uuid.uuid4().hex[:8]}."  # a fresh status topic: only this test's events
    relay = OutboxRelay(
        connect_kwargs=infra.pg_kwargs(api.settings.pg_database),
        bootstrap=infra.kafka_bootstrap,
        client_id=f"test-status-relay-{uuid.uuid4().hex[:6]}",
        poll_interval_s=0.2,
        topic_prefix=prefix,
    )
    consumer = event_consumer(
        infra,
        intake.pool,
        name="intake.tracking.test",
        topics=[prefix + TOPIC_COMPLAINT_STATUS],
        handlers={ComplaintStatusChanged.event_type: BatchHandler(on_status_changes)},
    )

    async def intake_row(complaint_id: uuid.UUID):
        return await intake.pool.fetchrow(
            "SELECT status, status_changed_at, lapor_closed_at, resolution_note FROM complaints WHERE id = $1",
            complaint_id,
        )

    async def reopen(receipt: dict, **headers: str):
        return await intake.client.post(
            f"/v1/track/{receipt['tracking_code']}/reopen",
            json=REASON,
            headers={"X-Follow-Up-Token": receipt["follow_up_token"], **headers},
        )

    async with running(relay.run(), consumer.run()):

        async def both_finished() -> bool:
            rows = [await intake_row(complaint_id) for complaint_id in (objecting_id, quiet_id)]
            return all(row["status"] == "selesai" for row in rows)

        await eventually(both_finished, timeout_s=60)

        # Inside the window the reporter objects: intake accepts and announces the request.
        accepted = await reopen(objecting)
        assert accepted.status_code == 201, accepted.text
        last = (await _intake_events(intake))[-1]
        assert isinstance(last.data, ComplaintReopenRequested) and str(last.data.complaint_id) == objecting["id"]

        policy = lapor_policy_from_settings(api.settings, sla_policy_from_settings(api.settings))
        async with api.pool.acquire() as conn:
            assert await close_quiet_complaints(conn=conn, policy=policy) == 1

        async def quiet_closed():
            row = await intake_row(quiet_id)
            return row if row["lapor_closed_at"] is not None else None

        before = await eventually(quiet_closed, timeout_s=60)

    assert before["status"] == "selesai" and before["resolution_note"] == "Lampu sudah diganti"
    assert (await intake_row(objecting_id))["lapor_closed_at"] is None
    events_before = len(await _intake_events(intake))

    refused = await reopen(quiet)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["type"].endswith("/lapor-closed") and problem["status"] == 409
    assert problem["detail"].startswith("Laporan sudah ditutup otomatis") and "laporan baru" in problem["detail"]
    in_english = await reopen(quiet, **{"Accept-Language": "en"})
    assert in_english.status_code == 409 and "closed automatically" in in_english.json()["detail"]

    # The complaint is as it was: same row, no request announced, the same tracking view.
    assert await intake_row(quiet_id) == before
    assert len(await _intake_events(intake)) == events_before
    view = (await intake.client.get(f"/v1/track/{quiet['tracking_code']}")).json()
    assert view["status"] == "selesai"
    # The tracking view says so, and status's auto-close shows with its own words, not the
    # follow-up's resolution note it carries.
    assert view["can_reopen"] is False and view["reopen_until"] is None
    assert view["lapor_closed_at"] is not None
    assert view["timeline"][-1]["status"] == "selesai" and view["timeline"][-1]["note"] == AUTO_CLOSE_NOTE
    assert [entry["note"] for entry in view["timeline"]].count("Lampu sudah diganti") == 1
    objecting_view = (await intake.client.get(f"/v1/track/{objecting['tracking_code']}")).json()
    assert objecting_view["lapor_closed_at"] is None
