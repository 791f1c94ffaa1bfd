"""The API documentation pages of the running services work on an intranet without internet:
`/docs` (Swagger UI) and `/redoc` name no other host, every script and style they load is
served by the service itself, and Swagger UI renders — with "Authorize" and the roles of each
operation — in Chromium that may reach nothing but loopback."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.support.browser import chromium, desktop
from tests.support.services import SERVICES

URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""", re.IGNORECASE)


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and ((tag == "script" and name == "src") or (tag == "link" and name == "href")):
                self.references.append(value)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_load_everything_from_the_service_itself(sigap, service, page):
    base = sigap.url(service)
    own_host = urlsplit(base).netloc
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        response = await client.get(page)
        assert response.status_code == 200
        html = response.text
        foreign = [url for url in URL.findall(html) if urlsplit(url if "//" in url else "//" + url).netloc != own_host]
        assert foreign == [], f"{service}{page} names other hosts: {foreign}"
        parser = _Assets()
        parser.feed(html)
        scripts = [ref for ref in parser.references if ref.endswith(".js")]
        assert scripts, f"{service}{page} loads no script"
        for reference in parser.references:
            asset = await client.get(urljoin(base + page, reference))
            assert asset.status_code == 200, reference
            assert len(asset.content) > 1000, reference


async def test_swagger_ui_renders_offline_with_authorize_and_roles(sigap):
    base = sigap.url("status")
    refused: list[tuple[str, str]] = []

    async def loopback_only(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost", "::1"):
            await route.continue_()
        else:
            refused.append((route.request.resource_type, route.request.url))
            await route.abort()

    async with chromium() as browser:
        context = await desktop(browser, base)
        await context.route("**/*", loopback_only)
        page = await context.new_page()
        await page.goto("/docs")
        await page.locator("button.authorize").first.wait_for(timeout=30_000)
        operation = page.locator("#operations-staff-put_assignment_v1_complaints__complaint_id__assignment_put")
        await operation.locator(".opblock-summary").first.click()
        await page.get_by_text("Who may call:", exact=False).first.wait_for(timeout=10_000)
        assert "dept_admin" in await operation.inner_text()
        redoc = await context.new_page()
        await redoc.goto("/redoc")
        # ReDoc renders each operation as a heading of its content (the menu entries stay collapsed).
        heading = redoc.locator("h2", has_text="Move a complaint along its lifecycle").first
        await heading.wait_for(timeout=30_000)
        await context.close()
    # Nothing the pages need leaves the machine; ReDoc's bundle links its own footer logo from
    # cdn.redoc.ly, an image that simply stays blank offline.
    assert [url for kind, url in refused if kind != "image"] == []
