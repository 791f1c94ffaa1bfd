"""What the browser tests of staff pages do besides clicking: log a staff member in through
the login page, and move complaints along over status's staff HTTP API (the steps another
page owns, e.g. the department admin's verify and assign)."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from tests.support.kafka import eventually

TIMEOUT_MS = 30_000


async def log_in(page: Page, path: str, username: str, password: str) -> None:
    """Open a staff page, get sent to the login page, log in, land back on it."""
    await page.goto(path)
    await expect(page).to_have_url(re.compile(r"/masuk\?next="))
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(password)
    await page.get_by_role("button", name="Masuk", exact=True).click()
    await expect(page).to_have_url(re.compile(re.escape(path) + r"$"), timeout=TIMEOUT_MS)


class StatusStaffApi:
    """A staff member's calls to status's staff API."""

    def __init__(self, status_url: str, headers: dict[str, str]) -> None:
        self.status_url = status_url
        self.headers = headers

    async def view(self, complaint_id: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.status_url, timeout=15) as client:
            return await client.get(f"/v1/staff/complaints/{complaint_id}", headers=self.headers)

    async def received(self, complaint_id: str, timeout_s: float = 45) -> dict:
        """The complaint once routing has placed it in this department (status `diterima`)."""

        async def placed():
            response = await self.view(complaint_id)
            return response.json() if response.status_code == 200 and response.json()["status"] else None

        return await eventually(placed, timeout_s=timeout_s, interval_s=0.3)

    async def find(self, tracking_code: str, timeout_s: float = 45) -> dict:
        """A complaint in this department's queue by its tracking code."""

        async def listed():
            async with httpx.AsyncClient(base_url=self.status_url, timeout=15) as client:
                response = await client.get("/v1/staff/queue", params={"q": tracking_code}, headers=self.headers)
            assert response.status_code == 200, response.text
            return next((item for item in response.json()["items"] if item["tracking_code"] == tracking_code), None)

        return await eventually(listed, timeout_s=timeout_s, interval_s=0.3)

    async def verify_and_assign(self, complaint_id: str, officer: str) -> dict:
        async with httpx.AsyncClient(base_url=self.status_url, timeout=15) as client:
            version = (await self.view(complaint_id)).json()["version"]
            verified = await client.post(
                f"/v1/complaints/{complaint_id}/transitions",
                json={"to": "terverifikasi", "expected_version": version},
                headers=self.headers,
            )
            assert verified.status_code == 200, verified.text
            assigned = await client.put(
                f"/v1/complaints/{complaint_id}/assignment",
                json={"officer": officer, "expected_version": verified.json()["version"]},
                headers=self.headers,
            )
            assert assigned.status_code == 200, assigned.text
            return assigned.json()
