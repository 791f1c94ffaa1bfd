"""The README's commands work as written: every block marked `<!-- tested -->` in the README, then
in the city admin's and the department admin's pages it leads to, runs in order in one bash
against the running system, and the effects are checked (the curl complaint got a tracking
code, the city admin and the department admin log in, the complaint went through the queue to
`selesai` with a live after-photo). Only the documented addresses (the first block's `INTAKE`,
`ROUTING`, `STATUS`, `NOTIFY`) and the documented `SIGAP_PG_*` settings of the admin command
point at the test's own system instead of `make up`'s."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.doc_blocks import REPO, marked_blocks
from tests.unit.intake.images import camera_photo

pytestmark = pytest.mark.e2e

README = REPO / "README.md"
JOURNEY = (README, REPO / "docs" / "city-admin.md", REPO / "docs" / "department-admin.md")
ADDRESSES = {"INTAKE": "intake", "ROUTING": "routing", "STATUS": "status", "NOTIFY": "notify"}
ADMIN_PASSWORD = "sandi-admin-kota-2026"
DISHUB_PASSWORD = "sandi-admin-dishub-2026"
PLACE = (-6.3925, 106.8226)  # where the README's complaint is


def _make_up_ports() -> dict[str, int]:
    services_sh = (REPO / "deploy" / "services.sh").read_text()
    declared = re.search(r"declare -A PORTS=\((?P<ports>[^)]*)\)", services_sh)
    assert declared, "deploy/services.sh no longer declares its PORTS"
    return {name: int(port) for name, port in re.findall(r"\[(\w+)\]=(\d+)", declared["ports"])}


def test_the_addresses_block_names_the_ports_make_up_serves():
    addresses = marked_blocks(README)[0]
    ports = _make_up_ports()
    for variable, service in ADDRESSES.items():
        assert f"{variable}=http://127.0.0.1:{ports[service]}" in addresses


def test_the_readme_journey_runs_as_written(sigap, infra, tmp_path):
    blocks = [block for document in JOURNEY for block in marked_blocks(document)]
    assert len(blocks) >= 8, "the README and its pages lost their tested blocks"
    ours = " ".join(f"{variable}={sigap.url(service)}" for variable, service in ADDRESSES.items())
    script = "\n".join(
        [
            "set -euo pipefail",
            blocks[0],
            ours,  # the test's system instead of make up's
            *blocks[1:],
            'printf "\\nRESULT %s %s\\n" "$ID" "$CODE"',
        ]
    )
    # Admin commands run from the checkout (.venv/bin/…); the after-photo is in the same folder.
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    # Stamped a little ahead: it is taken after the capture session opens, within the window.
    taken_at = datetime.now(UTC) + timedelta(seconds=100)
    (tmp_path / "after.jpg").write_bytes(camera_photo(uuid.uuid4().int % 10**9, taken_at=taken_at, gps=PLACE))
    status_database = sigap.services["status"].database
    env = {
        **os.environ,
        "SIGAP_PG_HOST": infra.pg_host,
        "SIGAP_PG_PORT": str(infra.pg_port),
        "SIGAP_PG_USER": infra.pg_user,
        "SIGAP_PG_PASSWORD": infra.pg_password,
        "SIGAP_PG_DATABASE": status_database,
    }
    ran = subprocess.run(
        ["timeout", "150", "bash", "-c", script],
        cwd=tmp_path,
        env=env,
        input=f"{ADMIN_PASSWORD}\n{DISHUB_PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert ran.returncode == 0, f"stdout:\n{ran.stdout[-4000:]}\nstderr:\n{ran.stderr[-4000:]}"
    result = re.search(r"^RESULT (\S+) (\S+)$", ran.stdout, flags=re.MULTILINE)
    assert result, ran.stdout[-4000:]
    complaint_id, tracking_code = result.groups()
    assert re.fullmatch(r"SGP-[0-9A-Z]{4}-[0-9A-Z]{2}", tracking_code), tracking_code
    assert f'"tracking_code":"{tracking_code}"' in ran.stdout.replace(" ", "")

    with httpx.Client(timeout=15) as client:

        def login(username: str, password: str) -> dict[str, str]:
            answer = client.post(f"{sigap.url('status')}/v1/auth/login", json={"username": username, "password": password})
            assert answer.status_code == 200, answer.text
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

        admin = login("admin.kota", ADMIN_PASSWORD)
        dishub = login("admin.dishub", DISHUB_PASSWORD)
        accounts = client.get(f"{sigap.url('status')}/v1/staff-accounts", params={"department": "DISHUB"}, headers=admin)
        assert {"admin.dishub", "petugas.dishub"} <= {account["username"] for account in accounts.json()}

        view = client.get(f"{sigap.url('status')}/v1/staff/complaints/{complaint_id}", headers=dishub)
        assert view.status_code == 200, view.text
        assert view.json()["department"] == "DISHUB"
        assert view.json()["status"] == "selesai"
        assert view.json()["assigned_officer"] == "petugas.dishub"
        tracked = client.get(f"{sigap.url('intake')}/v1/track/{tracking_code}")
        assert tracked.status_code == 200 and "selesai" in tracked.text
