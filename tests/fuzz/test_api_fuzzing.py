"""Every service's HTTP API fuzzed from its own OpenAPI document (schemathesis, bounded in
examples and time): no answer is a 5xx, every status code and content type an answer has is
documented, a 405 names the path's methods in `Allow`, and every error is an RFC 9457
problem (`tests/fuzz/checks.py`). Staff operations are called with a city admin's access token,
intake's internal API with the internal token.

The four services run as real processes on databases and topics of their own: the fuzzer
changes what it may (templates, taxonomy, contacts), which no other test should see."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.conftest import INTAKE_DEVELOPMENT_INTERNAL_TOKEN
from tests.support.infra import Infra, delete_prefixed_topics, random_name
from tests.support.services import SERVICES, SigapSystem, StaffLogins, start_private_system

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 8  # per operation and phase
MAX_TIME_S = 45  # per service
SEED = 20261204  # the same cases every run; change it to explore
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "unsupported_method",
        "allow_header_conformance",
        "errors_are_problems",
    )
)


@dataclasses.dataclass
class FuzzedSystem:
    system: SigapSystem
    staff: StaffLogins


@pytest.fixture(scope="module")
async def fuzzed(infra: Infra, databases, tmp_path_factory) -> AsyncIterator[FuzzedSystem]:
    own_infra = dataclasses.replace(infra, topic_prefix=random_name("fuzz") + ".")
    photos = tmp_path_factory.mktemp("fuzz-photos")
    internal = {"SIGAP_INTERNAL_TOKEN": INTAKE_DEVELOPMENT_INTERNAL_TOKEN}

    def extra_env(name: str, system: SigapSystem) -> dict[str, str]:
        if name == "intake":
            return {"SIGAP_PHOTO_DIR": str(photos), **internal}
        return {"SIGAP_INTAKE_INTERNAL_URL": system.url("intake"), **internal}

    system = await start_private_system(
        own_infra, databases, label="fuzz", log_dir=tmp_path_factory.mktemp("fuzz-logs"), extra_env=extra_env
    )
    try:
        yield FuzzedSystem(system=system, staff=StaffLogins(system, own_infra))
    finally:
        system.stop()
        try:
            await asyncio.wait_for(delete_prefixed_topics(own_infra), 60)
        except Exception as exc:  # noqa: BLE001 - cleanup must not fail the tests
            print(f"could not delete the fuzz run's topics: {exc!r}")


def _run_schemathesis(url: str, authorization: str, report: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "SCHEMATHESIS_HOOKS": "tests.fuzz.checks",
    }
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{url}/openapi.json",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(MAX_TIME_S),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--suppress-health-check",
        "all",
        "--header",
        f"Authorization: {authorization}",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--output-truncate",
        "false",
    ]
    # In a scratch directory: schemathesis keeps a cache in its working directory.
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=MAX_TIME_S * 4, cwd=report.parent
    )


@pytest.mark.parametrize("service", SERVICES)
async def test_the_api_answers_what_its_openapi_document_says(fuzzed: FuzzedSystem, service: str, tmp_path):
    if service == "intake":
        authorization = f"Bearer {INTAKE_DEVELOPMENT_INTERNAL_TOKEN}"
    else:
        authorization = (await fuzzed.staff.headers("city_admin"))["Authorization"]
    report = tmp_path / "report.json"
    result = await asyncio.to_thread(_run_schemathesis, fuzzed.system.url(service), authorization, report)
    output = result.stdout + result.stderr
    assert report.exists(), output[-6000:]
    assert result.returncode == 0, _failures(output) or output[-20000:]


def _failures(output: str) -> list[str]:
    """The failing test cases of schemathesis' report, one text block each."""
    section = output.split("= FAILURES =", 1)[-1].split("= WARNINGS =", 1)[0].split("= SUMMARY =", 1)[0]
    return ["Test Case ID:" + block for block in section.split("Test Case ID:")[1:]]
