"""The city admin's pages in real Chromium against the running system: a city admin creates a
department admin's account without choosing its password, the new person sets it with the
one-time setup code and logs in; a deactivated account's session ends; other roles get a clear
403 at /admin. Axe scans each page; desktop screenshots go to docs/screenshots/admin-*.png."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.support.browser import assert_accessible, assert_no_page_errors, chromium, desktop, screenshot
from tests.support.services import create_staff_user

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PASSWORD = "sandi-admin-kota-web-1"
OWN_PASSWORD = "pilihan-saya-sendiri-7"


@pytest.fixture(scope="module")
def city_admin(sigap, infra) -> str:
    username = f"admin-kota-{uuid.uuid4().hex[:6]}"
    create_staff_user(infra, sigap.services["status"].database, username, PASSWORD, "--role", "city_admin")
    return username


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
    assert path == f"/atur-sandi?kode={code}"
    return path


async def set_own_password(context: BrowserContext, setup_path: str, username: str) -> Page:
    page = await context.new_page()
    await page.goto(setup_path)
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi baru", exact=True).fill(OWN_PASSWORD)
    await page.get_by_label("Ulangi kata sandi baru").fill(OWN_PASSWORD)
    await page.get_by_role("button", name="Simpan kata sandi").click()
    await expect(page.get_by_role("status")).to_contain_text("Kata sandi Anda tersimpan")
    return page


async def test_a_city_admin_creates_a_department_admin_who_sets_their_own_password(sigap_web, city_admin):
    newcomer = f"kepala.dishub-{uuid.uuid4().hex[:6]}"
    async with chromium() as browser:
        admin_context = await desktop(browser, sigap_web)
        admin = await admin_context.new_page()
        await log_in(admin, city_admin, PASSWORD, next_path="/admin")
        await expect(admin.get_by_role("heading", name="Admin kota")).to_be_visible()
        await assert_accessible(admin)
        await screenshot(admin, "admin-home")

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
        admin_context = await desktop(browser, sigap_web)
        admin = await admin_context.new_page()
        await log_in(admin, city_admin, PASSWORD, next_path="/admin/akun")
        setup_path = await create_account(admin, colleague, "city_admin", None)

        colleague_context = await desktop(browser, sigap_web)
        await set_own_password(colleague_context, setup_path, colleague)
        page = await colleague_context.new_page()
        await log_in(page, colleague, OWN_PASSWORD, next_path="/admin/akun")
        await expect(page.get_by_role("heading", name="Akun petugas")).to_be_visible()

        await admin.goto(f"/admin/akun/{colleague}")
        await admin.get_by_role("button", name="Nonaktifkan akun").click()
        await expect(admin.get_by_role("status")).to_contain_text("dinonaktifkan")
        await expect(admin.get_by_role("button", name="Aktifkan kembali")).to_be_visible()

        # The colleague's next page ends their session: back to the login page, cookie gone.
        await page.goto("/admin/akun")
        await expect(page).to_have_url(re.compile(r"/masuk\?next=/admin/akun$"))
        assert "sigap_session" not in {cookie["name"] for cookie in await colleague_context.cookies()}
        await log_in(page, colleague, OWN_PASSWORD)
        await expect(page.get_by_role("alert")).to_contain_text("tidak aktif")
        assert_no_page_errors(admin_context)
