"""The internal API notify relies on (services/notify/INTAKE_CONTRACT.md), on real PostgreSQL:
a pseudonym resolves to a contact only with the internal token, and a follow-up token check."""

from __future__ import annotations

import orjson
import pytest

from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from tests.integration.intake.conftest import running_intake

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}


@pytest.fixture
async def intake_internal(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p") as intake:
        yield intake


async def _submit(intake, reporter: dict | None, privacy: str = "rahasia") -> tuple[dict, str | None]:
    body = {
        "description": "Jalan amblas di Jl. Raya Bogor dekat Cisalak, membahayakan pengendara",
        "location": {"address": "Jl. Raya Bogor, Cisalak"},
        "privacy": privacy,
    }
    if reporter:
        body["reporter"] = reporter
    receipt = (await intake.client.post("/v1/complaints", json=body)).json()
    payload = await intake.pool.fetchval("SELECT payload FROM outbox ORDER BY id DESC LIMIT 1")
    reporter_ref = orjson.loads(payload)["reporter"]
    return receipt, reporter_ref["pseudonym"] if reporter_ref else None


async def test_pseudonym_resolves_to_the_contact_per_channel(intake_internal):
    _, pseudonym = await _submit(intake_internal, {"phone": "0812-3456-7890", "email": "sari@example.com"})
    path = "/internal/v1/reporter-contacts/resolve"
    email = await intake_internal.client.post(path, json={"pseudonym": pseudonym, "channel": "email"}, headers=AUTH)
    assert email.status_code == 200 and email.json() == {"address": "sari@example.com", "language": "id"}
    sms = await intake_internal.client.post(path, json={"pseudonym": pseudonym, "channel": "sms"}, headers=AUTH)
    assert sms.json()["address"] == "+6281234567890"
    push = await intake_internal.client.post(path, json={"pseudonym": pseudonym, "channel": "push"}, headers=AUTH)
    assert push.status_code == 404
    unknown = await intake_internal.client.post(path, json={"pseudonym": "Pelapor-NOPE", "channel": "email"}, headers=AUTH)
    assert unknown.status_code == 404


async def test_internal_api_refuses_without_the_token(intake_internal):
    _, pseudonym = await _submit(intake_internal, {"email": "sari@example.com"})
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = await intake_internal.client.post(
            "/internal/v1/reporter-contacts/resolve", json={"pseudonym": pseudonym, "channel": "email"}, headers=headers
        )
        assert response.status_code == 401
        assert "sari@example.com" not in response.text


async def test_follow_up_token_check(intake_internal):
    receipt, _ = await _submit(intake_internal, None, privacy="anonim")
    path = "/internal/v1/follow-up/verify"
    good = {"tracking_code": receipt["tracking_code"], "follow_up_token": receipt["follow_up_token"]}
    ok = await intake_internal.client.post(path, json=good, headers=AUTH)
    assert ok.status_code == 200 and ok.json() == {"complaint_id": receipt["id"]}
    bad = await intake_internal.client.post(path, json={**good, "follow_up_token": "guess"}, headers=AUTH)
    assert bad.status_code == 404
    statuses = [
        (await intake_internal.client.post(path, json={**good, "follow_up_token": f"guess{i}"}, headers=AUTH)).status_code
        for i in range(12)
    ]
    assert 429 in statuses
