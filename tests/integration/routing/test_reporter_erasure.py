"""Erasing a reporter's personal data at routing (`POST /internal/v1/personal-data/complaints/
{id}/erase`, which intake calls after a granted deletion request or at the end of retention):
the pseudonym and channels leave the decision and the events in the outbox, a second call
changes nothing, and an erasure that overtakes the submission on Kafka is remembered, so the
decision made later keeps no reporter and its ComplaintRouted announces none. The reasons staff
gave for transfers and joint handling up to the erasure, which may quote the reporter, are
emptied in the history and the outbox; one given after it is kept."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sigap_routing.events.handlers import complaint_submitted_handler
from sigap_shared.consumer import DeadLetterPublisher, EventConsumer
from sigap_shared.events import (
    ComplaintRouted,
    ComplaintSubmitted,
    Envelope,
    ReporterRef,
    decode,
    encode,
    headers_from_json,
)
from tests.support import events
from tests.support.kafka import eventually, produce_raw
from tests.support.personal_data import places_holding

pytestmark = pytest.mark.integration


def _reported() -> tuple[Envelope, str]:
    pseudonym = f"Pelapor-{uuid.uuid4().hex[:8].upper()}"
    submitted = events.submitted(reporter=ReporterRef(pseudonym=pseudonym, channels=("email", "whatsapp")))
    return submitted, pseudonym


def _internal(routing_api) -> dict[str, str]:
    return {"Authorization": f"Bearer {routing_api.settings.internal_token.get_secret_value()}"}


async def _routed_events(pool, complaint_id: uuid.UUID) -> list[ComplaintRouted]:
    rows = await pool.fetch("SELECT headers, payload FROM outbox WHERE key = $1 ORDER BY id", str(complaint_id).encode())
    return [decode(headers_from_json(row["headers"]), row["payload"]).data for row in rows]


async def _held_anywhere(pool, needles: str | list[str]) -> list[str]:
    async with pool.acquire() as conn:
        return await places_holding(conn, [needles] if isinstance(needles, str) else needles)


async def test_an_erasure_clears_the_decision_and_its_event_once(routing_api):
    submitted, pseudonym = _reported()
    complaint_id = submitted.data.complaint_id
    async with routing_api.pool.acquire() as conn, conn.transaction():
        await complaint_submitted_handler(routing_api.engine)(conn=conn, envelope=submitted)
    assert [routed.reporter for routed in await _routed_events(routing_api.pool, complaint_id)] == [
        submitted.data.reporter
    ]
    assert await _held_anywhere(routing_api.pool, pseudonym) == [
        "outbox.payload: " + pseudonym,
        "routing_decisions.reporter: " + pseudonym,
    ]
    erase = f"/internal/v1/personal-data/complaints/{complaint_id}/erase"

    refused = await routing_api.client.post(erase)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    erased = await routing_api.client.post(erase, headers=_internal(routing_api))
    assert erased.status_code == 200, erased.text
    first = erased.json()
    assert first["complaint_known"] is True and first["reporter_erased"] is True
    assert first["outbox_events_cleared"] == 1
    assert await _held_anywhere(routing_api.pool, pseudonym) == []
    routed = await _routed_events(routing_api.pool, complaint_id)
    assert [event.reporter for event in routed] == [None] and routed[0].tracking_code == submitted.data.tracking_code

    # Idempotent: the retention job may meet the same complaint again.
    again = await routing_api.client.post(erase, headers=_internal(routing_api))
    assert again.status_code == 200, again.text
    assert again.json() == first | {"reporter_erased": False, "outbox_events_cleared": 0}
    assert first["history_reasons_cleared"] == 0  # the automatic decision's reasons are routing's own

    # The decision, which names no one, stays.
    held = await routing_api.client.get(
        f"/internal/v1/personal-data/complaints/{complaint_id}", headers=_internal(routing_api)
    )
    assert held.status_code == 200, held.text
    assert held.json()["reporter"] is None and held.json()["tracking_code"] == submitted.data.tracking_code


async def test_an_erasure_that_overtakes_the_submission_on_kafka_is_remembered(infra, routing_api):
    erased_first, pseudonym = _reported()
    kept, kept_pseudonym = _reported()  # same poll, not erased: keeps its reporter
    erased = await routing_api.client.post(
        f"/internal/v1/personal-data/complaints/{erased_first.data.complaint_id}/erase", headers=_internal(routing_api)
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["complaint_known"] is False and erased.json()["reporter_erased"] is False

    topic = infra.topic(f"test.routing.submitted.{uuid.uuid4().hex}")
    await produce_raw(
        infra.kafka_bootstrap,
        topic,
        [(record.key, record.value, record.headers) for record in map(encode, [erased_first, kept])],
    )
    dead_letters = DeadLetterPublisher(
        bootstrap=infra.kafka_bootstrap, source="sigap/test", topic_prefix=infra.topic_prefix
    )
    consumer = EventConsumer(
        name="routing.submitted",
        topics=[topic],
        handlers={ComplaintSubmitted.event_type: complaint_submitted_handler(routing_api.engine)},
        pool=routing_api.pool,
        bootstrap=infra.kafka_bootstrap,
        group_id=f"test-{uuid.uuid4().hex}",
        dead_letters=dead_letters,
    )
    ids = [erased_first.data.complaint_id, kept.data.complaint_id]

    async def routed() -> bool:
        count = await routing_api.pool.fetchval(
            "SELECT count(*) FROM routing_decisions WHERE complaint_id = ANY($1::uuid[])", ids
        )
        return count == len(ids)

    task = asyncio.create_task(consumer.run())
    try:
        await eventually(routed, timeout_s=30)
        assert consumer.dead_lettered == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await dead_letters.close()

    decision = await routing_api.pool.fetchrow(
        "SELECT reporter, tracking_code, department FROM routing_decisions WHERE complaint_id = $1", ids[0]
    )
    assert decision["reporter"] is None
    assert (decision["tracking_code"], decision["department"]) == (erased_first.data.tracking_code, "DPUPR")
    routed_erased = await _routed_events(routing_api.pool, ids[0])
    assert len(routed_erased) == 1 and routed_erased[0].reporter is None
    assert routed_erased[0].department == "DPUPR"  # still routed on its text and place
    assert await _held_anywhere(routing_api.pool, pseudonym) == []

    assert [event.reporter for event in await _routed_events(routing_api.pool, ids[1])] == [kept.data.reporter]
    assert await _held_anywhere(routing_api.pool, kept_pseudonym) == [
        "outbox.payload: " + kept_pseudonym,
        "routing_decisions.reporter: " + kept_pseudonym,
    ]


async def test_an_erasure_of_something_that_is_not_a_complaint_id_is_a_problem(routing_api):
    response = await routing_api.client.post(
        "/internal/v1/personal-data/complaints/bukan-uuid/erase", headers=_internal(routing_api)
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_erasure_empties_the_transfer_and_joint_handling_reasons_up_to_it(routing_api):
    submitted, pseudonym = _reported()
    complaint_id = submitted.data.complaint_id
    name, phone = f"Sari Wulandari {uuid.uuid4().hex[:6]}", f"0812{uuid.uuid4().int % 10**8:08d}"
    async with routing_api.pool.acquire() as conn, conn.transaction():
        await complaint_submitted_handler(routing_api.engine)(conn=conn, envelope=submitted)  # DPUPR
    transferred = await routing_api.client.post(
        f"/v1/routing/complaints/{complaint_id}/transfer",
        json={"to_department": "PDAM", "reason": f"bukan wewenang, kata {name} ({phone}) pipa PDAM bocor"},
        headers=routing_api.token("dept_admin", "DPUPR", username="admin.dpupr"),
    )
    assert transferred.status_code == 200, transferred.text
    supporting = f"/v1/routing/complaints/{complaint_id}/supporting"
    pdam = routing_api.token("dept_admin", "PDAM", username="admin.pdam")
    added = await routing_api.client.post(
        supporting, json={"department": "DPUPR", "reason": f"{name} minta jalan ditambal juga"}, headers=pdam
    )
    assert added.status_code == 200, added.text
    needles = [name, phone, pseudonym]
    assert set(await _held_anywhere(routing_api.pool, needles[:2])) == {
        f"{place}: {needle}" for place in ("outbox.payload", "routing_history.reason") for needle in needles[:2]
    }

    erase = f"/internal/v1/personal-data/complaints/{complaint_id}/erase"
    erased = await routing_api.client.post(erase, headers=_internal(routing_api))
    assert erased.status_code == 200, erased.text
    # routed (reporter), transferred (reporter and reason), support added (reason)
    assert (erased.json()["history_reasons_cleared"], erased.json()["outbox_events_cleared"]) == (2, 3)
    assert await _held_anywhere(routing_api.pool, needles) == []

    # The entries stay, with their kinds, departments, actors and times; only the reasons go.
    history = await routing_api.pool.fetch(
        "SELECT kind, transfer_kind, from_department, to_department, reason, actor, at FROM routing_history"
        " WHERE complaint_id = $1 ORDER BY id",
        complaint_id,
    )
    assert [(row["kind"], row["from_department"], row["to_department"], row["actor"]) for row in history] == [
        ("automatic", None, "DPUPR", "system:routing"),
        ("transferred", "DPUPR", "PDAM", "admin.dpupr"),
        ("support_added", "PDAM", "DPUPR", "admin.pdam"),
    ]
    assert history[0]["reason"] != "" and [row["reason"] for row in history[1:]] == ["", ""]
    assert history[1]["transfer_kind"] == "bukan_wewenang"
    routed, transfer, support = await _routed_events(routing_api.pool, complaint_id)
    assert (transfer.reason, transfer.to_department, transfer.kind, transfer.reporter) == ("", "PDAM", "bukan_wewenang", None)
    assert (support.reason, support.department, support.lead_department) == ("", "DPUPR", "PDAM")
    assert routed.reasons  # routing's own explanation of its choice stays

    # A reason written after the erasure is kept, also by a repeated erasure.
    later = "pemangkasan pohon dulu, menurut petugas lapangan"
    more = await routing_api.client.post(supporting, json={"department": "DLHK", "reason": later}, headers=pdam)
    assert more.status_code == 200, more.text
    again = await routing_api.client.post(erase, headers=_internal(routing_api))
    assert again.status_code == 200, again.text
    assert (again.json()["history_reasons_cleared"], again.json()["outbox_events_cleared"]) == (0, 0)
    assert again.json()["reporter_erased_at"] == erased.json()["reporter_erased_at"]
    assert (await _routed_events(routing_api.pool, complaint_id))[-1].reason == later
    assert await routing_api.pool.fetchval(
        "SELECT reason FROM routing_history WHERE complaint_id = $1 ORDER BY id DESC LIMIT 1", complaint_id
    ) == later
