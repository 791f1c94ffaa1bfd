"""The whole system, started once for the e2e tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from sigap_status import accounts, repository

from tests.support.infra import free_port, random_name
from tests.support.services import SERVICES, SigapSystem, start_service, start_web, wait_ready

# Intake's development internal token (what intake accepts when SIGAP_INTERNAL_TOKEN is unset).
INTAKE_DEVELOPMENT_INTERNAL_TOKEN = "sigap-development-internal-token-change-me"


@pytest.fixture(scope="session")
async def system_databases(databases) -> dict[str, str]:
    return {name: await databases.create(f"sigap_e2e_{name}") for name in SERVICES}


@pytest.fixture(scope="session")
def sigap(infra, system_databases, tmp_path_factory) -> Iterator[SigapSystem]:
    log_dir: Path = tmp_path_factory.mktemp("service-logs")
    group_prefix = random_name("e2e")
    system = SigapSystem()
    # Chosen up front: routing starts before status and must know where to check staff accounts.
    ports = {name: free_port() for name in SERVICES}
    try:
        for name in SERVICES:  # intake first: status calls its internal API
            extra_env = None
            if name == "status":
                extra_env = {
                    "SIGAP_INTAKE_INTERNAL_URL": system.url("intake"),
                    "SIGAP_INTERNAL_TOKEN": INTAKE_DEVELOPMENT_INTERNAL_TOKEN,
                }
            if name in ("routing", "notify"):
                extra_env = {
                    "SIGAP_STATUS_INTERNAL_URL": f"http://127.0.0.1:{ports['status']}",
                    "SIGAP_INTERNAL_TOKEN": INTAKE_DEVELOPMENT_INTERNAL_TOKEN,
                }
            system.services[name] = start_service(
                name,
                infra=infra,
                database=system_databases[name],
                group_prefix=group_prefix,
                log_dir=log_dir,
                extra_env=extra_env,
                port=ports[name],
            )
        wait_ready(system)
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="session")
def sigap_web(sigap: SigapSystem, tmp_path_factory) -> str:
    """The web service in front of the session's system (stopped with it); its base URL."""
    if "web" not in sigap.services:
        start_web(sigap, log_dir=tmp_path_factory.mktemp("web-log"))
        wait_ready(sigap)
    return sigap.url("web")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On an e2e failure, attach the tail of every service's log to the report."""
    outcome = yield
    report = outcome.get_result()
    system = item.funcargs.get("sigap") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(system, SigapSystem):
        for name, service in system.services.items():
            report.sections.append((f"{name} log (tail)", service.log_text()[-4000:]))


STAFF_PASSWORD = "sandi-staf-e2e-123"


async def staff_headers(system: SigapSystem, infra, role: str, department: str | None = None) -> dict[str, str]:
    """A new staff account at the system's status, logged in there: a real token, which routing
    and notify check against the account."""
    username = f"{role.replace('_', '')}-{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(**infra.pg_kwargs(system.services["status"].database))
    try:
        assert await repository.create_staff_user(
            conn=conn,
            username=username,
            password_hash=accounts.hash_password(STAFF_PASSWORD),
            role=role,
            department=department,
        )
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=system.url("status"), timeout=10) as client:
        response = await client.post("/v1/auth/login", json={"username": username, "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
