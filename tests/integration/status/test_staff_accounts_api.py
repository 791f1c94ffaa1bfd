"""The city admin's staff-accounts API on real PostgreSQL: accounts created without anyone
choosing their password, set by their owner with a one-time setup code; deactivation ending
sessions; password resets; who may do it; every change audited; and the CLI going through the
same commands."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.status.conftest import PASSWORD
from tests.integration.status.test_auth import _cli

pytestmark = pytest.mark.integration

NEW_PASSWORD = "sandi-pilihan-sendiri-42"


@pytest.fixture
async def api(status_api):
    return status_api


def _name(prefix: str = "petugas") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def _login(api, username: str, password: str):
    return await api.client.post("/v1/auth/login", json={"username": username, "password": password})


async def test_created_account_has_no_password_until_its_owner_sets_one_with_the_code(api):
    admin, headers = await api.staff("city_admin")
    username = _name()
    created = await api.client.post(
        "/v1/staff-accounts", headers=headers, json={"username": username, "role": "dept_admin", "department": "dishub"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["account"] == {
        **body["account"],
        "username": username,
        "role": "dept_admin",
        "department": "DISHUB",
        "active": True,
        "has_password": False,
    }
    code = body["setup"]["setup_code"]
    assert body["setup"]["setup_path"] == f"/atur-sandi#kode={code}"
    assert body["account"]["setup_code_expires_at"] == body["setup"]["expires_at"]
    # Only the code's digest is kept.
    stored = await api.pool.fetch("SELECT code_hash FROM staff_setup_codes WHERE username = $1", username)
    assert len(stored) == 1 and code.encode() not in stored[0]["code_hash"]
    # No password works before the owner chooses one.
    assert (await _login(api, username, PASSWORD)).status_code == 401

    wrong_user = await api.client.post(
        "/v1/auth/setup-password", json={"username": admin, "code": code, "password": NEW_PASSWORD}
    )
    assert wrong_user.status_code == 422 and wrong_user.json()["errors"][0]["field"] == "code"
    short = await api.client.post("/v1/auth/setup-password", json={"username": username, "code": code, "password": "pendek"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "password"

    # Case, spaces and dashes as typed do not matter.
    typed = code.lower().replace("-", " ")
    done = await api.client.post(
        "/v1/auth/setup-password", json={"username": username.upper(), "code": typed, "password": NEW_PASSWORD}
    )
    assert done.status_code == 204, done.text
    session = await _login(api, username, NEW_PASSWORD)
    assert session.status_code == 200 and session.json()["department"] == "DISHUB"

    again = await api.client.post(
        "/v1/auth/setup-password", json={"username": username, "code": code, "password": "yang-lain-lagi-99"}
    )
    assert again.status_code == 422  # used once
    assert (await _login(api, username, NEW_PASSWORD)).status_code == 200

    detail = (await api.client.get(f"/v1/staff-accounts/{username}", headers=headers)).json()
    assert detail["has_password"] is True and detail["setup_code_expires_at"] is None
    assert [(e["action"], e["actor"]) for e in reversed(detail["audit"])] == [
        ("created", admin),
        ("setup_code_issued", admin),
        ("password_set", username),
    ]


async def test_deactivation_ends_sessions_and_setup_codes_and_reactivation_restores_login(api):
    admin, headers = await api.staff("city_admin")
    username, officer_headers = await api.staff("field_officer", "DPUPR")
    refresh_token = (await _login(api, username, PASSWORD)).json()["refresh_token"]

    deactivated = await api.client.post(f"/v1/staff-accounts/{username}/deactivate", headers=headers)
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert (await api.client.get("/v1/auth/me", headers=officer_headers)).status_code == 401
    assert (await api.client.post("/v1/auth/refresh", json={"refresh_token": refresh_token})).status_code == 401
    assert (await _login(api, username, PASSWORD)).status_code == 401
    # A reset is refused while inactive; nothing is issued.
    refused = await api.client.post(f"/v1/staff-accounts/{username}/setup-code", headers=headers)
    assert refused.status_code == 409

    reactivated = await api.client.post(f"/v1/staff-accounts/{username}/reactivate", headers=headers)
    assert reactivated.status_code == 200 and reactivated.json()["active"] is True
    assert (await _login(api, username, PASSWORD)).status_code == 200
    # The revoked refresh token stays dead.
    assert (await api.client.post("/v1/auth/refresh", json={"refresh_token": refresh_token})).status_code == 401

    audit = (await api.client.get("/v1/staff-accounts/audit", headers=headers)).json()
    mine = [(e["action"], e["actor"]) for e in audit if e["username"] == username]
    assert mine == [("reactivated", admin), ("deactivated", admin)]


async def _new_auditor(api) -> tuple[dict[str, str], str, str]:
    """A city admin's headers, and the name and one-time setup code of an auditor account they just made."""
    _, headers = await api.staff("city_admin")
    username = _name()
    auditor = {"username": username, "role": "auditor"}
    created = await api.client.post("/v1/staff-accounts", headers=headers, json=auditor)
    return headers, username, created.json()["setup"]["setup_code"]


async def test_a_deactivated_accounts_pending_setup_code_stops_working(api):
    headers, username, code = await _new_auditor(api)
    assert (await api.client.post(f"/v1/staff-accounts/{username}/deactivate", headers=headers)).status_code == 200
    await api.client.post(f"/v1/staff-accounts/{username}/reactivate", headers=headers)
    used = await api.client.post("/v1/auth/setup-password", json={"username": username, "code": code, "password": NEW_PASSWORD})
    assert used.status_code == 422


async def test_reset_clears_the_password_ends_sessions_and_only_the_newest_code_works(api):
    admin, headers = await api.staff("city_admin")
    username = await api.create_user("dept_admin", "DLH")
    refresh_token = (await _login(api, username, PASSWORD)).json()["refresh_token"]

    first = (await api.client.post(f"/v1/staff-accounts/{username}/setup-code", headers=headers)).json()
    second = await api.client.post(f"/v1/staff-accounts/{username}/setup-code", headers=headers)
    assert second.status_code == 200
    second = second.json()
    assert first["setup_code"] != second["setup_code"]
    assert (await _login(api, username, PASSWORD)).status_code == 401  # the old password is gone
    assert (await api.client.post("/v1/auth/refresh", json={"refresh_token": refresh_token})).status_code == 401

    replaced = await api.client.post(
        "/v1/auth/setup-password", json={"username": username, "code": first["setup_code"], "password": NEW_PASSWORD}
    )
    assert replaced.status_code == 422
    newest = await api.client.post(
        "/v1/auth/setup-password", json={"username": username, "code": second["setup_code"], "password": NEW_PASSWORD}
    )
    assert newest.status_code == 204
    assert (await _login(api, username, NEW_PASSWORD)).status_code == 200


async def test_an_expired_setup_code_is_refused(api):
    headers, username, code = await _new_auditor(api)
    await api.pool.execute("UPDATE staff_setup_codes SET expires_at = now() - interval '1 second' WHERE username = $1", username)
    expired = await api.client.post("/v1/auth/setup-password", json={"username": username, "code": code, "password": NEW_PASSWORD})
    assert expired.status_code == 422


async def test_only_a_city_admin_manages_accounts(api):
    target = await api.create_user("field_officer", "DISHUB")
    for role, department in (("dept_admin", "DISHUB"), ("auditor", None), ("field_officer", "DISHUB")):
        _, headers = await api.staff(role, department)
        for method, path, body in (
            ("GET", "/v1/staff-accounts", None),
            ("POST", "/v1/staff-accounts", {"username": _name(), "role": "field_officer", "department": "DISHUB"}),
            ("POST", f"/v1/staff-accounts/{target}/deactivate", None),
            ("POST", f"/v1/staff-accounts/{target}/setup-code", None),
            ("GET", "/v1/staff-accounts/audit", None),
        ):
            response = await api.client.request(method, path, headers=headers, json=body)
            assert response.status_code == 403, (role, path)
    assert (await api.client.get("/v1/staff-accounts")).status_code == 401
    assert await api.pool.fetchval("SELECT active FROM staff_users WHERE username = $1", target)


async def test_bad_requests_are_clear_problems_and_change_nothing(api):
    admin, headers = await api.staff("city_admin")
    taken = await api.client.post("/v1/staff-accounts", headers=headers, json={"username": admin, "role": "auditor"})
    assert taken.status_code == 409 and taken.headers["content-type"].startswith("application/problem+json")
    no_department = await api.client.post(
        "/v1/staff-accounts", headers=headers, json={"username": _name(), "role": "dept_admin"}
    )
    assert no_department.status_code == 422 and no_department.json()["errors"][0]["field"] == "department"
    bad_name = await api.client.post(
        "/v1/staff-accounts", headers=headers, json={"username": "Ada Spasi", "role": "auditor"}
    )
    assert bad_name.status_code == 422 and bad_name.json()["errors"][0]["field"] == "username"
    bad_role = await api.client.post("/v1/staff-accounts", headers=headers, json={"username": _name(), "role": "raja"})
    assert bad_role.status_code == 422
    assert (await api.client.post("/v1/staff-accounts/tidak-ada-siapa/deactivate", headers=headers)).status_code == 404
    own = await api.client.post(f"/v1/staff-accounts/{admin}/deactivate", headers=headers)
    assert own.status_code == 409
    assert await api.pool.fetchval("SELECT active FROM staff_users WHERE username = $1", admin)
    english = await api.client.post(
        "/v1/staff-accounts/tidak-ada-siapa/setup-code", headers={**headers, "Accept-Language": "en"}
    )
    assert english.status_code == 404 and english.json()["detail"] == "There is no staff account tidak-ada-siapa."


async def test_listing_by_department(api):
    _, headers = await api.staff("city_admin")
    department = "D" + uuid.uuid4().hex[:6].upper()
    officer = await api.create_user("field_officer", department)
    admin = await api.create_user("dept_admin", department)
    await api.create_user("field_officer", "DISHUB")
    listed = (await api.client.get("/v1/staff-accounts", headers=headers, params={"department": department.lower()})).json()
    assert sorted(a["username"] for a in listed) == sorted([officer, admin])
    officers = (
        await api.client.get("/v1/staff-accounts", headers=headers, params={"department": department, "role": "field_officer"})
    ).json()
    assert [a["username"] for a in officers] == [officer]


async def test_the_cli_uses_the_same_commands_and_audit(api):
    settings = api.settings
    username = _name("cli")
    created = _cli(settings, "create-user", username, "--role", "dept_admin", "--department", "dishub", "--setup-code")
    assert created.returncode == 0, created.stderr
    code = created.stdout.split(f"setup code for {username}: ", 1)[1].split()[0]
    assert f"/atur-sandi#kode={code}" in created.stdout
    assert "no password yet" in _cli(settings, "list-users", "--department", "DISHUB").stdout
    done = await api.client.post("/v1/auth/setup-password", json={"username": username, "code": code, "password": NEW_PASSWORD})
    assert done.status_code == 204
    assert (await _login(api, username, NEW_PASSWORD)).status_code == 200

    reset = _cli(settings, "reset-password", username, "--setup-code")
    assert reset.returncode == 0 and "setup code for" in reset.stdout
    assert (await _login(api, username, NEW_PASSWORD)).status_code == 401
    no_terminal = _cli(settings, "reset-password", username)
    assert no_terminal.returncode == 2 and "--password-stdin" in no_terminal.stderr and "Traceback" not in no_terminal.stderr

    audit = _cli(settings, "audit", username)
    actions = [line.split("\t")[2] for line in audit.stdout.splitlines()]
    assert actions == ["setup_code_issued", "password_reset", "password_set", "setup_code_issued", "created"]
    assert all(line.split("\t")[1].startswith("cli:") for line in audit.stdout.splitlines() if "password_set" not in line)
