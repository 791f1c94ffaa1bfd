"""The whole system, started once for the e2e tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.infra import free_port, random_name
from tests.support.otlp import OtlpReceiver
from tests.support.services import SERVICES, SigapSystem, StaffLogins, start_service, start_web, wait_ready

# Intake's development internal token (what intake accepts when SIGAP_INTERNAL_TOKEN is unset).
INTAKE_DEVELOPMENT_INTERNAL_TOKEN = "sigap-development-internal-token-change-me"
# Categories whose reports keep a reused photo as (suspicious) evidence: see intake's env below.
REUSE_FLAGGED_CATEGORIES = ("rambu", "trotoar")


@pytest.fixture(scope="session")
async def system_databases(databases) -> dict[str, str]:
    return {name: await databases.create(f"sigap_e2e_{name}") for name in SERVICES}


@pytest.fixture(scope="session")
def otlp() -> Iterator[OtlpReceiver]:
    """Where every service of the session's system sends its traces."""
    receiver = OtlpReceiver().start()
    yield receiver
    receiver.stop()


def tracing_env(otlp: OtlpReceiver) -> dict[str, str]:
    # Spans leave every 200 ms instead of every 5 s, so a test need not wait long for them.
    return {"SIGAP_OTLP_ENDPOINT": otlp.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}


@pytest.fixture(scope="session")
def sigap(infra, system_databases, tmp_path_factory, otlp) -> Iterator[SigapSystem]:
    log_dir: Path = tmp_path_factory.mktemp("service-logs")
    group_prefix = random_name("e2e")
    system = SigapSystem()
    # Chosen up front: routing starts before status and must know where to check staff accounts.
    ports = {name: free_port() for name in SERVICES}
    try:
        for name in SERVICES:  # intake first: status calls its internal API
            extra_env = None
            if name == "intake":
                extra_env = {
                    "SIGAP_ROUTING_URL": f"http://127.0.0.1:{ports['routing']}",
                    # An access request's export asks status and notify (privacy/elsewhere.py).
                    "SIGAP_STATUS_INTERNAL_URL": f"http://127.0.0.1:{ports['status']}",
                    "SIGAP_NOTIFY_INTERNAL_URL": f"http://127.0.0.1:{ports['notify']}",
                    # A reused photo only flags (never rejects) a report of these two categories,
                    # so the staff page's photo evidence test can file a copy as evidence in two
                    # departments (rambu: DISHUB, trotoar: DPUPR); every other category keeps the
                    # default policy, under which a reused photo is rejected.
                    "SIGAP_PHOTO_REJECT_REASONS": json.dumps(
                        {"*": ["reused_photo"], **{category: [] for category in REUSE_FLAGGED_CATEGORIES}}
                    ),
                }
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
                extra_env={**tracing_env(otlp), **(extra_env or {})},
                port=ports[name],
            )
        wait_ready(system)
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="session")
def sigap_web(sigap: SigapSystem, tmp_path_factory, otlp) -> str:
    """The web service in front of the session's system (stopped with it); its base URL."""
    if "web" not in sigap.services:
        start_web(sigap, log_dir=tmp_path_factory.mktemp("web-log"), extra_env=tracing_env(otlp))
        wait_ready(sigap)
    return sigap.url("web")


@pytest.fixture(scope="session")
def staff(sigap, infra) -> StaffLogins:
    """`await staff.headers(role, department)`: a logged-in staff member of the running system."""
    return StaffLogins(sigap, infra)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On an e2e failure, attach the tail of every service's log to the report."""
    outcome = yield
    report = outcome.get_result()
    system = item.funcargs.get("sigap") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(system, SigapSystem):
        for name, service in system.services.items():
            report.sections.append((f"{name} log (tail)", service.log_text()[-4000:]))
