"""Runs the four services as real processes (the same entrypoints `make run` uses) against
the session's Kafka and PostgreSQL, each on its own fresh database and free port, and the
web service (no database) in front of them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.infra import Infra, free_port, random_name

SERVICES = ("intake", "routing", "status", "notify")
WEB = "web"


@dataclass
class RunningService:
    name: str
    port: int
    database: str
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class SigapSystem:
    services: dict[str, RunningService] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return self.services[name].url

    def stop(self) -> None:
        for service in self.services.values():
            if service.process.poll() is None:
                service.process.terminate()
        for service in self.services.values():
            try:
                service.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()


def start_service(
    name: str,
    *,
    infra: Infra,
    database: str,
    group_prefix: str,
    log_dir: Path,
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
) -> RunningService:
    port = port or free_port()
    log_path = log_dir / f"{name}.log"
    env = {**os.environ, **infra.service_env(database=database, http_port=port, group_prefix=group_prefix)}
    env.update(extra_env or {})
    process = subprocess.Popen(
        [sys.executable, "-c", f"from sigap_{name}.bootstrap import main; main()"],
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return RunningService(name=name, port=port, database=database, process=process, log_path=log_path)


def start_web(
    system: SigapSystem, *, log_dir: Path, port: int | None = None, extra_env: dict[str, str] | None = None
) -> RunningService:
    """The web service in front of the system's four services, as `make run` starts it."""
    port = port or free_port()
    log_path = log_dir / "web.log"
    env = {
        **os.environ,
        "SIGAP_ENVIRONMENT": "test",
        "SIGAP_LOG_FORMAT": "json",
        "SIGAP_HTTP_HOST": "127.0.0.1",
        "SIGAP_HTTP_PORT": str(port),
        **{f"SIGAP_WEB_{name.upper()}_URL": system.url(name) for name in SERVICES},
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from sigap_web.bootstrap import main; main()"],
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    service = RunningService(name=WEB, port=port, database="", process=process, log_path=log_path)
    system.services[WEB] = service
    return service


def wait_ready(system: SigapSystem, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    pending = set(system.services)
    while pending and time.monotonic() < deadline:
        for name in list(pending):
            service = system.services[name]
            if service.process.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{service.log_text()[-3000:]}")
            try:
                if httpx.get(f"{service.url}/readyz", timeout=5).status_code == 200:
                    pending.discard(name)
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    if pending:
        raise RuntimeError(f"not ready after {timeout_s}s: {sorted(pending)}")


async def start_private_system(
    infra: Infra,
    databases,
    *,
    label: str,
    log_dir: Path,
    extra_env: Callable[[str, SigapSystem], dict[str, str]],
) -> SigapSystem:
    """The four services on databases of their own (`sigap_<label>_<service>`), started in
    order (intake first: status and notify call its internal API) and ready; `extra_env(name,
    system)` adds a service's settings, with the services started so far in `system`. Routing
    and notify check every staff token's account at this system's status, as in production."""
    group_prefix = random_name(label)
    system = SigapSystem()
    # Chosen up front: routing starts before status and must know where to check staff auth_rules.
    ports = {name: free_port() for name in SERVICES}
    staff_check = {"SIGAP_STATUS_INTERNAL_URL": f"http://127.0.0.1:{ports['status']}"}
    try:
        for name in SERVICES:
            system.services[name] = start_service(
                name,
                infra=infra,
                database=await databases.create(f"sigap_{label}_{name}"),
                group_prefix=group_prefix,
                log_dir=log_dir,
                extra_env={**(staff_check if name in ("routing", "notify") else {}), **extra_env(name, system)},
                port=ports[name],
            )
        await asyncio.to_thread(wait_ready, system, 120.0)
    except BaseException:
        system.stop()
        raise
    return system


def create_staff_user(infra: Infra, database: str, username: str, password: str, *args: str) -> None:
    """A staff account in a status database, made with the admin CLI as an operator would
    (`args`: `--role ROLE [--department CODE]`)."""
    env = {**os.environ, **infra.service_env(database=database, http_port=0, group_prefix="cli")}
    result = subprocess.run(
        [sys.executable, "-m", "sigap_status.staff_accounts.cli", "create-user", username, *args, "--password-stdin"],
        input=password + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


class StaffLogins:
    """Staff of a running system, one account per role and department, created with the admin
    CLI on first use and logged in over HTTP at status; a login is reused well within the
    access token's lifetime (15 minutes)."""

    PASSWORD = "sandi-staf-e2e-2026"
    REUSE_S = 300.0

    def __init__(self, system: SigapSystem, infra: Infra) -> None:
        self._system = system
        self._infra = infra
        self._logins: dict[str, tuple[float, dict[str, str]]] = {}

    async def headers(self, role: str, department: str | None = None) -> dict[str, str]:
        username = f"{role.replace('_', '-')}.{(department or 'kota').lower()}"
        if username not in self._logins:
            args = ["--role", role] + (["--department", department] if department else [])
            database = self._system.services["status"].database
            await asyncio.to_thread(create_staff_user, self._infra, database, username, self.PASSWORD, *args)
        elif time.monotonic() - self._logins[username][0] < self.REUSE_S:
            return self._logins[username][1]
        async with httpx.AsyncClient(timeout=20) as client:
            response = await client.post(
                f"{self._system.url('status')}/v1/auth/login", json={"username": username, "password": self.PASSWORD}
            )
        assert response.status_code == 200, response.text
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        self._logins[username] = (time.monotonic(), headers)
        return headers
