"""Issue 15 (UU 27/2022) through the running services: a complaint whose reporter gave a name,
a phone number and an e-mail address reaches status, routing and notify (the department writes
to the reporter by name, notes internally whom it called, and asks another department for help
quoting the reporter); once the data protection officer grants
the reporter's deletion request, no text, JSON, array or bytes cell of any table in the four
services' databases holds the reporter's name, phone number, e-mail address or pseudonym, while
the complaint, its public record and its timeline's entries stay, status, notify and routing
remember the erasure (for an event still on its way), and a later staff action brings none of
it back."""

from __future__ import annotations

import random
import string
import uuid

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import INTAKE_DEVELOPMENT_INTERNAL_TOKEN
from tests.support.governance import answer_at_intake, ask_privacy, complaint_body, submit
from tests.support.kafka import eventually
from tests.support.personal_data import places_holding
from tests.support.services import SERVICES

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {INTAKE_DEVELOPMENT_INTERNAL_TOKEN}"}


def _reporter() -> dict[str, str]:
    """A reporter no other test of the session shares (the databases are the session's)."""
    surname = "".join(random.choices(string.ascii_lowercase, k=8)).capitalize()
    digits = "".join(random.choices(string.digits, k=8))
    return {
        "name": f"Ratna {surname}",
        "phone": f"0813-{digits[:4]}-{digits[4:]}",
        "email": f"ratna.{uuid.uuid4().hex[:10]}@example.com",
    }


def _needles(reporter: dict[str, str], pseudonym: str) -> list[str]:
    """The reporter's values as typed and as a phone number may be stored."""
    digits = reporter["phone"].replace("-", "")
    return [reporter["name"], reporter["phone"], digits, "+62" + digits[1:], reporter["email"], pseudonym]


async def _held_anywhere(infra, sigap, needles: list[str]) -> dict[str, list[str]]:
    """Service -> the columns of its database that still hold one of `needles`."""
    held: dict[str, list[str]] = {}
    for name in SERVICES:
        conn = await asyncpg.connect(**infra.pg_kwargs(sigap.services[name].database))
        try:
            held[name] = await places_holding(conn, needles)
        finally:
            await conn.close()
    return held


async def test_a_granted_deletion_leaves_nothing_identifying_in_any_services_database(sigap, infra, staff):
    intake, status, notify, routing = (sigap.url(name) for name in ("intake", "status", "notify", "routing"))
    reporter = _reporter()
    body = complaint_body(
        "Trotoar di depan Pasar Kemiri Muka amblas, lubang sedalam lutut membahayakan pejalan kaki", "jalan_rusak",
        privacy="rahasia", at=(-6.37, 106.83), address="Jl. Arief Rahman Hakim", reporter=reporter,
    )  # fmt: skip
    async with httpx.AsyncClient(timeout=20) as client:
        receipt = await submit(client, body, intake=intake)
        code, token, complaint_id = receipt["tracking_code"], receipt["follow_up_token"], receipt["id"]
        held_at = f"/internal/v1/personal-data/complaints/{complaint_id}"

        async def received_at_status() -> dict | None:
            response = await client.get(f"{status}{held_at}", headers=AUTH)
            return response.json() if response.status_code == 200 and response.json()["status"] == "diterima" else None

        at_status = await eventually(received_at_status, timeout_s=60)
        pseudonym = at_status["reporter_pseudonym"]
        assert pseudonym

        # The department writes to the reporter, by name: status announces it, notify plans the
        # reply and keeps the message among its template's values until the erasure.
        department = at_status["department"]
        admin = await staff.headers("dept_admin", department)
        message = await client.post(
            f"{status}/v1/complaints/{complaint_id}/notes",
            json={
                "body": f"Bu {reporter['name']}, mohon kirim foto lubang dari dekat ke {reporter['phone']}.",
                "visibility": "reporter",
            },
            headers=admin,
        )
        assert message.status_code in (200, 201), message.text
        # Staff note among themselves who they spoke to: status alone keeps internal notes.
        internal = await client.post(
            f"{status}/v1/complaints/{complaint_id}/notes",
            json={"body": f"Sudah menelepon {reporter['name']} di {reporter['phone']}."},
            headers=admin,
        )
        assert internal.status_code in (200, 201), internal.text

        async def notify_planned_the_reply() -> bool:
            response = await client.get(f"{notify}{held_at}", headers=AUTH)
            templates = [m["template"] for m in response.json()["messages"]] if response.status_code == 200 else []
            return "reporter.reply" in templates and any(t.startswith("reporter.status") for t in templates)

        await eventually(notify_planned_the_reply, timeout_s=60, interval_s=0.5)

        async def routing_knows() -> bool:
            return (await client.get(f"{routing}{held_at}", headers=AUTH)).status_code == 200

        await eventually(routing_knows, timeout_s=60)
        # The department asks another for help, quoting the reporter: routing keeps the reason in
        # its history and outbox, and announces it to status and notify.
        supporter = "DLHK" if department != "DLHK" else "DPUPR"
        support = await client.post(
            f"{routing}/v1/routing/complaints/{complaint_id}/supporting",
            json={"department": supporter, "reason": f"{reporter['name']} ({reporter['phone']}) minta pohon dipangkas"},
            headers=admin,
        )
        assert support.status_code == 200, support.text

        needles = _needles(reporter, pseudonym)
        before = await _held_anywhere(infra, sigap, needles)
        # The scan can fail: every service holds the pseudonym before the erasure.
        assert all(before[name] for name in SERVICES), before
        assert f"routing_history.reason: {reporter['name']}" in before["routing"], before

        deletion = await ask_privacy(client, code, token, "deletion", intake=intake)
        assert deletion.status_code == 201, deletion.text
        erased = await answer_at_intake(
            client, deletion.json()["request_id"], auth=AUTH, reason="Data pribadi Anda telah dihapus.", intake=intake
        )
        assert erased.status_code == 200, erased.text
        assert await _held_anywhere(infra, sigap, needles) == {name: [] for name in SERVICES}
        # Status, notify and routing each remember the erasure, for an event still on its way.
        for name in ("status", "notify", "routing"):
            conn = await asyncpg.connect(**infra.pg_kwargs(sigap.services[name].database))
            try:
                remembered = await conn.fetchval(
                    "SELECT count(*) FROM erased_reporters WHERE complaint_id = $1", uuid.UUID(complaint_id)
                )
            finally:
                await conn.close()
            assert remembered == 1, name

        # The complaint and its public record stay.
        follow_up = {"X-Follow-Up-Token": token}
        tracked = await client.get(f"{intake}/v1/track/{code}", headers=follow_up)
        assert tracked.status_code == 200, tracked.text
        kept = (await client.get(f"{status}{held_at}", headers=AUTH)).json()
        assert kept["description"].startswith("Trotoar di depan Pasar Kemiri Muka")
        assert kept["reporter_pseudonym"] is None and kept["reporter_erased_at"] is not None
        # The internal note's entry stays in status's timeline, without its text.
        notes = [entry for entry in kept["timeline"] if entry["type"] == "sigap.status.internal_note"]
        assert [note["detail"]["body"] for note in notes] == [None]

        # A later staff action (announced to every service) brings nothing back; intake's
        # tracking page showing it is the signal that the event went round.
        version = (await client.get(f"{status}/v1/staff/complaints/{complaint_id}", headers=admin)).json()["version"]
        verified = await client.post(
            f"{status}/v1/complaints/{complaint_id}/transitions",
            json={"to": "terverifikasi", "expected_version": version},
            headers=admin,
        )
        assert verified.status_code == 200, verified.text

        async def intake_saw_it() -> bool:
            return (await client.get(f"{intake}/v1/track/{code}", headers=follow_up)).json()["status"] == "terverifikasi"

        await eventually(intake_saw_it, timeout_s=60)
        assert await _held_anywhere(infra, sigap, needles) == {name: [] for name in SERVICES}
