"""No input gives a 500. Every path, query, header, body and form field each service's own
OpenAPI document declares (plus the Open311 form and query fields, which are read by hand) is
sent NUL, a lone surrogate, overlong text, and out-of-range dates and numbers where typed.
No answer may be a 5xx; every refusal is problem+json (Open311's own errors keep the format
GeoReport v2 prescribes); NUL and lone surrogates are refused with 422.

The four services run as processes, as in production, on a private system (own databases,
topics and consumer groups), since some hostile values are legitimately accepted and change
state the other e2e tests rely on."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import INTAKE_DEVELOPMENT_INTERNAL_TOKEN
from tests.support.infra import random_name
from tests.support.input_corpus import Baseline, Case, cases
from tests.support.kafka import eventually
from tests.support.services import SERVICES, SigapSystem, start_service, wait_ready

pytestmark = pytest.mark.e2e

OPEN311_KEY = "korpus-kunci-open311"
PROBLEM_JSON = "application/problem+json"
STAFF, PASSWORD = "admin-korpus", "sandi-korpus-rahasia-1"


@pytest.fixture(scope="module")
async def corpus_system(infra, databases, tmp_path_factory) -> AsyncIterator[SigapSystem]:
    log_dir: Path = tmp_path_factory.mktemp("corpus-logs")
    names = {name: await databases.create(f"sigap_corpus_{name}") for name in SERVICES}
    shared_env = {
        "SIGAP_KAFKA_TOPIC_PREFIX": infra.topic_prefix + "corpus.",
        "SIGAP_OPEN311_API_KEYS": f'["{OPEN311_KEY}"]',
        "SIGAP_LOGIN_MAX_FAILURES_PER_USERNAME": "1000000",
        "SIGAP_LOGIN_MAX_FAILURES_PER_IP": "1000000",
    }
    system = SigapSystem()
    try:
        for name in SERVICES:
            extra = dict(shared_env)
            if name == "status":
                extra |= {
                    "SIGAP_INTAKE_INTERNAL_URL": system.url("intake"),
                    "SIGAP_INTERNAL_TOKEN": INTAKE_DEVELOPMENT_INTERNAL_TOKEN,
                }
            system.services[name] = start_service(
                name,
                infra=infra,
                database=names[name],
                group_prefix=random_name("corpus"),
                log_dir=log_dir,
                extra_env=extra,
            )
        wait_ready(system)
        yield system
    finally:
        system.stop()


@dataclass(frozen=True)
class Seeded:
    complaint_id: str
    tracking_code: str
    follow_up_token: str
    staff_headers: dict[str, str]


def _create_city_admin(infra, database: str) -> None:
    env = {**os.environ, **infra.service_env(database=database, http_port=0, group_prefix="cli")}
    result = subprocess.run(
        [sys.executable, "-m", "sigap_status.staff_accounts.cli", "create-user", STAFF, "--role", "city_admin", "--password-stdin"],
        input=PASSWORD + "\n", env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
async def seeded(corpus_system: SigapSystem, infra) -> Seeded:
    """A city admin and a complaint known to every service, so hostile values reach the code
    past the log-in and the look-ups."""
    _create_city_admin(infra, corpus_system.services["status"].database)
    async with httpx.AsyncClient(timeout=30) as client:
        login = await client.post(
            corpus_system.url("status") + "/v1/auth/login", json={"username": STAFF, "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        receipt = (
            await client.post(
                corpus_system.url("intake") + "/v1/complaints",
                json={
                    "description": "Lampu PJU di Jl. Korpus mati sejak kemarin malam",
                    "category": "lampu_jalan",
                    "location": {"lat": -6.3925, "lon": 106.8226, "address": "Jl. Korpus"},
                    "reporter": {"name": "Pelapor Korpus", "email": "korpus@example.com"},
                },
            )
        ).json()

        async def at_status() -> bool:
            url = f"{corpus_system.url('status')}/v1/staff/complaints/{receipt['id']}"
            found = await client.get(url, headers=headers)
            return found.status_code == 200

        await eventually(at_status, timeout_s=60)
    return Seeded(receipt["id"], receipt["tracking_code"], receipt["follow_up_token"], headers)


def _baseline(service: str, seeded: Seeded, taxonomy: dict | None) -> Baseline:
    baseline = Baseline(
        path_values={
            "complaint_id": seeded.complaint_id,
            "tracking_code": seeded.tracking_code,
            "service_request_id": seeded.tracking_code,
            "token": seeded.follow_up_token,
            "fmt": "json",
            "service_code": "lampu_jalan",
            "photo_id": str(uuid.uuid4()),
            "webhook_id": str(uuid.uuid4()),
            "department": "DISHUB",
            "username": "petugas-korpus",
            "key": "status_changed",
            "language": "id",
            "version": "1",
            "request_id": str(uuid.uuid4()),  # personal-data requests (intake, status)
            "step": "head_of_department",  # escalation contacts (notify)
        },
        query_values={
            "reason": "pemeriksaan masukan korpus",
            "department": "DISHUB",
            "complaint_id": seeded.complaint_id,
        },
    )
    if service == "intake":
        baseline.forms[("POST", "/open311/v2/requests.{fmt}")] = {
            "api_key": OPEN311_KEY,
            "service_code": "lampu_jalan",
            "lat": "-6.39",
            "long": "106.82",
            "address_string": "Jl. Open311 Korpus",
            "description": "Lampu jalan mati di depan sekolah sejak minggu lalu",
            "first_name": "Pelapor",
            "last_name": "Korpus",
            "phone": "0813-1111-2222",
            "email": "korpus@example.com",
        }
        text = {"type": "string"}
        baseline.extra_query[("GET", "/open311/v2/requests.{fmt}")] = {
            "start_date": {"type": "string", "format": "date-time"},
            "end_date": {"type": "string", "format": "date-time"},
            "status": text,
            "service_code": text,
            "service_request_id": text,
        }
    if service == "routing" and taxonomy is not None:
        baseline.bodies[("PUT", "/v1/routing/admin/taxonomy")] = {"comment": "korpus", "taxonomy": taxonomy}
    return baseline


def _headers(service: str, case: Case, seeded: Seeded) -> dict[str, str]:
    headers = dict(seeded.staff_headers)
    if case.path.startswith("/internal/"):
        headers["Authorization"] = f"Bearer {INTAKE_DEVELOPMENT_INTERNAL_TOKEN}"
    if case.path.startswith("/v1/track/"):
        headers["X-Follow-Up-Token"] = seeded.follow_up_token
    if case.json_text is not None:
        headers["Content-Type"] = "application/json"
    return {**headers, **case.headers}


def _fault(case: Case, response: httpx.Response, body: bytes) -> str | None:
    status = response.status_code
    content_type = response.headers.get("content-type", "")
    said = body[:300].decode(errors="replace")
    if status >= 500:
        return f"{case}: {status} {said}"
    if case.must_refuse and (status != 422 or b"unstorable_character" not in body):
        return f"{case}: expected 422 for the unstorable character, got {status} {said}"
    if 400 <= status < 500 and not content_type.startswith(PROBLEM_JSON):
        open311_error = case.path.startswith("/open311/") and (b'"code"' in body or b"<errors>" in body)
        if not open311_error:
            return f"{case}: {status} without problem+json ({content_type}) {said}"
    return None


async def _current_version(client: httpx.AsyncClient, status_url: str, seeded: Seeded) -> int:
    url = f"{status_url}/v1/staff/complaints/{seeded.complaint_id}"
    try:
        found = await client.get(url, headers=seeded.staff_headers)
    except httpx.TransportError:
        # After a 500 the server closes the connection the pool would reuse: ask again.
        found = await client.get(url, headers=seeded.staff_headers)
    return found.json()["version"]


async def _send(client: httpx.AsyncClient, base: str, service: str, case: Case, seeded: Seeded) -> str | None:
    if service == "status" and case.json_text and '"expected_version": 0' in case.json_text:
        # A stale version is refused (409) before anything is stored: send the current one.
        version = await _current_version(client, base, seeded)
        case = dataclasses.replace(
            case, json_text=case.json_text.replace('"expected_version": 0', f'"expected_version": {version}')
        )
    request = client.build_request(
        case.method,
        base + case.path,
        params=dict(case.query),
        headers=_headers(service, case, seeded),
        content=case.json_text.encode() if case.json_text is not None else None,
        data=dict(case.form) if case.form is not None else None,
        files=dict(case.files) if case.files else None,
    )
    try:
        response = await client.send(request, stream=True)
    except httpx.TransportError as exc:
        return f"{case}: no answer ({exc!r})"
    try:
        # The staff live stream answers an endless text/event-stream: its status is enough.
        streaming = response.headers.get("content-type", "").startswith("text/event-stream")
        body = b"" if streaming else await response.aread()
    finally:
        await response.aclose()
    return _fault(case, response, body)


@pytest.mark.parametrize("service", SERVICES)
async def test_no_hostile_value_gives_a_server_error(corpus_system: SigapSystem, seeded: Seeded, service: str):
    base = corpus_system.url(service)
    async with httpx.AsyncClient(timeout=60) as client:
        document = (await client.get(base + "/openapi.json")).json()
        taxonomy = None
        if service == "routing":
            current = await client.get(base + "/v1/routing/admin/taxonomy", headers=seeded.staff_headers)
            taxonomy = current.json()["taxonomy"]
        baseline = _baseline(service, seeded, taxonomy)
        faults, sent = [], 0
        for case in cases(document, baseline, skip=lambda operation: operation.path in ("/healthz", "/readyz")):
            sent += 1
            fault = await _send(client, base, service, case, seeded)
            if fault:
                faults.append(fault)
    assert sent > 20, f"only {sent} cases: is the OpenAPI document complete?"
    assert not faults, f"{len(faults)} of {sent} hostile requests to {service} went wrong:\n" + "\n".join(faults)
