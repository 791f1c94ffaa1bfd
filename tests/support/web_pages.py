"""What the web pages' end-to-end tests share besides the browser harness: staff accounts made
for one test, complaints sent to intake and awaited at status, and the public transparency
page's figures as status's public API gives them; and the web service driven in process."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from sigap_web.bootstrap import create_app
from sigap_web.settings import WebSettings
from tests.support.browser import desktop
from tests.support.kafka import eventually
from tests.support.services import SERVICES, create_staff_user
from tests.support.web_staff import log_in

TIMEOUT_MS = 30_000
PASSWORD = "sandi-halaman-web-1"
# https: the test client, unlike browsers, sends Secure cookies to no plain-http host.
ORIGIN = "https://sigap.test"
# Kelurahan Depok (Pancoran Mas), where the browser harness's phone stands.
DEPOK_CODE = "32.76.01.1006"


def new_staff(sigap, infra, role: str, department: str | None = None, *, password: str = PASSWORD) -> str:
    """A fresh staff account of `role` (in `department`); its username."""
    username = f"{role.replace('_', '-')}-{(department or 'kota').lower()}-{uuid.uuid4().hex[:6]}"
    args = ["--role", role] + (["--department", department] if department else [])
    create_staff_user(infra, sigap.services["status"].database, username, password, *args)
    return username


async def signed_in(
    browser: Browser, base_url: str, path: str, username: str, password: str = PASSWORD
) -> tuple[BrowserContext, Page]:
    """A desktop browser context of its own, logged in as `username` and on the staff page `path`."""
    context = await desktop(browser, base_url)
    page = await context.new_page()
    await log_in(page, path, username, password)
    return context, page


async def submit(sigap, complaint: dict) -> dict:
    """A complaint sent to intake as the citizen app sends it; intake's receipt."""
    async with httpx.AsyncClient(timeout=20) as client:
        response = await client.post(f"{sigap.url('intake')}/v1/complaints", json=complaint)
    assert response.status_code == 201, response.text
    return response.json()


async def arrived(sigap, staff, complaint_id: str, department: str | None = None) -> dict:
    """The complaint once status has received it (the city admin's staff view)."""
    headers = await staff.headers("city_admin")

    async def received():
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(f"{sigap.url('status')}/v1/staff/complaints/{complaint_id}", headers=headers)
        return response.json() if response.status_code == 200 and response.json()["status"] else None

    view = await eventually(received, timeout_s=60, interval_s=0.3)
    if department is not None:
        assert view["department"] == department, view
    return view


async def listed_in(sigap, kelurahan: str) -> list[str]:
    """Every publicly listed complaint of a kelurahan, by status's public list."""
    ids, cursor = [], None
    async with httpx.AsyncClient(base_url=sigap.url("status"), timeout=20) as client:
        while True:
            params = {"kelurahan": kelurahan, "limit": "100", **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/public/complaints", params=params)).json()
            ids += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                return ids


async def map_count(page: Page, code: str) -> int:
    """What the transparency map says for one kelurahan."""
    outline = page.locator(f'#area-map path[data-kelurahan="{code}"]')
    await expect(outline).to_have_count(1, timeout=TIMEOUT_MS)
    return int(await outline.get_attribute("data-count") or "0")


async def map_shows(page: Page, code: str, expected: int, timeout_s: float = 90) -> None:
    """Reload the transparency page until its map counts `expected` for the kelurahan (its
    figures are shared for a few seconds, so the newest complaints appear at a later refresh)."""

    async def counted() -> bool:
        if await map_count(page, code) == expected:
            return True
        await page.reload()
        return False

    await eventually(counted, timeout_s=timeout_s, interval_s=2)


def csrf_of(html: str) -> str:
    """The CSRF token a page carries for its forms and scripts."""
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)  # type: ignore[union-attr]


class WebClient:
    """The web service in process (the same `create_app` it runs with), driven as a browser's
    forms would: login through /masuk, then pages and form posts with the page's CSRF token."""

    def __init__(self, sigap) -> None:
        settings = WebSettings(**{f"web_{name}_url": sigap.url(name) for name in SERVICES})
        self.app = create_app(settings)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=ORIGIN, headers={"origin": ORIGIN}, timeout=30
        )

    async def log_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        token = csrf_of((await self.client.get("/masuk")).text)
        answer = await self.client.post("/masuk", data={"username": username, "password": password, "csrf_token": token})
        assert answer.status_code == 303, answer.text
        return answer

    async def get(self, path: str, **kwargs) -> httpx.Response:
        return await self.client.get(path, headers={"accept": "text/html"}, **kwargs)

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.app.state.web.upstreams.aclose()
