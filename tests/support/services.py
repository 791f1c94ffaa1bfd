"""Runs the four services as real processes (the same entrypoints `make run` uses) against
the session's Kafka and PostgreSQL, each on its own fresh database and free port, and the
web service (no database) in front of them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.infra import Infra, free_port

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


def start_web(system: SigapSystem, *, log_dir: Path, port: int | None = None) -> RunningService:
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
