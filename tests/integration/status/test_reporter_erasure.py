"""Erasing a reporter's personal data at status (`POST /internal/v1/personal-data/complaints/
{id}/erase`, which intake calls after a granted deletion request or at the end of retention):
the pseudonym and channels leave the complaint and the events kept in the outbox, a second call
changes nothing, an event handled later (a redelivered submission, a routing, a staff action)
does not bring them back, and an erasure that overtakes the submission is remembered."""

from __future__ import annotations

import uuid

import orjson
import pytest

from sigap_shared.events import ComplaintRouted, Envelope, ReporterRef
from sigap_status.events import handlers
from sigap_status.sla.rules import SlaPolicy
from tests.support import events
from tests.support.factories import routed_for
from tests.support.personal_data import places_holding

pytestmark = pytest.mark.integration


def _reported() -> tuple[Envelope, str]:
    pseudonym = f"Pelapor-{uuid.uuid4().hex[:8].upper()}"
    submitted = events.submitted(category="lampu_jalan", reporter=ReporterRef(pseudonym=pseudonym, channels=("email",)))
    return submitted, pseudonym


async def _handle(pool, *envelopes: Envelope) -> None:
    for envelope in envelopes:
        async with pool.acquire() as conn, conn.transaction():
            if isinstance(envelope.data, ComplaintRouted):
                await handlers.on_complaints_routed(conn=conn, envelopes=[envelope], policy=SlaPolicy())
            else:
                await handlers.on_complaints_submitted(conn=conn, envelopes=[envelope], policy=SlaPolicy())


async def _outbox_reporters(pool, complaint_id: uuid.UUID) -> list:
    rows = await pool.fetch("SELECT payload FROM outbox WHERE key = $1 ORDER BY id", str(complaint_id).encode())
    return [orjson.loads(row["payload"]).get("reporter") for row in rows]


async def _held_anywhere(pool, pseudonym: str) -> list[str]:
    async with pool.acquire() as conn:
        return await places_holding(conn, [pseudonym])


async def test_an_erasure_clears_the_reporter_and_later_events_do_not_bring_them_back(status_api):
    api = status_api
    internal = {"Authorization": f"Bearer {api.settings.internal_token.get_secret_value()}"}
    _, dishub = await api.staff("dept_admin", "DISHUB")
    submitted, pseudonym = _reported()
    complaint_id = submitted.data.complaint_id
    await _handle(api.pool, submitted, routed_for(submitted, "DISHUB"))
    message = await api.note(complaint_id, dishub, "Mohon kirim foto lokasi yang lebih jelas.", visibility="reporter")
    assert message.status_code in (200, 201), message.text
    assert await _outbox_reporters(api.pool, complaint_id) == [
        {"pseudonym": pseudonym, "channels": ["email"]}, {"pseudonym": pseudonym, "channels": ["email"]}
    ]  # the reception and the message to the reporter
    assert await _held_anywhere(api.pool, pseudonym)
    erase = f"/internal/v1/personal-data/complaints/{complaint_id}/erase"

    refused = await api.client.post(erase)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    erased = await api.client.post(erase, headers=internal)
    assert erased.status_code == 200, erased.text
    first = erased.json()
    assert first["complaint_known"] is True and first["reporter_erased"] is True
    assert first["outbox_events_cleared"] == 2
    assert await _held_anywhere(api.pool, pseudonym) == []
    assert await _outbox_reporters(api.pool, complaint_id) == [None, None]

    # Idempotent: the retention job may meet the same complaint again.
    again = await api.client.post(erase, headers=internal)
    assert again.status_code == 200, again.text
    assert again.json() == first | {"reporter_erased": False, "outbox_events_cleared": 0}

    # Intake's submission redelivered with a new id (a replay), routing's hand-on naming the
    # reporter, a staff action: nothing stores or announces the pseudonym again.
    replayed = events.submitted(**(submitted.data.model_dump() | {"complaint_id": complaint_id}))
    await _handle(api.pool, replayed, routed_for(submitted, "DISHUB"))
    moved = await api.transition(complaint_id, dishub, "terverifikasi")
    assert moved.status_code == 200, moved.text
    assert [reporter for reporter in await _outbox_reporters(api.pool, complaint_id) if reporter] == []
    assert await _held_anywhere(api.pool, pseudonym) == []

    held = await api.client.get(f"/internal/v1/personal-data/complaints/{complaint_id}", headers=internal)
    assert held.status_code == 200, held.text
    assert held.json()["reporter_pseudonym"] is None and held.json()["reporter_channels"] == []
    assert held.json()["reporter_erased_at"] == first["reporter_erased_at"]
    assert held.json()["status"] == "terverifikasi"  # the complaint itself stays


async def test_an_erasure_that_overtakes_the_submission_is_remembered(status_api):
    api = status_api
    internal = {"Authorization": f"Bearer {api.settings.internal_token.get_secret_value()}"}
    submitted, pseudonym = _reported()
    complaint_id = submitted.data.complaint_id

    erased = await api.client.post(f"/internal/v1/personal-data/complaints/{complaint_id}/erase", headers=internal)
    assert erased.status_code == 200, erased.text
    assert erased.json()["complaint_known"] is False and erased.json()["reporter_erased"] is False

    # The routing first (it names the reporter too), then the submission completes the pair.
    await _handle(api.pool, routed_for(submitted, "DISHUB"), submitted)
    row = await api.pool.fetchrow(
        "SELECT status, reporter_pseudonym, reporter_channels, reporter_erased_at FROM complaints WHERE id = $1",
        complaint_id,
    )
    assert row["status"] == "diterima"
    assert row["reporter_pseudonym"] is None and row["reporter_channels"] == []
    assert row["reporter_erased_at"] is not None
    assert await _outbox_reporters(api.pool, complaint_id) == [None]  # the reception names nobody
    assert await _held_anywhere(api.pool, pseudonym) == []


async def test_an_erasure_of_something_that_is_not_a_complaint_id_is_a_problem(status_api):
    api = status_api
    internal = {"Authorization": f"Bearer {api.settings.internal_token.get_secret_value()}"}
    response = await api.client.post("/internal/v1/personal-data/complaints/bukan-uuid/erase", headers=internal)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
