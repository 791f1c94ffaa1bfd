"""`deploy/services.sh restart NAME` (what `make restart SERVICE=NAME` runs) stops one service and
starts it again with the settings of the caller's environment, leaving everything else alone: run
here on a data directory, port and database of its own, against the session's Kafka and
PostgreSQL, intake answers with a changed setting after the restart."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.infra import free_port, random_name

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "services.sh"


async def _services_sh(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=180
    )


def _contact(port: int) -> str:
    answer = httpx.get(f"http://127.0.0.1:{port}/open311/v2/discovery.json", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["contact"]


async def test_restart_applies_a_changed_setting_to_that_service_alone(infra, databases, tmp_path):
    port = free_port()
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        **infra.service_env(
            database=await databases.create("sigap_restart_intake"), http_port=port, group_prefix=random_name("restart")
        ),
        "SIGAP_DATA_DIR": str(data_dir),
        "SIGAP_INTAKE_PORT": str(port),
        "SIGAP_OPEN311_CONTACT": "Diskominfo, kontak lama",
    }
    try:
        first = await _services_sh(env, "restart", "intake")
        assert first.returncode == 0, first.stdout + first.stderr
        first_pid = (data_dir / "run" / "intake.pid").read_text().strip()
        assert _contact(port) == "Diskominfo, kontak lama"

        changed = await _services_sh({**env, "SIGAP_OPEN311_CONTACT": "Diskominfo, kontak baru"}, "restart", "intake")
        assert changed.returncode == 0, changed.stdout + changed.stderr
        assert "intake stopped" in changed.stdout and "intake running again" in changed.stdout
        # Only the service: Kafka and PostgreSQL are neither stopped nor started.
        assert "kafka" not in changed.stdout.lower() and "postgres" not in changed.stdout.lower()
        assert (data_dir / "run" / "intake.pid").read_text().strip() != first_pid
        assert _contact(port) == "Diskominfo, kontak baru"

        refused = await _services_sh(env, "restart", "kafka")
        assert refused.returncode != 0 and "name one service" in refused.stderr
    finally:
        stopped = await _services_sh(env, "stop", "intake")
        assert stopped.returncode == 0, stopped.stderr
    assert not (data_dir / "run" / "intake.pid").exists()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
