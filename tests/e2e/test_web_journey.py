"""The main journey through the pages, in real headless Chromium against the running system:
a citizen reports with the live camera and gets a tracking code (the photo is verified_live);
the department admin verifies it and assigns a field officer; the officer finishes it on the
phone view with a live after-photo; the citizen's track page shows `selesai` and the citizen
rates it. Every actor uses their own browser (and camera scene: a second photo of one scene
would be caught as reuse)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.support.browser import assert_accessible, assert_no_page_errors, chromium, phone, y4m_scene
from tests.support.kafka import eventually
from tests.support.services import create_staff_user
from tests.support.web_staff import StatusStaffApi, log_in
from tests.unit.intake.images import scene

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TIMEOUT_MS = 30_000
PASSWORD = "sandi-petugas-perjalanan-1"
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


async def test_report_verify_assign_finish_and_rate(sigap, sigap_web, staff, infra, tmp_path):
    citizen_camera = y4m_scene(scene(uuid.uuid4().int % 10**9, (640, 480)), tmp_path / "citizen.y4m")
    officer_camera = y4m_scene(scene(uuid.uuid4().int % 10**9, (640, 480)), tmp_path / "officer.y4m")
    officer = f"petugas-perjalanan-{uuid.uuid4().hex[:6]}"
    create_staff_user(
        infra, sigap.services["status"].database, officer, PASSWORD, "--role", "field_officer", "--department", "DISHUB"
    )
    description = f"Lampu penerangan jalan mati total di depan sekolah, gelap sekali malam hari ({uuid.uuid4().hex[:6]})"

    async with chromium(camera_video=citizen_camera) as citizen_browser:
        citizen_context = await phone(citizen_browser, sigap_web)
        citizen = await citizen_context.new_page()

        # -- 1. The citizen reports with the live camera and gets a tracking code. -----------
        await citizen.goto("/lapor")
        await citizen.get_by_role("button", name="Buka kamera").click()
        await expect(citizen.get_by_role("button", name="Ambil foto")).to_be_visible(timeout=TIMEOUT_MS)
        await expect(citizen.locator("#place")).to_contain_text("Kelurahan", timeout=TIMEOUT_MS)
        await citizen.get_by_label("Ceritakan masalahnya").fill(description)
        await citizen.get_by_role("button", name="Ambil foto").click()
        await expect(citizen.locator("#camera-status")).to_contain_text("lolos pemeriksaan", timeout=TIMEOUT_MS)
        await citizen.get_by_role("button", name="Kirim laporan").click()
        code_field = citizen.locator("#receipt-code")
        await expect(code_field).to_have_text(re.compile(r"^SGP-[0-9A-Z]{4}-[0-9A-Z]{2}$"), timeout=TIMEOUT_MS)
        code, token = await code_field.inner_text(), await citizen.locator("#receipt-token").inner_text()
        assert (await _track(sigap, code, token))["photo_verdict"] == "verified_live"

        # -- 2. The department admin verifies it and assigns the officer. --------------------
        # Over status's staff HTTP API for now: the dashboard pages are being built in
        # parallel, and these two steps become dashboard clicks once they are merged.
        dishub = StatusStaffApi(sigap.url("status"), await staff.headers("dept_admin", "DISHUB"))
        complaint_id = (await dishub.find(code))["id"]
        assigned = await dishub.verify_and_assign(complaint_id, officer)
        assert assigned["status"] == "terverifikasi" and assigned["assigned_officer"] == officer

        # -- 3. The officer finishes it on the phone view with a live after-photo. -----------
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
        finished = (await dishub.view(complaint_id)).json()
        assert finished["status"] == "selesai" and finished["resolution_note"] == NOTE

        # -- 4. The citizen's track page shows selesai, and the citizen rates it. ------------
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

        async def rated_at_status():
            timeline = (await dishub.view(complaint_id)).json()["timeline"]
            return any(entry["type"].startswith("sigap.complaint.rated") for entry in timeline)

        await eventually(rated_at_status, timeout_s=30, interval_s=0.5)
        assert_no_page_errors(citizen_context)
