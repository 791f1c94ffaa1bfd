"""The citizen's tracking page follows SP4N-LAPOR!'s reopen window, in real headless Chromium
against the running system: once the department has finished the complaint, the page offers the
reopen form until the date LAPOR! would close it; after status's sweep has closed the quiet
complaint by itself (driven here on the session's status database, its event going round through
Kafka to intake), there is no form, but why it closed and what the citizen can do now."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from playwright.async_api import Page, expect

from sigap_status.lapor.commands import close_quiet_complaints
from sigap_status.lapor.rules import LaporPolicy
from sigap_status.sla.rules import WorkingCalendar
from sigap_web.citizen.pages import when
from tests.support.browser import DEPOK, assert_accessible, assert_no_page_errors, chromium, phone
from tests.support.kafka import eventually
from tests.support.web_pages import arrived, submit
from tests.unit.intake.images import camera_photo

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TIMEOUT_MS = 30_000
PLACE = (DEPOK["latitude"], DEPOK["longitude"])
RESOLUTION = "Lampu sudah diganti dan menyala kembali"


async def _finished_by_dishub(sigap, staff, complaint_id: str) -> None:
    """Verified, handled and finished by DISHUB's admin with a live after-photo."""
    intake, status = sigap.url("intake"), sigap.url("status")
    admin = await staff.headers("dept_admin", "DISHUB")
    async with httpx.AsyncClient(timeout=20) as client:

        async def transition(**body) -> httpx.Response:
            view = (await client.get(f"{status}/v1/staff/complaints/{complaint_id}", headers=admin)).json()
            return await client.post(
                f"{status}/v1/complaints/{complaint_id}/transitions",
                json={"expected_version": view["version"], **body},
                headers=admin,
            )

        for to in ("terverifikasi", "dalam_proses"):
            moved = await transition(to=to)
            assert moved.status_code == 200, moved.text
        session = await client.post(f"{intake}/v1/capture-sessions")
        photo = await client.post(
            f"{intake}/v1/photos",
            data={"capture_token": session.json()["capture_token"]},
            files={"file": ("IMG_0003.jpg", camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC), gps=PLACE),
                            "application/octet-stream")},
        )  # fmt: skip
        assert photo.status_code == 201, photo.text
        finished = await transition(to="selesai", resolution_note=RESOLUTION, after_photo_ids=[photo.json()["id"]])
        assert finished.status_code == 200, finished.text


async def _tracked(sigap, code: str, token: str, ready) -> dict:
    """Intake's tracking view once `ready(view)` holds (status's events reach intake by Kafka)."""

    async def view():
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(f"{sigap.url('intake')}/v1/track/{code}", headers={"X-Follow-Up-Token": token})
        return response.json() if response.status_code == 200 and ready(response.json()) else None

    return await eventually(view, timeout_s=60, interval_s=0.3)


async def _auto_closed(sigap, infra, complaint_id: str) -> None:
    """Make the follow-up 30 days old and run status's LAPOR! sweep, in one transaction, so the
    running service's own sweep (which skips locked rows) cannot take it first."""
    conn = await asyncpg.connect(**infra.pg_kwargs(sigap.services["status"].database))
    try:
        async with conn.transaction():
            moved = await conn.execute(
                "UPDATE complaints SET resolved_at = $2 WHERE id = $1 AND status = 'selesai' AND lapor_closed_at IS NULL",
                uuid.UUID(complaint_id),
                datetime.now(UTC) - timedelta(days=30),
            )
            assert moved == "UPDATE 1", moved
            assert await close_quiet_complaints(conn=conn, policy=LaporPolicy(calendar=WorkingCalendar())) >= 1
        assert await conn.fetchval("SELECT lapor_closed_at FROM complaints WHERE id = $1", uuid.UUID(complaint_id))
    finally:
        await conn.close()


async def _show(page: Page, code: str, token: str, lang: str = "id") -> None:
    await page.goto(f"/lacak?lang={lang}")
    await page.locator("#code").fill(code)
    await page.locator("#token").fill(token)
    await page.locator("#track-form button[type=submit]").click()
    await expect(page.locator("#view-title")).to_have_text(code, timeout=TIMEOUT_MS)


async def test_the_reopen_form_shows_until_lapor_closes_the_complaint_and_then_why_it_closed(
    sigap, sigap_web, staff, infra
):
    marker = uuid.uuid4().hex[:6]
    receipt = await submit(sigap, {
        "kind": "pengaduan", "category": "lampu_jalan", "privacy": "rahasia",
        "location": {"lat": PLACE[0], "lon": PLACE[1]}, "reporter": {"name": f"Warga Keberatan {marker}"},
        "description": f"Lampu PJU di gang masjid mati, jalan gelap tiap malam ({marker})",
    })  # fmt: skip
    code, token, complaint_id = receipt["tracking_code"], receipt["follow_up_token"], receipt["id"]
    await arrived(sigap, staff, complaint_id, "DISHUB")
    await _finished_by_dishub(sigap, staff, complaint_id)
    finished = await _tracked(sigap, code, token, lambda view: view["status"] == "selesai")
    assert finished["can_reopen"] is True and finished["lapor_closed_at"] is None
    async with httpx.AsyncClient(timeout=10) as client:
        lapor = (await client.get(f"{sigap.url('status')}/v1/track/{code}/lapor-stage")).json()
    assert lapor["lapor_stage"] == "menunggu_tanggapan"
    closes = datetime.fromisoformat(lapor["lapor_stage_due_at"])
    # LAPOR!'s ten working days end before intake's 30 calendar days: the page gives LAPOR!'s date.
    assert closes < datetime.fromisoformat(finished["reopen_until"])

    async with chromium() as browser:
        context = await phone(browser, sigap_web)
        page = await context.new_page()
        await _show(page, code, token)
        await expect(page.locator("#lapor-stage")).to_have_text("Tahap SP4N-LAPOR!: Menunggu tanggapan pelapor")
        reopen = page.locator("section#reopen")
        await expect(reopen.locator("#reopen-lead")).to_have_text(
            f"Anda dapat mengajukan keberatan atau membuka kembali laporan ini sampai {when(closes)}."
        )
        await expect(reopen.get_by_role("button", name="Minta dibuka kembali")).to_be_visible()
        await expect(page.locator("#closed-automatically")).to_have_count(0)
        await assert_accessible(page)

        await _auto_closed(sigap, infra, complaint_id)
        closed = await _tracked(sigap, code, token, lambda view: view["lapor_closed_at"] is not None)
        assert closed["can_reopen"] is False and closed["reopen_until"] is None

        await _show(page, code, token)
        await expect(page.locator("#lapor-stage")).to_have_text("Tahap SP4N-LAPOR!: Selesai dan ditutup")
        await expect(page.locator("section#reopen")).to_have_count(0)
        await expect(page.locator("form[action='/lacak/reopen']")).to_have_count(0)
        explained = page.locator("#closed-automatically")
        await expect(explained).to_contain_text(
            "Laporan ini ditutup otomatis karena tidak ada tanggapan dalam 10 hari kerja setelah tindak lanjut dinas"
        )
        await expect(explained).to_contain_text(f"Ditutup pada {when(closed['lapor_closed_at'])}.")
        await expect(explained).to_contain_text(f"kirim laporan baru dan sebutkan kode {code}")
        await expect(explained.get_by_role("link", name="Kirim laporan baru")).to_have_attribute("href", "/lapor")
        # The timeline names the auto-close; the follow-up's note is not repeated with it.
        timeline = page.locator("ol.timeline > li")
        await expect(timeline.last).to_contain_text("Laporan ditutup otomatis (SP4N-LAPOR!)")
        await expect(page.locator("ol.timeline q", has_text=RESOLUTION)).to_have_count(1)
        await assert_accessible(page)

        # In English too, the form stays away.
        await _show(page, code, token, lang="en")
        await expect(page.locator("#closed-automatically")).to_contain_text(
            "closed automatically because there was no response within 10 working days"
        )
        await expect(page.locator("form[action='/lacak/reopen']")).to_have_count(0)
        await page.goto("/lacak?lang=id")
        assert_no_page_errors(context)
