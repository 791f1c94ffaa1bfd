"""The real-browser test harness: Debian's Chromium (/usr/bin/chromium, installed by
deploy/web.sh; Playwright never downloads a browser here) driven by Playwright, with a fake
camera and a faked position inside Depok; axe-core (from npm, services/web/node_modules)
checking each page for serious and critical accessibility violations; and screenshots of each
page written to docs/screenshots/ for the README.

    async with chromium() as browser:                      # the default fake camera
        context = await phone(browser, base_url)            # 360x800, id-ID, camera + location
        page = await context.new_page()
        await page.goto("/lapor")
        await assert_accessible(page)
        await screenshot(page, "citizen-report")
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import APIResponse, Browser, BrowserContext, Page, Route, async_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("SIGAP_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "services" / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1366, "height": 900}
# Kelurahan Depok, Pancoran Mas.
DEPOK = {"latitude": -6.3925, "longitude": 106.8226, "accuracy": 15}

# The flags the machine notes list for headless Chromium here (no network beyond loopback),
# plus the fake camera that needs no permission prompt.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash deploy/web.sh chromium` (make test does)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `bash deploy/web.sh assets` (make install does)")


def y4m_scene(image: Image.Image, path: Path) -> Path:
    """A one-frame Y4M video of `image` (4:2:0) for Chromium's fake camera, which loops it: a
    scene of the test's own instead of the default test pattern."""
    image = image.convert("RGB")
    width, height = image.size
    y, cb, cr = image.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode() + b"FRAME\n" + frame)
    return path


@contextlib.asynccontextmanager
async def chromium(*, camera_video: Path | None = None) -> AsyncIterator[Browser]:
    require_chromium()
    args = list(ARGS)
    if camera_video is not None:
        args.append(f"--use-file-for-fake-video-capture={camera_video}")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


async def phone(browser: Browser, base_url: str) -> BrowserContext:
    context = await browser.new_context(
        base_url=base_url,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
        timezone_id="Asia/Jakarta",
        geolocation=DEPOK,
        permissions=["geolocation", "camera"],
    )
    watch_console(context)
    return context


async def desktop(browser: Browser, base_url: str) -> BrowserContext:
    context = await browser.new_context(
        base_url=base_url, viewport=DESKTOP, locale="id-ID", timezone_id="Asia/Jakarta"
    )
    watch_console(context)
    return context


def watch_console(context: BrowserContext) -> None:
    """Collects what the pages complain about; a CSP violation or an uncaught error fails the
    test through `assert_no_page_errors`."""
    context.page_errors = []  # type: ignore[attr-defined]

    def on_page(page: Page) -> None:
        page.on("pageerror", lambda error: context.page_errors.append(f"uncaught: {error}"))  # type: ignore[attr-defined]
        page.on(
            "console",
            lambda message: context.page_errors.append(f"console: {message.text}")  # type: ignore[attr-defined]
            if message.type == "error" or "Content Security Policy" in message.text
            else None,
        )

    context.on("page", on_page)


def assert_no_page_errors(context: BrowserContext, *, allow: tuple[str, ...] = ()) -> None:
    errors = [e for e in context.page_errors if not any(a in e for a in allow)]  # type: ignore[attr-defined]
    assert errors == [], errors


async def assert_accessible(page: Page) -> list[dict]:
    """Runs axe-core in the page (through the DevTools protocol, so the page's CSP, which
    allows no injected script, stays as it is) and fails on serious or critical violations.
    Returns the minor and moderate ones, for the report."""
    await page.evaluate(AXE.read_text())
    result = await page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"
    )
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{page.url}: {serious}"
    return result


async def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path


class Transfer:
    """Bytes a browser context loaded over the network (compressed, as sent, headers
    included): the page's requests and its service worker's (the precache), so the total is
    what a first visit costs on a phone's data plan."""

    def __init__(self, context: BrowserContext) -> None:
        self.requests = []
        context.on("requestfinished", lambda request: self.requests.append(request))

    async def total(self) -> tuple[int, list[tuple[str, int]]]:
        rows = []
        for request in self.requests:
            sizes = await request.sizes()
            worker = " (service worker)" if request.service_worker else ""
            rows.append((request.url + worker, sizes["responseBodySize"] + sizes["responseHeadersSize"]))
        return sum(size for _, size in rows), rows


async def lose_first_answer(context: BrowserContext, url: str) -> list[APIResponse]:
    """Requests to `url` reach the server, but the first answer is lost on its way back (the
    connection resets), as when a phone's signal drops at the wrong moment. Returns the list
    the server's answers land in, the lost one first."""
    answers: list[APIResponse] = []

    async def forward(route: Route) -> None:
        response = await route.fetch()
        answers.append(response)
        if len(answers) == 1:
            await route.abort("connectionreset")
        else:
            await route.fulfill(response=response)

    await context.route(url, forward)
    return answers


async def until(condition: Callable[[], bool], timeout_s: float = 30) -> None:
    """Waits, polling briefly, for a condition the page's own traffic makes true."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
