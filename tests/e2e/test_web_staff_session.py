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

import httpx
import pytest
from playwright.async_api import expect

from sigap_web.bootstrap import create_app
from sigap_web.session import SESSION_COOKIE
from sigap_web.settings import WebSettings
from tests.support.browser import assert_accessible, assert_no_page_errors, chromium, desktop, screenshot
from tests.support.services import SERVICES, create_staff_user

pytestmark = pytest.mark.e2e
PASSWORD = "sandi-rahasia-web-1"
# https: the test client, unlike browsers, sends Secure cookies to no plain-http host.
ORIGIN = "https://sigap.test"


@pytest.fixture(scope="module")
def dishub_admin(sigap, infra) -> str:
    username = f"dishub-web-{uuid.uuid4().hex[:6]}"
    create_staff_user(infra, sigap.services["status"].database, username, PASSWORD, "--role", "dept_admin", "--department", "DISHUB")
    return username


def _token(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)  # type: ignore[union-attr]


async def test_login_refresh_and_logout_through_the_web_service(sigap, dishub_admin):
    settings = WebSettings(**{f"web_{name}_url": sigap.url(name) for name in SERVICES})
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN, headers={"origin": ORIGIN}) as client:
        token = _token((await client.get("/masuk")).text)
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

        token = _token((await client.get("/masuk")).text)
        await client.post("/masuk", data={"username": dishub_admin, "password": PASSWORD, "csrf_token": token})
        token = _token((await client.get("/dasbor")).text)
        out = await client.post("/keluar", data={"csrf_token": token}, follow_redirects=False)
        assert out.status_code == 303
        assert (await client.get("/dasbor", follow_redirects=False)).status_code == 303
    await app.state.web.upstreams.aclose()


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
