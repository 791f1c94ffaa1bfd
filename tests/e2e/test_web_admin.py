"""The city admin's pages in real Chromium against the running system: a city admin creates a
department admin's account without choosing its password, the new person sets it with the
one-time setup code and logs in; a deactivated account's session ends; other roles get a clear
403 at /admin. Axe scans each page; desktop screenshots go to docs/screenshots/admin-*.png."""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.support.browser import assert_accessible, assert_no_page_errors, chromium, desktop, screenshot
from tests.support.kafka import eventually
from tests.support.web_pages import new_staff, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PASSWORD = "sandi-admin-kota-web-1"
OWN_PASSWORD = "pilihan-saya-sendiri-7"


@pytest.fixture(scope="module")
def city_admin(sigap, infra) -> str:
    return new_staff(sigap, infra, "city_admin", password=PASSWORD)


async def log_in(page: Page, username: str, password: str, *, next_path: str = "/dasbor") -> None:
    await page.goto(f"/masuk?next={next_path}")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(password)
    await page.get_by_role("button", name="Masuk", exact=True).click()


async def create_account(page: Page, username: str, role: str, department: str | None) -> str:
    """Creates an account on /admin/akun; returns the setup link's path shown once."""
    await page.goto("/admin/akun")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Peran").select_option(role)
    await page.get_by_label("Dinas", exact=True).select_option(department or "")
    await page.get_by_role("button", name="Buat akun").click()
    await expect(page.get_by_role("heading", name=f"Akun {username} dibuat")).to_be_visible()
    link = await page.locator("#setup-link").inner_text()
    code = await page.locator("#setup-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
    path = link[link.index("/atur-sandi") :]
    assert path == f"/atur-sandi#kode={code}"
    return path


async def set_own_password(context: BrowserContext, setup_path: str, username: str) -> Page:
    page = await context.new_page()
    await page.goto(setup_path)
    # The page's script takes the code from the fragment and drops it from the address bar.
    await expect(page.get_by_label("Kode penyetelan")).to_have_value(setup_path.split("#kode=")[1])
    assert "#" not in page.url
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi baru", exact=True).fill(OWN_PASSWORD)
    await page.get_by_label("Ulangi kata sandi baru").fill(OWN_PASSWORD)
    await page.get_by_role("button", name="Simpan kata sandi").click()
    await expect(page.get_by_role("status")).to_contain_text("Kata sandi Anda tersimpan")
    return page


async def test_a_city_admin_creates_a_department_admin_who_sets_their_own_password(sigap_web, city_admin):
    newcomer = f"kepala.dishub-{uuid.uuid4().hex[:6]}"
    async with chromium() as browser:
        admin_context, admin = await signed_in(browser, sigap_web, "/admin", city_admin, PASSWORD)
        await expect(admin.get_by_role("heading", name="Admin kota")).to_be_visible()
        await assert_accessible(admin)
        await screenshot(admin, "admin-home")
        await admin.goto("/admin/akun?lang=en")
        await expect(admin.get_by_role("heading", name="Create an account")).to_be_visible()
        await admin.get_by_role("link", name="Bahasa Indonesia").click()
        await expect(admin.get_by_role("heading", name="Buat akun baru")).to_be_visible()

        # A bad username is refused with the field's own message; nothing is created.
        await admin.goto("/admin/akun")
        await admin.get_by_label("Nama pengguna").fill("Budi Spasi")
        await admin.get_by_label("Peran").select_option("dept_admin")
        await admin.get_by_label("Dinas", exact=True).select_option("DISHUB")
        await admin.get_by_role("button", name="Buat akun").click()
        await expect(admin.locator("#username-error")).to_contain_text("huruf kecil")
        await expect(admin.get_by_label("Nama pengguna")).to_have_attribute("aria-invalid", "true")
        await assert_accessible(admin)

        setup_path = await create_account(admin, newcomer, "dept_admin", "DISHUB")
        await assert_accessible(admin)
        await screenshot(admin, "admin-setup-code")
        # The code is shown once: a reload creates nothing and shows the account's page instead.
        await admin.reload()
        await expect(admin).to_have_url(re.compile(rf"/admin/akun/{re.escape(newcomer)}$"))
        await expect(admin.locator("#setup-code")).to_have_count(0)
        await admin.goto("/admin/akun?departemen=DISHUB")
        row = admin.get_by_role("row").filter(has_text=newcomer)
        await expect(row).to_contain_text("Menunggu kata sandi")
        await assert_accessible(admin)
        await screenshot(admin, "admin-accounts")

        # The newcomer, in their own browser, chooses their password with the code and logs in.
        newcomer_context = await desktop(browser, sigap_web)
        own = await newcomer_context.new_page()
        await own.goto(setup_path)
        await own.get_by_label("Nama pengguna").fill(newcomer)
        await own.get_by_label("Kata sandi baru", exact=True).fill(OWN_PASSWORD)
        await own.get_by_label("Ulangi kata sandi baru").fill(OWN_PASSWORD + "x")
        await own.get_by_role("button", name="Simpan kata sandi").click()
        await expect(own.locator("#password-again-error")).to_contain_text("tidak sama")
        await assert_accessible(own)
        await screenshot(own, "admin-set-password")
        await own.close()
        await set_own_password(newcomer_context, setup_path, newcomer)
        page = await newcomer_context.new_page()
        await log_in(page, newcomer, OWN_PASSWORD)
        await expect(page).to_have_url(re.compile(r"/dasbor$"))
        # The code worked once.
        await page.goto(setup_path)
        await page.get_by_label("Nama pengguna").fill(newcomer)
        await page.get_by_label("Kata sandi baru", exact=True).fill("lain-lagi-sekali-9")
        await page.get_by_label("Ulangi kata sandi baru").fill("lain-lagi-sekali-9")
        await page.get_by_role("button", name="Simpan kata sandi").click()
        await expect(page.locator("#code-error")).to_contain_text("sudah dipakai")

        # A department admin is not a city admin: a clear 403 at every admin page.
        for path in ("/admin", "/admin/akun", f"/admin/akun/{city_admin}"):
            response = await page.goto(path)
            assert response is not None and response.status == 403, path
            await expect(page.get_by_role("heading", name="Tidak diizinkan")).to_be_visible()
        await assert_accessible(page)
        await screenshot(page, "admin-forbidden")

        # The city admin sees who did what.
        await admin.goto(f"/admin/akun/{newcomer}")
        audit = admin.get_by_role("region", name="Riwayat perubahan")
        await expect(audit).to_contain_text(f"Kata sandi dipasang oleh {newcomer}")
        await expect(audit).to_contain_text(f"Dibuat oleh {city_admin}")
        await assert_accessible(admin)
        await screenshot(admin, "admin-account")
        assert_no_page_errors(admin_context, allow=("422",))
        assert_no_page_errors(newcomer_context, allow=("403", "422"))


async def test_a_deactivated_accounts_session_ends(sigap_web, city_admin):
    colleague = f"admin.kedua-{uuid.uuid4().hex[:6]}"
    async with chromium() as browser:
        admin_context, admin = await signed_in(browser, sigap_web, "/admin/akun", city_admin, PASSWORD)
        setup_path = await create_account(admin, colleague, "city_admin", None)

        colleague_context = await desktop(browser, sigap_web)
        await set_own_password(colleague_context, setup_path, colleague)
        page = await colleague_context.new_page()
        await log_in(page, colleague, OWN_PASSWORD, next_path="/admin/akun")
        await expect(page.get_by_role("heading", name="Akun petugas")).to_be_visible()

        await admin.goto(f"/admin/akun/{colleague}")
        await admin.get_by_role("button", name="Nonaktifkan akun").click()
        await expect(admin.get_by_role("status")).to_contain_text("dinonaktifkan")
        await expect(admin).to_have_url(re.compile(rf"/admin/akun/{re.escape(colleague)}$"))
        await expect(admin.get_by_role("button", name="Aktifkan kembali")).to_be_visible()
        await admin.reload()  # Post/Redirect/Get: the confirmation was shown once
        await expect(admin.get_by_role("status")).to_have_count(0)
        await expect(admin.get_by_role("button", name="Aktifkan kembali")).to_be_visible()

        # The colleague's next page ends their session: back to the login page, cookie gone.
        await page.goto("/admin/akun")
        await expect(page).to_have_url(re.compile(r"/masuk\?next=/admin/akun$"))
        assert "sigap_session" not in {cookie["name"] for cookie in await colleague_context.cookies()}
        await log_in(page, colleague, OWN_PASSWORD)
        await expect(page.get_by_role("alert")).to_contain_text("tidak aktif")
        assert_no_page_errors(admin_context)


async def test_sla_and_taxonomy_pages_show_routing_validation_errors_and_save_good_input(sigap_web, city_admin):
    async with chromium() as browser:
        context, page = await signed_in(browser, sigap_web, "/admin/sla", city_admin, PASSWORD)
        await expect(page.get_by_role("heading", name="SLA dan hari libur")).to_be_visible()
        await expect(page.locator("#how-to-change")).to_contain_text("SIGAP_SLA_CATEGORY_DAYS")
        await expect(page.get_by_role("region", name="Target per kategori dan dinas")).to_contain_text("DISHUB")
        await expect(page.get_by_text(re.compile(r"-08-17"))).to_be_visible()
        await assert_accessible(page)
        await screenshot(page, "admin-sla", full_page=False)

        await page.goto("/admin/taksonomi")
        editor = page.get_by_label("Dokumen taksonomi (JSON)")
        document = json.loads(await editor.input_value())
        await editor.fill('{"name": "rusak",')
        await page.get_by_role("button", name="Simpan sebagai versi baru").click()
        await expect(page.locator("#taxonomy-errors")).to_contain_text("Bukan JSON yang valid")

        wrong = json.loads(json.dumps(document))
        wrong["categories"][0]["department"] = "DINAS_FIKTIF"
        await page.get_by_label("Dokumen taksonomi (JSON)").fill(json.dumps(wrong))
        await page.get_by_role("button", name="Simpan sebagai versi baru").click()
        await expect(page.locator("#taxonomy-errors")).to_contain_text("DINAS_FIKTIF")
        await expect(page.get_by_role("heading", name="Taksonomi routing")).to_be_visible()
        await assert_accessible(page)

        phrase = f"Kampung Uji Admin {uuid.uuid4().hex[:6]}"
        document["neutral_phrases"] = [*document.get("neutral_phrases", []), phrase]
        await page.get_by_label("Dokumen taksonomi (JSON)").fill(json.dumps(document, ensure_ascii=False, indent=2))
        await page.get_by_label("Catatan perubahan").fill("uji halaman admin")
        await page.get_by_role("button", name="Simpan sebagai versi baru").click()
        await expect(page.get_by_role("status")).to_contain_text("Tersimpan sebagai versi")
        assert phrase in await page.get_by_label("Dokumen taksonomi (JSON)").input_value()
        await expect(page.get_by_role("region", name="Riwayat versi")).to_contain_text("uji halaman admin")
        await assert_accessible(page)
        await screenshot(page, "admin-taxonomy", full_page=False)

        # Usable on a 360 px phone: nothing wider than the screen but the scrollable tables.
        await page.set_viewport_size({"width": 360, "height": 800})
        for path in ("/admin", "/admin/akun", "/admin/sla", "/admin/taksonomi", "/admin/templat", "/admin/webhook", "/admin/triase"):
            await page.goto(path)
            assert await page.evaluate("document.documentElement.scrollWidth") <= 360, path
        await assert_accessible(page)
        assert_no_page_errors(context, allow=("422",))


async def test_template_and_webhook_pages_show_errors_and_save_good_input(sigap_web, city_admin):
    async with chromium() as browser:
        context, page = await signed_in(browser, sigap_web, "/admin/templat", city_admin, PASSWORD)
        await expect(page.get_by_role("heading", name="Templat pesan")).to_be_visible()
        await assert_accessible(page)
        await page.get_by_role("link", name="staff.digest").first.click()
        await expect(page).to_have_url(re.compile(r"/admin/templat/staff\.digest/(id|en)$"))
        subject, body = page.get_by_label("Subjek"), page.get_by_label("Isi pesan")
        original = (await subject.input_value(), await body.input_value())

        await subject.fill("Ringkasan $")
        await page.get_by_role("button", name="Pratinjau").click()
        await expect(page.get_by_role("region", name="Pratinjau dengan contoh isian")).to_contain_text("tidak bisa dipakai")
        await page.get_by_role("button", name="Simpan").click()
        await expect(page.locator("#template-errors")).to_contain_text("Templat tidak disimpan")

        await subject.fill("Ringkasan ${count} laporan untuk ${department} ${nama_pejabat}")
        await page.get_by_role("button", name="Pratinjau").click()
        preview = page.get_by_role("region", name="Pratinjau dengan contoh isian")
        await expect(preview).to_contain_text("Ringkasan 3 laporan untuk DISHUB")
        await expect(page.locator("#unknown-placeholders")).to_contain_text("nama_pejabat")
        await assert_accessible(page)
        await screenshot(page, "admin-template")

        await subject.fill(original[0] + " (uji)")
        await page.get_by_role("button", name="Simpan").click()
        await expect(page.get_by_role("status")).to_contain_text("Templat tersimpan")
        await expect(page.get_by_label("Subjek")).to_have_value(original[0] + " (uji)")
        await page.get_by_label("Subjek").fill(original[0])
        await page.get_by_role("button", name="Simpan").click()
        await expect(page.get_by_role("status")).to_contain_text("Templat tersimpan")

        # Webhooks of a department no other test sends complaints to; removed again at once.
        await page.goto("/admin/webhook")
        await page.get_by_label("Dinas").select_option("INSPEKTORAT")
        await page.get_by_role("button", name="Tampilkan").click()
        await page.get_by_label("URL penerima").fill("http://sistem.inspektorat.test/sigap")
        await page.get_by_role("button", name="Tambah webhook").click()
        await expect(page.locator("#webhook-errors")).to_contain_text("https://")
        await expect(page.get_by_label("URL penerima")).to_have_attribute("aria-invalid", "true")
        url = f"https://93.184.215.14/sigap/{uuid.uuid4().hex[:8]}"
        await page.get_by_label("URL penerima").fill(url)
        await page.get_by_role("button", name="Tambah webhook").click()
        secret = await page.locator("#webhook-secret").inner_text()
        assert len(secret) >= 32
        await expect(page.get_by_role("region", name="Webhook INSPEKTORAT")).to_contain_text(url)
        await assert_accessible(page)
        await screenshot(page, "admin-webhooks")
        await page.get_by_role("button", name=f"Hapus webhook {url}").click()
        await expect(page.get_by_role("status")).to_contain_text("Webhook dihapus")
        await page.reload()
        await expect(page.get_by_role("status")).to_have_count(0)
        await expect(page.get_by_role("region", name="Webhook INSPEKTORAT")).not_to_contain_text(url)
        # The secret is not shown again anywhere.
        assert secret not in await page.content()
        assert_no_page_errors(context, allow=("422",))


async def test_the_triage_desk_sends_a_complaint_to_a_department(sigap, sigap_web, staff, city_admin):
    marker = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(timeout=10) as client:
        submitted = await client.post(
            f"{sigap.url('intake')}/v1/complaints",
            json={
                "kind": "pengaduan",
                "description": f"halo min, mau nanya aja ya {marker}",
                "location": {"lat": -6.3731, "lon": 106.819, "address": "Jl. Palakali, Kukusan"},
                "privacy": "anonim",
            },
        )
    assert submitted.status_code == 201, submitted.text
    complaint_id, code = submitted.json()["id"], submitted.json()["tracking_code"]
    admin_headers = await staff.headers("city_admin")

    async def department() -> str | None:
        async with httpx.AsyncClient(timeout=5) as client:
            answer = await client.get(f"{sigap.url('status')}/v1/staff/complaints/{complaint_id}", headers=admin_headers)
        return answer.json().get("department") if answer.status_code == 200 else None

    assert await eventually(department, timeout_s=30) == "TRIAGE"

    async with chromium() as browser:
        context, page = await signed_in(browser, sigap_web, "/admin/triase", city_admin, PASSWORD)
        card = page.get_by_role("article").filter(has=page.get_by_role("heading", name=re.compile(code)))
        await expect(card).to_be_visible()
        await card.get_by_label("Kirim ke dinas").select_option("DLHK")
        await card.get_by_label("Alasan").fill("x")
        await card.get_by_role("button", name=f"Kirim {code}").click()
        await expect(card.get_by_role("alert")).to_contain_text("minimal 3")
        await expect(card.get_by_label("Kirim ke dinas")).to_have_value("DLHK")  # what was chosen stays
        await assert_accessible(page)
        await screenshot(page, "admin-triage")
        await card.get_by_label("Alasan").fill("Sampah menumpuk di pinggir jalan, urusan DLHK")
        await card.get_by_role("button", name=f"Kirim {code}").click()
        await expect(page.get_by_role("status")).to_contain_text(f"Laporan {code} dikirim ke DLHK")
        assert_no_page_errors(context, allow=("422",))

    assert await eventually(lambda: _is(department, "DLHK"), timeout_s=30)


async def _is(check, expected: str) -> bool:
    return await check() == expected
