"""Field officers hear about their assignments: addresses kept by notify (edited by the
department's admin through the real HTTP API), mail through a real SMTP server, and the
officer's own live stream (Server-Sent Events) from notify running under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from sigap_notify.bootstrap import create_app
from sigap_shared.events import Envelope
from tests.integration.notify.conftest import (
    handle,
    mail_server,
    notify_settings,
    random_department,
    routed,
    staff_headers,
    tracking_code,
)
from tests.integration.notify.support import serve_asgi
from tests.support.events import assigned
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration


def _assigned(complaint_id, code: str, department: str, officer: str | None, previous: str | None) -> Envelope:
    fields = {"department": department, "officer": officer, "previous_officer": previous}
    return assigned(complaint_id=complaint_id, tracking_code=code, **fields)


def _is_problem(response: httpx.Response, status: int, slug: str) -> bool:
    return (
        response.status_code == status
        and response.headers["content-type"].startswith("application/problem+json")
        and response.json()["type"] == f"/problems/{slug}"
    )


@contextlib.asynccontextmanager
async def _stream(client: httpx.AsyncClient, department: str, headers: dict[str, str]) -> AsyncIterator[list[dict]]:
    """Reads a live stream in the background; yields the list its messages land in."""
    received: list[dict] = []
    connected = asyncio.Event()

    async def read() -> None:
        async with client.stream("GET", "/v1/stream", params={"department": department}, headers=headers) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith(": connected"):
                    connected.set()
                if line.startswith("data: "):
                    received.append(orjson.loads(line.removeprefix("data: ")))

    reader = asyncio.create_task(read())
    try:
        await asyncio.wait_for(connected.wait(), 30)
        yield received
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


async def test_officer_contacts_are_kept_by_the_departments_admin(infra, notify_pool, notify_database):
    department = random_department()
    settings = notify_settings(infra, notify_database)
    app = create_app(settings, consumers=False)
    async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        path = f"/v1/departments/{department}/officers/budi.santoso/contacts"
        body = {"emails": ["budi.santoso@dinas.depok.go.id"]}
        admin = staff_headers(settings, "dept_admin", department)
        assert _is_problem(await client.put(path, json=body), 401, "unauthorized")
        for role, dept in (("field_officer", department), ("dept_admin", random_department()), ("auditor", None)):
            assert _is_problem(
                await client.put(path, json=body, headers=staff_headers(settings, role, dept)), 403, "forbidden"
            )
        bad_cases = [
            (path, {"emails": ["bukan-email"]}),
            (path, {"emails": []}),
            (path, {"emails": ["a@b.example"], "phone": "0812"}),
            (f"/v1/departments/{department}/officers/Budi Santoso/contacts", body),
            (f"/v1/departments/{department}/officers/x:y/contacts", body),
        ]
        for bad_path, bad_body in bad_cases:
            assert _is_problem(await client.put(bad_path, json=bad_body, headers=admin), 422, "validation-error"), (
                bad_path
            )

        saved = await client.put(path, json=body, headers=admin)
        assert saved.status_code == 200, saved.text
        assert saved.json()["recipient"] == f"officer:{department}:budi.santoso"
        assert saved.json()["updated_by"] == "dept.admin.test"
        city = await client.put(
            f"/v1/departments/{department}/officers/sari.dewi/contacts",
            json={"emails": ["sari@dinas.depok.go.id", "sari@dinas.depok.go.id"]},
            headers=staff_headers(settings, "city_admin"),
        )
        assert city.status_code == 200 and city.json()["emails"] == ["sari@dinas.depok.go.id"]

        # Officers of the department may read the list; other departments may not.
        listed = await client.get(
            f"/v1/departments/{department}/officers/contacts",
            headers=staff_headers(settings, "field_officer", department),
        )
        assert [row["username"] for row in listed.json()] == ["budi.santoso", "sari.dewi"]
        assert _is_problem(
            await client.get(
                f"/v1/departments/{department}/officers/contacts",
                headers=staff_headers(settings, "dept_admin", random_department()),
            ),
            403,
            "forbidden",
        )
        assert (await client.delete(path, headers=admin)).status_code == 204
        gone = await client.delete(path, headers=admin)
        assert _is_problem(gone, 404, "officer-contacts-not-found")
        assert gone.json()["title"] == "Kontak petugas tidak ditemukan"
        listed = await client.get(f"/v1/departments/{department}/officers/contacts", headers=admin)
        assert [row["username"] for row in listed.json()] == ["sari.dewi"]


async def test_officers_hear_about_assignment_reassignment_and_withdrawal(infra, notify_pool, notify_database):
    department = random_department()
    budi, sari = "budi." + uuid.uuid4().hex[:6], "sari." + uuid.uuid4().hex[:6]
    mail = {budi: f"{budi}@dinas.depok.go.id", sari: f"{sari}@dinas.depok.go.id"}
    complaint_id, code = uuid.uuid4(), tracking_code()
    async with mail_server(infra, notify_database) as (settings, smtp):
        app = create_app(settings, consumers=False)
        async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
            admin = staff_headers(settings, "dept_admin", department)
            # The city words the withdrawal its own way, without a deploy.
            edited = await client.put(
                "/v1/templates/staff.officer_unassigned/id",
                json={"subject": "Tugas ${tracking_code} dicabut", "body": "Laporan ${tracking_code}: tugas dicabut."},
                headers=staff_headers(settings, "city_admin"),
            )
            assert edited.status_code == 200, edited.text
            for officer in (budi, sari):
                response = await client.put(
                    f"/v1/departments/{department}/officers/{officer}/contacts",
                    json={"emails": [mail[officer]]},
                    headers=admin,
                )
                assert response.status_code == 200, response.text
            async with (
                _stream(
                    client, department, staff_headers(settings, "field_officer", department, username=budi)
                ) as budi_live,
                _stream(
                    client, department, staff_headers(settings, "field_officer", department, username=sari)
                ) as sari_live,
                _stream(client, department, admin) as admin_live,
            ):
                await handle(notify_pool, _assigned(complaint_id, code, department, budi, None))
                await eventually(lambda: len(smtp.inbox.for_complaint(complaint_id)) >= 1, timeout_s=60)
                await handle(notify_pool, _assigned(complaint_id, code, department, sari, budi))
                await handle(notify_pool, _assigned(complaint_id, code, department, None, sari))
                await eventually(lambda: len(smtp.inbox.for_complaint(complaint_id)) >= 4, timeout_s=60)
                await eventually(lambda: len(budi_live) >= 2 and len(sari_live) >= 2, timeout_s=60)
                # Something the admins do hear about, to know their stream is live.
                queued = routed(department=department)
                await handle(notify_pool, queued)
                await eventually(lambda: admin_live, timeout_s=60)

            log = (
                await client.get(
                    f"/v1/complaints/{complaint_id}/notifications", headers=staff_headers(settings, "city_admin")
                )
            ).json()["notifications"]

    mails = smtp.inbox.for_complaint(complaint_id)
    assert sorted((m["To"], m["Subject"]) for m in mails) == sorted(
        [
            (mail[budi], f"Tugas baru: laporan {code}"),
            (mail[budi], f"Tugas {code} dicabut"),
            (mail[sari], f"Tugas baru: laporan {code}"),
            (mail[sari], f"Tugas {code} dicabut"),
        ]
    )
    assert all(department in m.get_content() for m in mails if m["Subject"].startswith("Tugas baru"))
    # Each officer's stream carries what is addressed to them (and the department's own
    # notifications), never what is addressed to another officer.
    for officer, live in ((budi, budi_live), (sari, sari_live)):
        own = [m for m in live if m["complaint_id"] == str(complaint_id)]
        assert [m["template"] for m in own] == ["staff.officer_assigned", "staff.officer_unassigned"]
        assert {m["params"]["tracking_code"] for m in own} == {code}
        assert own[0]["params"]["officer"] == officer
    # Officers' notifications stay on their own streams; the admins' stream got its own only.
    assert [(m["complaint_id"], m["template"]) for m in admin_live] == [
        (str(queued.data.complaint_id), "staff.new_in_queue")
    ]
    assert {(n["recipient"], n["channel"], n["status"]) for n in log} == {
        (f"officer:{department}:{officer}", channel, "sent")
        for officer in (budi, sari)
        for channel in ("dashboard", "email")
    }
    assert {n["address"] for n in log if n["channel"] == "email"} == {f"{budi[0]}***@d***.id", f"{sari[0]}***@d***.id"}
