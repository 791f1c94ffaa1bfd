"""The reporter's erasure at status blanks the free texts of the complaint's timeline, record and
outbox (issue 15, UU 27/2022): what the reporter wrote (added information, a rating's comment, a
reopen's reason) and what staff wrote to them or about the case (a message, a status change's
note, the resolution note, an internal note), any of which may name or quote the reporter. The
entries stay, with their kinds, times and actors, so the timeline and statistics remain. An event
written before the erasure and handled after it is stored without its text; one written after
the erasure keeps it. Real PostgreSQL; the consumer's handler runs in its own transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from sigap_shared.events import Envelope
from sigap_status.events import handlers
from sigap_status.sla.rules import SlaPolicy
from tests.support import events
from tests.support.personal_data import places_holding

pytestmark = pytest.mark.integration


def _reporter() -> tuple[str, str]:
    """A name and a phone number no other test writes."""
    suffix = uuid.uuid4().hex[:6]
    return f"Budi Santoso {suffix}", f"0812{int(suffix, 16) % 10**8:08d}"


async def _follow_up(api, envelope: Envelope) -> None:
    async with api.pool.acquire() as conn, conn.transaction():
        await handlers.on_reporter_follow_up(conn=conn, envelope=envelope, policy=SlaPolicy())


async def _timeline(api, complaint_id) -> list[tuple[str, str, datetime, dict]]:
    rows = await api.pool.fetch(
        "SELECT event_type, actor, occurred_at, detail FROM timeline WHERE complaint_id = $1 ORDER BY occurred_at, id",
        complaint_id,
    )
    return [(r["event_type"], r["actor"], r["occurred_at"], orjson.loads(r["detail"])) for r in rows]


async def _held(api, needles: list[str]) -> list[str]:
    async with api.pool.acquire() as conn:
        return await places_holding(conn, needles)


async def _erase(api, complaint_id) -> dict:
    internal = {"Authorization": f"Bearer {api.settings.internal_token.get_secret_value()}"}
    erased = await api.client.post(f"/internal/v1/personal-data/complaints/{complaint_id}/erase", headers=internal)
    assert erased.status_code == 200, erased.text
    return erased.json()


async def test_the_erasure_blanks_every_text_that_may_name_the_reporter_and_keeps_the_entries(status_api):
    api = status_api
    name, phone = _reporter()
    complaint_id = await api.seed_complaint(department="DISHUB")
    code = await api.pool.fetchval("SELECT tracking_code FROM complaints WHERE id = $1", complaint_id)
    ids = {"complaint_id": complaint_id, "tracking_code": code}
    _, admin = await api.staff("dept_admin", "DISHUB")

    # Staff and the reporter: the resolution note, a rating's comment, a reopen's reason, a
    # status change's note, added information, a message to the reporter, an internal note.
    await api.finish(complaint_id, "DISHUB", resolution_note=f"Lampu diganti, dicek bersama {name}")
    await _follow_up(api, events.rated(**ids, comment=f"Terima kasih, saya {name}"))
    await _follow_up(api, events.reopen_requested(**ids, reason=f"Mati lagi. Hubungi {name} {phone}"))
    noted = await api.transition(complaint_id, admin, "dalam_proses", note=f"Sudah ditelepon {name} di {phone}")
    assert noted.status_code == 200, noted.text
    await _follow_up(api, events.information_added(**ids, text=f"Saya {name}, rumah nomor 12, HP {phone}"))
    message = await api.note(complaint_id, admin, f"Bapak {name}, petugas datang besok", visibility="reporter")
    assert message.status_code in (200, 201), message.text
    internal = await api.note(complaint_id, admin, f"{name} ({phone}) menunggu di lokasi")
    assert internal.status_code in (200, 201), internal.text

    before = await _timeline(api, complaint_id)
    held = await _held(api, [name, phone])
    assert {place.split(":")[0] for place in held} >= {"timeline.detail", "complaints.resolution_note", "outbox.payload"}

    first = await _erase(api, complaint_id)

    assert await _held(api, [name, phone]) == []
    after = await _timeline(api, complaint_id)
    # Every entry stays, with its kind, actor and time; only the texts are gone.
    assert [entry[:3] for entry in after] == [entry[:3] for entry in before]
    details = {event_type: detail for event_type, _, _, detail in after}
    assert details["sigap.complaint.information_added.v1"]["text"] is None
    assert details["sigap.complaint.information_added.v1"]["photos"] == 0
    assert details["sigap.complaint.rated.v1"] == {"rating": 2, "comment": None}
    assert details["sigap.status.reporter_message"]["body"] is None
    assert details["sigap.status.internal_note"]["body"] is None
    reopened = [detail for event_type, actor, _, detail in after if actor == "pelapor" and detail.get("to") == "dibuka_kembali"]
    assert reopened == [{"from": "selesai", "to": "dibuka_kembali", "reason": None}]
    row = await api.pool.fetchrow("SELECT status, resolution_note, resolved_at FROM complaints WHERE id = $1", complaint_id)
    assert row["status"] == "dalam_proses" and row["resolution_note"] is None
    # The outbox's events keep their kind; a message's body (required by its schema) is empty.
    payloads = [orjson.loads(r["payload"]) for r in await api.pool.fetch(
        "SELECT payload FROM outbox WHERE key = $1 ORDER BY id", str(complaint_id).encode()
    )]
    assert [p["body"] for p in payloads if "body" in p] == [""]

    # A repeat finds nothing more and keeps the first time.
    again = await _erase(api, complaint_id)
    assert again["reporter_erased_at"] == first["reporter_erased_at"]
    assert await _timeline(api, complaint_id) == after


async def test_a_text_written_before_the_erasure_and_handled_after_it_is_stored_without_it(status_api):
    api = status_api
    name, phone = _reporter()
    complaint_id = await api.seed_complaint(department="DISHUB")
    code = await api.pool.fetchval("SELECT tracking_code FROM complaints WHERE id = $1", complaint_id)
    ids = {"complaint_id": complaint_id, "tracking_code": code}
    await api.finish(complaint_id, "DISHUB")
    written_before = datetime.now(UTC)

    erased = await _erase(api, complaint_id)
    # Intake announced them before the erasure; the erasure overtook the events. The reopen
    # still reopens, but its event announces no reason.
    await _follow_up(api, events.information_added(**ids, text=f"Saya {name}, HP {phone}", added_at=written_before))
    await _follow_up(api, events.reopen_requested(**ids, reason=f"Hubungi {name} {phone}", requested_at=written_before))
    assert await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id) == "dibuka_kembali"
    reopen = await api.pool.fetchval(
        "SELECT payload FROM outbox WHERE key = $1 ORDER BY id DESC LIMIT 1", str(complaint_id).encode()
    )
    assert orjson.loads(reopen)["status"] == "dibuka_kembali" and orjson.loads(reopen)["reason"] is None
    assert await _held(api, [name, phone]) == []
    # Written after the erasure (status's erasure is remembered from then on): kept.
    later = datetime.fromisoformat(erased["reporter_erased_at"]) + timedelta(seconds=1)
    after_text = "Lampu di tiang sebelah juga mati"
    await _follow_up(api, events.information_added(**ids, text=after_text, added_at=later))
    _, admin = await api.staff("dept_admin", "DISHUB")
    message = await api.note(complaint_id, admin, "Petugas datang besok pagi", visibility="reporter")
    assert message.status_code in (200, 201), message.text

    texts = {
        (event_type, detail.get("text", detail.get("body")))
        for event_type, _, _, detail in await _timeline(api, complaint_id)
        if event_type in ("sigap.complaint.information_added.v1", "sigap.status.reporter_message")
    }
    assert texts == {
        ("sigap.complaint.information_added.v1", None),
        ("sigap.complaint.information_added.v1", after_text),
        ("sigap.status.reporter_message", "Petugas datang besok pagi"),
    }
