"""Intake's rate limits and status's failed-login limits count browsers, not the web server in
front of them: web forwards each browser's address in X-Forwarded-For, and intake and status as
`make run` starts them (deploy/services.sh, here on a data directory, port and database of their
own) believe that header from web's address. Two browsers calling through web each get their own
limit. Web runs in this process, reached from two addresses; intake and status are the real
processes the script starts."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from sigap_web.bootstrap import create_app
from sigap_web.clients import Upstreams
from sigap_web.settings import WebSettings
from tests.support.infra import free_port, random_name
from tests.support.services import create_staff_user

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "services.sh"
ORIGIN = "https://127.0.0.1:8080"
BROWSER_A, BROWSER_B = "198.51.100.10", "198.51.100.20"
BURST = 2  # requests one address may make at once; the per-minute rate is too slow to refill here


async def _services_sh(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=180
    )


@contextlib.asynccontextmanager
async def _browser(app, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN, headers={"origin": ORIGIN}) as browser:
        browser.headers["x-csrf-token"] = (await browser.get("/api/csrf")).json()["csrf_token"]
        yield browser


async def _open_capture_session(browser: httpx.AsyncClient) -> int:
    response = await browser.post("/api/capture-sessions", json={"track": {"width": 640, "height": 480}})
    return response.status_code


async def test_two_browsers_through_web_get_separate_limits_at_intake(infra, databases, tmp_path):
    port = free_port()
    data_dir = tmp_path / "data"
    env = {
        key: value for key, value in os.environ.items() if key != "SIGAP_FORWARDED_ALLOW_IPS"
    } | infra.service_env(
        database=await databases.create("sigap_forwarded_intake"), http_port=port, group_prefix=random_name("fwd")
    ) | {
        "SIGAP_DATA_DIR": str(data_dir),
        "SIGAP_INTAKE_PORT": str(port),
        "SIGAP_RATE_LIMIT_PER_MINUTE": "1",
        "SIGAP_RATE_LIMIT_BURST": str(BURST),
        "SIGAP_RATE_LIMIT_IP_FACTOR": "1",
    }
    settings = WebSettings(
        web_intake_url=f"http://127.0.0.1:{port}", web_routing_url="http://127.0.0.1:9",
        web_status_url="http://127.0.0.1:9", web_notify_url="http://127.0.0.1:9",
    )  # fmt: skip
    app = create_app(settings, upstreams=Upstreams.from_settings(settings))
    try:
        started = await _services_sh(env, "restart", "intake")
        assert started.returncode == 0, started.stdout + started.stderr
        async with (
            app.router.lifespan_context(app),
            _browser(app, BROWSER_A) as browser_a,
            _browser(app, BROWSER_B) as browser_b,
        ):
            assert [await _open_capture_session(browser_a) for _ in range(BURST)] == [201] * BURST
            assert await _open_capture_session(browser_a) == 429
            # Another browser, through the same web server: its own limit, not A's.
            assert await _open_capture_session(browser_b) == 201
    finally:
        stopped = await _services_sh(env, "stop", "intake")
        assert stopped.returncode == 0, stopped.stderr


async def test_mistyped_passwords_of_one_browser_through_web_do_not_lock_another_out_at_status(
    infra, databases, tmp_path
):
    port = free_port()
    database = await databases.create("sigap_forwarded_status")
    env = {
        key: value for key, value in os.environ.items() if key != "SIGAP_FORWARDED_ALLOW_IPS"
    } | infra.service_env(database=database, http_port=port, group_prefix=random_name("fwd")) | {
        "SIGAP_DATA_DIR": str(tmp_path / "data"),
        "SIGAP_STATUS_PORT": str(port),
        "SIGAP_LOGIN_MAX_FAILURES_PER_IP": "2",
        "SIGAP_LOGIN_MAX_FAILURES_PER_USERNAME": "100",
    }
    settings = WebSettings(
        web_intake_url="http://127.0.0.1:9", web_routing_url="http://127.0.0.1:9",
        web_status_url=f"http://127.0.0.1:{port}", web_notify_url="http://127.0.0.1:9",
    )  # fmt: skip
    app = create_app(settings, upstreams=Upstreams.from_settings(settings))
    try:
        started = await _services_sh(env, "restart", "status")
        assert started.returncode == 0, started.stdout + started.stderr
        await asyncio.to_thread(create_staff_user, infra, database, "operator.dlh", "sandi-benar-2026",
                                "--role", "dept_admin", "--department", "DLH")

        async def log_in(browser: httpx.AsyncClient, password: str) -> int:
            response = await browser.post("/masuk", data={"username": "operator.dlh", "password": password})
            return response.status_code

        async with (
            app.router.lifespan_context(app),
            _browser(app, BROWSER_A) as browser_a,
            _browser(app, BROWSER_B) as browser_b,
        ):
            assert [await log_in(browser_a, "salah") for _ in range(2)] == [401, 401]
            assert await log_in(browser_a, "salah") == 429
            # Another browser, through the same web server, is not locked out by A's mistakes.
            assert await log_in(browser_b, "sandi-benar-2026") == 303
    finally:
        stopped = await _services_sh(env, "stop", "status")
        assert stopped.returncode == 0, stopped.stderr
