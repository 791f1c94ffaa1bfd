"""Failed staff logins are throttled per username and per client address, with the counts in
PostgreSQL so every replica sees them; a successful login resets its username's count."""

from __future__ import annotations

import asyncio
import io
import sys
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sigap_status.staff_accounts import cli
from sigap_status.auth.rules import LoginLimits
from sigap_status.auth import commands as sessions
from sigap_status.auth import rules as auth_rules
from tests.integration.notify.support import serve_asgi
from tests.integration.status.conftest import PASSWORD, status_app

pytestmark = pytest.mark.integration


async def _login(client, username: str, password: str) -> httpx.Response:
    return await client.post("/v1/auth/login", json={"username": username, "password": password})


async def test_repeated_failures_for_a_username_are_throttled_even_with_the_right_password(status_api):
    api = status_api
    username = await api.create_user("dept_admin", "DISHUB")
    limit = api.settings.login_max_failures_per_username
    for _ in range(limit):
        assert (await _login(api.client, username, "salah-sandi-123")).status_code == 401
    throttled = await _login(api.client, username, PASSWORD)
    assert throttled.status_code == 429
    assert throttled.headers["content-type"].startswith("application/problem+json")
    retry_after = int(throttled.headers["retry-after"])
    assert 0 < retry_after <= api.settings.login_failure_window_s
    problem = throttled.json()
    assert problem["type"].endswith("/too-many-login-attempts") and problem["retry_after_s"] == retry_after
    english = await api.client.post(
        "/v1/auth/login", json={"username": username, "password": PASSWORD}, headers={"Accept-Language": "en"}
    )
    assert english.status_code == 429 and "Too many" in english.json()["title"]
    # The same name typed differently is the same account.
    assert (await _login(api.client, f"  {username.upper()} ", PASSWORD)).status_code == 429
    # Another account from the same address is not affected (the address limit is higher).
    other = await api.create_user("dept_admin", "DISHUB")
    assert (await _login(api.client, other, PASSWORD)).status_code == 200


async def test_parallel_guesses_get_no_more_password_checks_than_the_limit(status_api, monkeypatch):
    # 40 wrong passwords at once over real HTTP: each must take its place in the count before
    # its password is checked, or they all read "below the limit" and all get checked.
    api = status_api
    username = await api.create_user("dept_admin", "DISHUB")
    limit = api.settings.login_max_failures_per_username
    checked: list[str] = []
    real_verify = auth_rules.verify_password

    def counting_verify(password_hash, password):
        checked.append(password)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth_rules, "verify_password", counting_verify)
    async with serve_asgi(api.app) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        responses = await asyncio.gather(
            *(_login(client, username, f"tebakan-sandi-{guess}") for guess in range(40))
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [401] * limit + [429] * (40 - limit), statuses
        assert len(checked) == limit
        # The account is locked for its owner too until the window closes (see README), or
        # until an admin sets a new password.
        assert (await _login(client, username, PASSWORD)).status_code == 429
        monkeypatch.setattr(sys, "stdin", io.StringIO("sandi-baru-sesudah-kunci\n"))
        async with api.pool.acquire() as conn:
            await cli._command(cli.parser().parse_args(["reset-password", username, "--password-stdin"]), conn)
        assert (await _login(client, username, "sandi-baru-sesudah-kunci")).status_code == 200
    assert len(checked) == limit + 1


async def test_a_successful_login_resets_the_username_count(status_api):
    api = status_api
    username = await api.create_user("field_officer", "DISHUB")
    limit = api.settings.login_max_failures_per_username
    for _ in range(limit - 1):
        assert (await _login(api.client, username, "salah-sandi-123")).status_code == 401
    assert (await _login(api.client, username, PASSWORD)).status_code == 200
    for _ in range(limit):
        assert (await _login(api.client, username, "salah-sandi-123")).status_code == 401
    assert (await _login(api.client, username, PASSWORD)).status_code == 429


async def test_failures_from_one_address_are_throttled_across_usernames_and_replicas(status_api):
    api = status_api
    api.reconfigure(api.settings.model_copy(update={"login_max_failures_per_ip": 3}))
    username = await api.create_user("dept_admin", "DISHUB")
    async with api.client_from("10.20.30.40") as attacker, api.client_from("10.20.30.41") as colleague:
        for guess in ("admin", "root", "operator"):  # accounts that do not even exist
            assert (await _login(attacker, guess, "tebakan-sandi-1")).status_code == 401
        blocked = await _login(attacker, username, PASSWORD)
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert (await _login(colleague, username, PASSWORD)).status_code == 200
        # The account's success from elsewhere does not lift the address's block.
        assert (await _login(attacker, username, PASSWORD)).status_code == 429

    # A second replica on the same database sees the same counts.
    replica = status_app(api.settings, api.pool)
    transport = httpx.ASGITransport(app=replica, client=("10.20.30.40", 40001))
    async with httpx.AsyncClient(transport=transport, base_url="http://replica.test") as other_replica:
        assert (await _login(other_replica, username, PASSWORD)).status_code == 429


async def test_a_closed_window_starts_counting_again(status_api):
    api = status_api
    username = await api.create_user("dept_admin", "DISHUB")
    limits = LoginLimits(max_per_username=2, max_per_ip=100, window_s=600)
    long_ago = datetime.now(UTC) - timedelta(seconds=601)
    tokens = {"secret": "rahasia-uji-jwt-yang-cukup-panjang-32b", "access_ttl_s": 60, "refresh_ttl_s": 600}
    async with api.pool.acquire() as conn:
        for _ in range(2):
            with pytest.raises(sessions.InvalidCredentials):
                await sessions.login(
                    conn=conn, username=username, password="salah-sandi-123", client_ip="10.0.0.9",
                    limits=limits, now=long_ago, **tokens,
                )
        with pytest.raises(sessions.LoginThrottled):
            await sessions.login(
                conn=conn, username=username, password=PASSWORD, client_ip="10.0.0.9", limits=limits,
                now=long_ago + timedelta(seconds=5), **tokens,
            )
        # The window that opened with the first failure has closed.
        session = await sessions.login(
            conn=conn, username=username, password=PASSWORD, client_ip="10.0.0.9", limits=limits, **tokens
        )
        assert session.principal.username == username
        # A new failure after a closed window counts from one again.
        with pytest.raises(sessions.InvalidCredentials):
            await sessions.login(
                conn=conn, username=username, password="salah-sandi-123", client_ip="10.0.0.9", limits=limits, **tokens
            )
        row = await conn.fetchrow("SELECT failures FROM login_failures WHERE scope = 'ip' AND subject = '10.0.0.9'")
        assert row["failures"] == 1
