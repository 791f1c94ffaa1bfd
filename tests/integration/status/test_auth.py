"""Staff login, rotating refresh tokens, deactivation, and the admin CLI, on real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.integration.status.conftest import PASSWORD

pytestmark = pytest.mark.integration


async def test_login_issues_tokens_that_identify_the_staff_member(status_api):
    username = await status_api.create_user("dept_admin", "DISHUB")
    response = await status_api.client.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    session = response.json()
    assert (session["role"], session["department"], session["token_type"]) == ("dept_admin", "DISHUB", "bearer")
    me = await status_api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert me.json() == {"username": username, "role": "dept_admin", "department": "DISHUB"}
    stored = await status_api.pool.fetchval("SELECT count(*) FROM refresh_tokens WHERE username = $1", username)
    assert stored == 1
    raw = await status_api.pool.fetchval("SELECT token_hash FROM refresh_tokens WHERE username = $1", username)
    assert session["refresh_token"].encode() not in raw


@pytest.mark.parametrize("case", ["wrong_password", "unknown_user", "inactive"])
async def test_refused_logins_all_look_the_same(status_api, case):
    username = await status_api.create_user("auditor")
    password = PASSWORD
    if case == "wrong_password":
        password = PASSWORD + "x"
    elif case == "unknown_user":
        username = "tidak-ada-" + username
    else:
        await status_api.pool.execute("UPDATE staff_users SET active = false WHERE username = $1", username)
    response = await status_api.client.post("/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Login gagal"


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(status_api):
    username = await status_api.create_user("city_admin")
    first = (await status_api.client.post("/v1/auth/login", json={"username": username, "password": PASSWORD})).json()
    second = await status_api.client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    # The first token was spent: presenting it again means it leaked.
    reused = await status_api.client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["type"] == "/problems/invalid-refresh-token"
    # ...and the thief's or the owner's newer token dies with it.
    after = await status_api.client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401
    unknown = await status_api.client.post("/v1/auth/refresh", json={"refresh_token": "bukan-token"})
    assert unknown.status_code == 401


async def test_deactivation_takes_effect_at_once(status_api):
    username, headers = await status_api.staff("dept_admin", "DLH")
    assert (await status_api.client.get("/v1/auth/me", headers=headers)).status_code == 200
    await status_api.pool.execute("UPDATE staff_users SET active = false WHERE username = $1", username)
    refused = await status_api.client.get("/v1/auth/me", headers=headers)
    assert refused.status_code == 401
    assert (await status_api.client.get("/v1/auth/me")).status_code == 401


async def test_bad_login_body_is_a_problem(status_api):
    response = await status_api.client.post("/v1/auth/login", json={"username": ""})
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"username", "password"}


def _cli(settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SIGAP_PG_HOST": settings.pg_host,
        "SIGAP_PG_PORT": str(settings.pg_port),
        "SIGAP_PG_USER": settings.pg_user,
        "SIGAP_PG_PASSWORD": settings.pg_password.get_secret_value(),
        "SIGAP_PG_DATABASE": settings.pg_database,
        "SIGAP_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "sigap_status.staff_accounts.cli", *args], input=stdin, env=env, capture_output=True, text=True, timeout=60
    )


async def test_cli_creates_the_first_admin_and_manages_users(status_api):
    settings = status_api.settings
    created = _cli(settings, "create-user", "wali-kota", "--role", "city_admin", "--password-stdin", stdin="admin-pertama-1234\n")
    assert created.returncode == 0, created.stderr
    login = await status_api.client.post("/v1/auth/login", json={"username": "wali-kota", "password": "admin-pertama-1234"})
    assert login.status_code == 200 and login.json()["role"] == "city_admin"

    taken = _cli(settings, "create-user", "wali-kota", "--role", "auditor", "--password-stdin", stdin="lain-lagi-12345\n")
    assert taken.returncode == 2 and "taken" in taken.stderr
    weak = _cli(settings, "create-user", "petugas-x", "--role", "field_officer", "--department", "dishub", "--password-stdin", stdin="pendek\n")
    assert weak.returncode == 2
    no_dept = _cli(settings, "create-user", "petugas-y", "--role", "field_officer", "--password-stdin", stdin="cukup-panjang-123\n")
    assert no_dept.returncode == 2 and "department" in no_dept.stderr

    reset = _cli(settings, "reset-password", "wali-kota", "--password-stdin", stdin="sandi-baru-98765\n")
    assert reset.returncode == 0, reset.stderr
    old = await status_api.client.post("/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
    assert old.status_code == 401  # sessions revoked by the reset
    assert (await status_api.client.post("/v1/auth/login", json={"username": "wali-kota", "password": "admin-pertama-1234"})).status_code == 401
    assert (await status_api.client.post("/v1/auth/login", json={"username": "wali-kota", "password": "sandi-baru-98765"})).status_code == 200

    assert _cli(settings, "deactivate", "wali-kota").returncode == 0
    listed = _cli(settings, "list-users")
    assert "wali-kota\tcity_admin\t-\tinactive" in listed.stdout
    assert (await status_api.client.post("/v1/auth/login", json={"username": "wali-kota", "password": "sandi-baru-98765"})).status_code == 401
    assert _cli(settings, "deactivate", "tidak-ada").returncode == 2
