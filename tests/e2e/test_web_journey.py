"""The main journey through the pages, in real headless Chromium against the running system:
a citizen reports a `publik` complaint with the live camera and gets a tracking code (the
photo is verified_live); the department admin, with the dashboard open, sees it appear in the
queue without a reload (notify's staff stream), opens it, verifies it and assigns a field
officer, each a form post answered with a redirect (a reload repeats nothing); the DISHUB
admin finds no DPUPR complaint anywhere in the dashboard; the officer finishes it on the phone
view with a live after-photo; the citizen's track page shows `selesai` and the citizen rates
it; and the public transparency page lists it and counts it on the map. Every actor uses their
own browser context (and camera scene: a second photo of one scene would be caught as reuse)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.support.browser import assert_accessible, assert_no_page_errors, chromium, phone, screenshot, y4m_scene
from tests.support.kafka import eventually
from tests.support.web_pages import DEPOK_CODE, PASSWORD, arrived, listed_in, map_shows, new_staff, signed_in, submit
from tests.support.web_staff import log_in
from tests.unit.intake.images import scene

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TIMEOUT_MS = 30_000
NOTE = "Lampu PJU diganti baru dan kabelnya diperbaiki, sudah menyala."


async def _track(sigap, code: str, token: str) -> dict:
    async with httpx.AsyncClient(base_url=sigap.url("intake"), timeout=10) as client:
        response = await client.get(f"/v1/track/{code}", headers={"X-Follow-Up-Token": token})
    assert response.status_code == 200, response.text
    return response.json()


async def _show_until(page: Page, locator, timeout_s: float = 60) -> None:
    """Press "Tampilkan" on the track page until `locator` is there (the status travels from
    status to intake over Kafka)."""

    async def shown() -> bool:
        if await locator.count():
            return True
        await page.get_by_role("button", name="Tampilkan").click()
        await page.wait_for_load_state()
        return False

    await eventually(shown, timeout_s=timeout_s, interval_s=0.5)


async def _reload_until(page: Page, locator, timeout_s: float = 60) -> None:
    """Reload a dashboard page until `locator` is there (the news travels over Kafka)."""

    async def shown() -> bool:
        if await locator.count():
            return True
        await page.reload()
        return False

    await eventually(shown, timeout_s=timeout_s, interval_s=0.5)


async def _report(citizen: Page, description: str) -> tuple[str, str]:
    """The citizen's report with the live camera, `publik`; the tracking code and token."""
    await citizen.goto("/lapor")
    await citizen.get_by_role("button", name="Buka kamera").click()
    await expect(citizen.get_by_role("button", name="Ambil foto")).to_be_visible(timeout=TIMEOUT_MS)
    await expect(citizen.locator("#place")).to_contain_text("Kelurahan", timeout=TIMEOUT_MS)
    await citizen.get_by_label("Ceritakan masalahnya").fill(description)
    await citizen.get_by_role("radio", name="Publik").check()
    await citizen.locator("#name").fill("Warga Perjalanan")
    await citizen.get_by_role("button", name="Ambil foto").click()
    await expect(citizen.locator("#camera-status")).to_contain_text("lolos pemeriksaan", timeout=TIMEOUT_MS)
    await citizen.get_by_role("button", name="Kirim laporan").click()
    code_field = citizen.locator("#receipt-code")
    await expect(code_field).to_have_text(re.compile(r"^SGP-[0-9A-Z]{4}-[0-9A-Z]{2}$"), timeout=TIMEOUT_MS)
    return await code_field.inner_text(), await citizen.locator("#receipt-token").inner_text()


async def _nothing_of(admin: Page, foreign: dict) -> None:
    """The DISHUB admin's dashboard holds nothing of a DPUPR complaint: not in the queue's
    search, not on its page."""
    await admin.goto("/dasbor")
    await admin.get_by_label("Cari").fill(foreign["tracking_code"])
    await admin.get_by_role("button", name="Terapkan").click()
    await expect(admin.get_by_text("Tidak ada pengaduan yang cocok")).to_be_visible()
    assert foreign["id"] not in await admin.content()
    answer = await admin.goto(f"/dasbor/pengaduan/{foreign['id']}")
    assert answer is not None and answer.status == 404
    await expect(admin.get_by_role("heading", level=1)).to_have_text("Pengaduan tidak ditemukan")


async def test_report_see_live_verify_assign_finish_rate_and_show_in_public(sigap, sigap_web, staff, infra, tmp_path):
    citizen_camera = y4m_scene(scene(uuid.uuid4().int % 10**9, (640, 480)), tmp_path / "citizen.y4m")
    officer_camera = y4m_scene(scene(uuid.uuid4().int % 10**9, (640, 480)), tmp_path / "officer.y4m")
    admin_name = new_staff(sigap, infra, "dept_admin", "DISHUB")
    officer = new_staff(sigap, infra, "field_officer", "DISHUB")
    description = f"Lampu penerangan jalan mati total di depan sekolah, gelap sekali malam hari ({uuid.uuid4().hex[:6]})"

    async with chromium(camera_video=citizen_camera) as browser:
        citizen_context = await phone(browser, sigap_web)
        citizen = await citizen_context.new_page()

        # -- 1. The admin has the queue open, newest first (in the session's shared system the
        # department's queue runs to more than a page); it listens to notify's staff stream. ----
        admin_context, admin = await signed_in(browser, sigap_web, "/dasbor?sort=newest", admin_name)
        await expect(admin.locator("#live-status")).to_have_text("Antrean diperbarui langsung.", timeout=TIMEOUT_MS)
        await admin.evaluate("window.notReloaded = true")

        # -- 2. The citizen reports with the live camera and gets a tracking code. -----------
        code, token = await _report(citizen, description)
        assert (await _track(sigap, code, token))["photo_verdict"] == "verified_live"

        # -- 3. ... and it appears in the admin's queue without a reload. --------------------
        row = admin.locator("#queue-rows tr").filter(has_text=code)
        await expect(row).to_be_visible(timeout=TIMEOUT_MS)
        assert await admin.evaluate("window.notReloaded === true")
        await expect(row).to_contain_text("Diterima dinas")
        await assert_accessible(admin)

        # -- 4. The admin opens it, verifies it and assigns the officer. ---------------------
        await row.get_by_role("link", name=code).click()
        await expect(admin.get_by_role("heading", level=1)).to_contain_text(code)
        page_url = admin.url
        complaint_id = page_url.rsplit("/", 1)[1]
        await expect(admin.locator(".quote")).to_have_text(description)
        await expect(admin.locator(".photos")).to_contain_text("Terverifikasi foto langsung")
        await admin.get_by_role("button", name="Verifikasi pengaduan").click()
        await expect(admin.locator("#outcome")).to_have_text("Pengaduan sudah diverifikasi.")
        assert admin.url == page_url  # redirected back to the page, not left on the form's address
        await expect(admin.locator("h1 .badge")).to_have_text("Terverifikasi")
        await admin.reload()  # repeats nothing, and the confirmation was shown once
        await expect(admin.locator("h1 .badge")).to_have_text("Terverifikasi")
        await expect(admin.locator("#outcome")).to_have_count(0)
        await expect(admin.locator(".timeline > li").filter(has_text="menjadi: Terverifikasi")).to_have_count(1)
        await admin.get_by_label("Pilih petugas").select_option(officer)
        await admin.get_by_role("button", name="Tugaskan").click()
        await expect(admin.locator("#outcome")).to_have_text("Petugas sudah ditugaskan.")
        assert admin.url == page_url
        await expect(admin.locator("#what-title + .quote + dl")).to_contain_text(officer)
        await expect(admin.locator(".timeline > li").filter(has_text="Penugasan petugas berubah")).to_have_count(1)
        await assert_accessible(admin)

        # -- 5. A DPUPR complaint is nowhere in the DISHUB admin's dashboard. ----------------
        road = await submit(
            sigap,
            {
                "kind": "pengaduan",
                "description": f"Jalan berlubang besar dan aspal rusak parah di Jl. Margonda ({code})",
                "category": "jalan_rusak",
                "location": {"lat": -6.3731, "lon": 106.8319},
                "privacy": "anonim",
            },
        )
        await arrived(sigap, staff, road["id"], "DPUPR")
        await _nothing_of(admin, road)

        # -- 6. The officer finishes it on the phone view with a live after-photo. -----------
        async with chromium(camera_video=officer_camera) as officer_browser:
            officer_context = await phone(officer_browser, sigap_web)
            page = await officer_context.new_page()
            await log_in(page, "/tugas", officer, PASSWORD)
            task = page.locator(f"#task-{complaint_id}")
            await expect(task).to_be_visible(timeout=TIMEOUT_MS)
            await task.get_by_role("link", name=re.compile("Lampu penerangan jalan mati total")).click()
            await page.get_by_role("button", name="Tandai dalam proses").click()
            await expect(page.locator("#task-status")).to_have_text("Dalam proses", timeout=TIMEOUT_MS)
            await page.get_by_role("button", name="Buka kamera").click()
            await page.get_by_role("button", name="Ambil foto").click()
            await expect(page.locator("#camera-status")).to_have_text(
                "Foto terunggah dan lolos pemeriksaan.", timeout=TIMEOUT_MS
            )
            await page.get_by_label("Catatan penyelesaian").fill(NOTE)
            await page.get_by_role("button", name="Tandai selesai").click()
            await expect(page.locator("#task-status")).to_have_text("Selesai", timeout=TIMEOUT_MS)
            assert_no_page_errors(officer_context)
        await admin.goto(page_url)
        await expect(admin.locator("h1 .badge")).to_have_text("Selesai")
        await expect(admin.locator("#what-title + .quote + dl")).to_contain_text(NOTE)

        # -- 7. The citizen's track page shows selesai, and the citizen rates it. ------------
        await citizen.goto("/")
        await citizen.get_by_role("link", name=code).click()
        await expect(citizen.locator("#view-title")).to_have_text(code, timeout=TIMEOUT_MS)
        await _show_until(citizen, citizen.locator(".badge.status-selesai"))
        await expect(citizen.locator(".badge.status-selesai")).to_have_text("Selesai")
        await expect(citizen.get_by_text(NOTE, exact=True)).to_be_visible()  # in the timeline
        await citizen.get_by_label("5 bintang").check()
        await citizen.get_by_label("Komentar (boleh dikosongkan)").fill("Cepat ditangani, terima kasih.")
        await citizen.get_by_role("button", name="Kirim penilaian").click()
        await expect(citizen.get_by_text("Penilaian Anda: 5 dari 5")).to_be_visible(timeout=TIMEOUT_MS)
        await assert_accessible(citizen)
        assert (await _track(sigap, code, token))["rating"] == 5
        # The rating reaches the department's page too.
        await _reload_until(admin, admin.locator(".timeline > li").filter(has_text="Pelapor memberi penilaian"))

        # -- 8. The public transparency page lists it, finished, and counts it on the map. ---
        await citizen.goto("/transparansi?kelurahan=Depok&status=selesai#list-title")
        entry = citizen.locator(f"#complaint-{complaint_id}")
        await expect(entry).to_be_visible(timeout=TIMEOUT_MS)
        await expect(entry).to_contain_text("Selesai")
        await expect(entry).to_contain_text("Depok")
        html = await citizen.content()
        assert code not in html and "Warga Perjalanan" not in html and officer not in html
        listed = await listed_in(sigap, "Depok")
        assert complaint_id in listed
        await map_shows(citizen, DEPOK_CODE, len(listed))
        await assert_accessible(citizen)
        await screenshot(citizen, "journey-transparency")
        assert_no_page_errors(citizen_context)
        assert_no_page_errors(admin_context, allow=("404",))
