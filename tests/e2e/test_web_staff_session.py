"""The staff session through the web service against the running status service: login sets
one sealed HttpOnly/Secure/SameSite=Strict cookie (in the real browser too), a session whose
access token is about to expire is refreshed on the next page (one refresh shared by
concurrent requests, since status rotates refresh tokens), and logout ends it."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
import uuid

import pytest
from playwright.async_api import expect

from sigap_web.session import SESSION_COOKIE
from tests.support.browser import assert_accessible, assert_no_page_errors, chromium, desktop, screenshot
from tests.support.web_pages import PASSWORD, WebClient, csrf_of, new_staff

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dishub_admin(sigap, infra) -> str:
    return new_staff(sigap, infra, "dept_admin", "DISHUB")


async def test_login_refresh_and_logout_through_the_web_service(sigap, dishub_admin):
    web = WebClient(sigap)
    app, client = web.app, web.client
    try:
        token = csrf_of((await client.get("/masuk")).text)
        login = await client.post(
            "/masuk", data={"username": dishub_admin, "password": PASSWORD, "csrf_token": token, "next": ""}
        )
        assert login.status_code == 303 and login.headers["location"] == "/dasbor"
        cookie = next(c for c in login.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Strict" in cookie
        home = await client.get("/dasbor")
        assert home.status_code == 200 and dishub_admin in home.text
        # The old CSRF token was bound to no session: it does not work for the staff session.
        assert (await client.post("/keluar", data={"csrf_token": token})).status_code == 403

        # An access token about to expire: the next pages refresh it once, together.
        sealer = app.state.web.sealer
        session = sealer.open(client.cookies[SESSION_COOKIE])
        old_refresh = session.refresh_token
        stale = dataclasses.replace(session, access_expires_at=time.time() + 5)
        client.cookies.set(SESSION_COOKIE, sealer.seal(stale), domain="sigap.test")
        pages = await asyncio.gather(*(client.get("/dasbor") for _ in range(3)))
        assert [page.status_code for page in pages] == [200, 200, 200]
        refreshed = {sealer.open(p.cookies[SESSION_COOKIE]).refresh_token for p in pages}
        assert len(refreshed) == 1 and old_refresh not in refreshed

        # A refresh token that status does not accept (revoked, expired) ends the session.
        revoked = dataclasses.replace(stale, refresh_token="revoked-" + uuid.uuid4().hex)
        client.cookies.set(SESSION_COOKIE, sealer.seal(revoked), domain="sigap.test")
        expired = await client.get("/dasbor", follow_redirects=False)
        assert expired.status_code == 303 and expired.headers["location"].startswith("/masuk")

        token = csrf_of((await client.get("/masuk")).text)
        await client.post("/masuk", data={"username": dishub_admin, "password": PASSWORD, "csrf_token": token})
        token = csrf_of((await client.get("/dasbor")).text)
        out = await client.post("/keluar", data={"csrf_token": token}, follow_redirects=False)
        assert out.status_code == 303
        assert (await client.get("/dasbor", follow_redirects=False)).status_code == 303
    finally:
        await web.aclose()


@pytest.mark.browser
async def test_staff_log_in_in_the_browser(sigap, sigap_web, dishub_admin):
    async with chromium() as browser:
        context = await desktop(browser, sigap_web)
        page = await context.new_page()
        await page.goto("/dasbor")
        await expect(page).to_have_url(re.compile(r"/masuk\?next=/dasbor$"))
        await page.get_by_label("Nama pengguna").fill(dishub_admin)
        await page.get_by_label("Kata sandi").fill("salah-sekali")
        await page.get_by_role("button", name="Masuk", exact=True).click()
        await expect(page.get_by_role("alert")).to_contain_text("salah")
        await assert_accessible(page)
        await screenshot(page, "staff-login")
        await page.get_by_label("Kata sandi").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk", exact=True).click()
        await expect(page).to_have_url(re.compile(r"/dasbor$"))
        await expect(page.get_by_text(f"Selamat datang, {dishub_admin}.")).to_be_visible()
        cookies = {c["name"]: c for c in await context.cookies()}
        session = cookies[SESSION_COOKIE]
        assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Strict"
        assert await page.evaluate("document.cookie") == ""  # nothing readable by scripts
        assert await page.evaluate("Object.keys(localStorage)") in ([], ["sigap.device"])
        await assert_accessible(page)
        await page.get_by_role("button", name="Keluar").click()
        await expect(page).to_have_url(re.compile(r"/masuk$"))
        assert_no_page_errors(context, allow=("401",))
