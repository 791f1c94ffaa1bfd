"""The citizen's journeys in real headless Chromium against the running system (the four
services and the web service as processes, real Kafka and PostgreSQL): a report made with the
live camera gets a tracking code and its photo is verified_live; a report made while the
network is cut waits on the device and is delivered exactly once when the network returns;
the citizen tracks it and adds information. Each page passes axe-core and is photographed."""

from __future__ import annotations

import re
import uuid

import asyncpg
import httpx
import pytest
from playwright.async_api import Page, expect

from tests.support.browser import (
    Transfer,
    assert_accessible,
    assert_no_page_errors,
    chromium,
    lose_first_answer,
    phone,
    screenshot,
    until,
    y4m_scene,
)
from tests.unit.intake.images import scene

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FIRST_LOAD_BUDGET = 200 * 1024
TIMEOUT_MS = 30_000


async def _report(page: Page, description: str) -> None:
    """Fill the report page as a citizen does: camera, location from the phone, the text."""
    await page.get_by_role("button", name="Buka kamera").click()
    shoot = page.get_by_role("button", name="Ambil foto")
    await expect(shoot).to_be_visible(timeout=TIMEOUT_MS)
    await expect(page.locator("#place")).to_contain_text("Kelurahan", timeout=TIMEOUT_MS)
    await page.get_by_label("Ceritakan masalahnya").fill(description)
    await expect(page.locator("#department")).to_contain_text("Kemungkinan ditangani oleh", timeout=TIMEOUT_MS)


async def _receipt(page: Page) -> tuple[str, str]:
    code = page.locator("#receipt-code")
    await expect(code).to_have_text(re.compile(r"^SGP-[0-9A-Z]{4}-[0-9A-Z]{2}$"), timeout=TIMEOUT_MS)
    return await code.inner_text(), await page.locator("#receipt-token").inner_text()


async def _track(sigap, code: str, token: str) -> dict:
    async with httpx.AsyncClient(base_url=sigap.url("intake"), timeout=10) as client:
        response = await client.get(f"/v1/track/{code}", headers={"X-Follow-Up-Token": token})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_citizen_reports_with_the_camera_and_the_photo_is_verified_live(sigap, sigap_web):
    async with chromium() as browser:  # Chromium's own fake camera: the green test pattern
        context = await phone(browser, sigap_web)
        transfer = Transfer(context)
        page = await context.new_page()
        await page.goto("/lapor")
        # The first visit is over once the service worker has cached the pages for offline use.
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        await page.wait_for_load_state("networkidle")
        total, rows = await transfer.total()
        print(f"\nfirst visit to /lapor: {total / 1024:.1f} KB compressed in {len(rows)} requests")
        for url, size in sorted(rows, key=lambda row: -row[1]):
            print(f"  {size / 1024:6.1f} KB  {url.removeprefix(sigap_web)}")
        assert total <= FIRST_LOAD_BUDGET
        await assert_accessible(page)
        await screenshot(page, "citizen-report")

        description = f"Lampu penerangan jalan mati total di depan masjid, gelap sekali malam hari ({uuid.uuid4().hex[:6]})"
        await _report(page, description)
        await screenshot(page, "citizen-report-camera", full_page=False)
        await page.get_by_role("button", name="Ambil foto").click()
        await expect(page.locator("#camera-status")).to_contain_text("lolos pemeriksaan", timeout=TIMEOUT_MS)
        await page.get_by_role("button", name="Kirim laporan").click()
        code, token = await _receipt(page)
        await assert_accessible(page)
        await screenshot(page, "citizen-receipt")

        tracked = await _track(sigap, code, token)
        assert tracked["photo_verdict"] == "verified_live"
        assert tracked["description"] == description

        await page.goto("/")
        await expect(page.get_by_role("link", name=code)).to_be_visible()
        await assert_accessible(page)
        await screenshot(page, "citizen-home")

        # Tracking: the link fills in the device's token and shows the report; once routing
        # has decided, the department handling it is named in plain words.
        await page.get_by_role("link", name=code).click()
        await expect(page.locator("#view-title")).to_have_text(code, timeout=TIMEOUT_MS)
        for _ in range(100):
            if await page.get_by_text("Ditangani oleh").count():
                break
            await page.get_by_role("button", name="Tampilkan").click()
            await page.wait_for_load_state()
        await expect(page.get_by_text("Ditangani oleh: Dinas Perhubungan")).to_be_visible()
        await expect(page.get_by_text("Laporan diteruskan ke Dinas Perhubungan.")).to_be_visible()
        await page.get_by_label("Pesan Anda").fill("Lampunya di tiang nomor 12, dekat halte.")
        await page.get_by_role("button", name="Kirim", exact=True).click()
        await expect(page.get_by_role("status")).to_have_text("Informasi tambahan diterima.", timeout=TIMEOUT_MS)
        await assert_accessible(page)
        await screenshot(page, "citizen-track")

        await page.goto("/lacak?lang=en")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Track a report")
        await page.goto("/?lang=id")
        assert_no_page_errors(context)


async def test_a_report_made_offline_is_delivered_once_when_the_network_returns(
    sigap, sigap_web, system_databases, infra, tmp_path
):
    # A scene of its own, so this photo is not a reuse of the other journey's test pattern.
    video = y4m_scene(scene(uuid.uuid4().int % 10**9, (640, 480)), tmp_path / "scene.y4m")
    description = f"Saluran air tersumbat sampah, air meluap ke jalan setiap hujan ({uuid.uuid4().hex[:6]})"
    async with chromium(camera_video=video) as browser:
        context = await phone(browser, sigap_web)
        page = await context.new_page()
        await page.goto("/lapor")
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        await _report(page, description)

        await context.set_offline(True)
        await page.get_by_role("button", name="Ambil foto").click()
        await expect(page.locator("#camera-status")).to_contain_text("saat ada sinyal", timeout=TIMEOUT_MS)
        await page.get_by_role("button", name="Kirim laporan").click()
        await expect(page.locator("#outcome-title")).to_have_text("Menunggu sinyal", timeout=TIMEOUT_MS)
        await screenshot(page, "citizen-waiting-for-signal")
        # Offline for the page means no request reached intake: nothing stored yet.
        assert await _stored(infra, system_databases, description) == 0

        # When the network returns, the first answer to the complaint is lost on the way back
        # (intake stored it): the device does not know, and sends it again on the next page load.
        answers = await lose_first_answer(context, "**/api/complaints")
        await context.set_offline(False)
        await until(lambda: len(answers) == 1, timeout_s=TIMEOUT_MS / 1000)
        await expect(page.locator("#outcome-title")).to_have_text("Menunggu sinyal")
        assert await _stored(infra, system_databases, description) == 1
        await page.reload()
        code, token = await _receipt(page)
        # The retry was answered with the first request's result.
        assert [answer.headers.get("idempotent-replayed") for answer in answers] == [None, "true"]
        assert await _stored(infra, system_databases, description) == 1
        tracked = await _track(sigap, code, token)
        assert tracked["photo_verdict"] == "verified_live"
        assert_no_page_errors(context, allow=("ERR_INTERNET_DISCONNECTED", "Failed to load resource"))


async def _stored(infra, system_databases, description: str) -> int:
    conn = await asyncpg.connect(**infra.pg_kwargs(system_databases["intake"]))
    try:
        return await conn.fetchval("SELECT count(*) FROM complaints WHERE description = $1", description)
    finally:
        await conn.close()
