"""Notify's tests stand in for intake with `FakeIntake`; this suite asks the same questions,
through notify's own clients over HTTP, of the fake and of the real intake (its internal API
on a real PostgreSQL), so the fake cannot drift from what intake answers
(services/notify/INTAKE_CONTRACT.md)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import orjson
import pytest

from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from sigap_notify.channels.contacts import ContactLookupUnavailable, IntakeContactResolver
from sigap_notify.deliveries.batch import BatchReads
from sigap_notify.intake_client import FollowUpRejected, IntakeClient, IntakeUnavailable
from tests.integration.intake.conftest import running_intake
from tests.integration.notify.support import FakeIntake, serve_asgi

pytestmark = pytest.mark.integration

EMAIL = "sari@example.com"
PHONE = "0812-3456-7890"
PHONE_E164 = "+6281234567890"


@dataclass
class IntakeUnderContract:
    url: str
    token: str
    pseudonym: str  # a confidential reporter with an e-mail address and a phone number
    tracking_code: str
    follow_up_token: str
    complaint_id: str


async def _real(infra, databases, tmp_path) -> AsyncIterator[IntakeUnderContract]:
    async with running_intake(infra, databases, tmp_path / "photos") as intake:
        response = await intake.client.post(
            "/v1/complaints",
            json={
                "description": "Jalan amblas di Jl. Raya Bogor dekat Cisalak, membahayakan pengendara",
                "location": {"address": "Jl. Raya Bogor, Cisalak"},
                "privacy": "rahasia",
                "reporter": {"phone": PHONE, "email": EMAIL},
            },
        )
        assert response.status_code == 201, response.text
        receipt = response.json()
        payload = await intake.pool.fetchval("SELECT payload FROM outbox ORDER BY id DESC LIMIT 1")
        async with serve_asgi(intake.app) as url:
            yield IntakeUnderContract(
                url=url,
                token=DEVELOPMENT_INTERNAL_TOKEN,
                pseudonym=orjson.loads(payload)["reporter"]["pseudonym"],
                tracking_code=receipt["tracking_code"],
                follow_up_token=receipt["follow_up_token"],
                complaint_id=receipt["id"],
            )


async def _fake() -> AsyncIterator[IntakeUnderContract]:
    """The fake, set up the way notify's tests set it up for the same reporter and complaint."""
    fake = FakeIntake()
    pseudonym, code, token, complaint_id = "Pelapor-CONTRACT", "SGP-CNTR-01", uuid.uuid4().hex, str(uuid.uuid4())
    fake.contacts[(pseudonym, "email")] = {"address": EMAIL, "language": "id"}
    fake.contacts[(pseudonym, "sms")] = {"address": PHONE_E164, "language": "id"}
    fake.follow_ups[(code, token)] = complaint_id
    async with serve_asgi(fake.app()) as url:
        yield IntakeUnderContract(url, fake.token, pseudonym, code, token, complaint_id)


@pytest.fixture(params=["real", "fake"])
async def intake(request, infra, databases, tmp_path) -> AsyncIterator[IntakeUnderContract]:
    backend = _real(infra, databases, tmp_path) if request.param == "real" else _fake()
    async for under_contract in backend:
        yield under_contract


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_a_reporters_contact_resolves_per_channel_and_is_none_where_there_is_none(intake, session):
    resolver = IntakeContactResolver(base_url=intake.url, token=intake.token, session=session)
    reporter = f"reporter:{intake.pseudonym}"
    batch = BatchReads()

    email = await resolver.resolve(recipient=reporter, channel="email", params={}, batch=batch)
    sms = await resolver.resolve(recipient=reporter, channel="sms", params={}, batch=batch)
    assert email is not None and (email.addresses, email.language) == ((EMAIL,), "id")
    assert sms is not None and sms.addresses == (PHONE_E164,)
    assert await resolver.resolve(recipient=reporter, channel="push", params={}, batch=batch) is None
    nobody = "reporter:Pelapor-NOBODY"
    assert await resolver.resolve(recipient=nobody, channel="email", params={}, batch=batch) is None


async def test_contacts_need_the_internal_token(intake, session):
    resolver = IntakeContactResolver(base_url=intake.url, token="wrong", session=session)
    with pytest.raises(ContactLookupUnavailable):
        await resolver.resolve(
            recipient=f"reporter:{intake.pseudonym}", channel="email", params={}, batch=BatchReads()
        )


async def test_a_follow_up_token_is_verified_against_its_tracking_code(intake, session):
    client = IntakeClient(base_url=intake.url, token=intake.token, session=session)

    verified = await client.verify_follow_up(tracking_code=intake.tracking_code, follow_up_token=intake.follow_up_token)
    assert str(verified.complaint_id) == intake.complaint_id
    with pytest.raises(FollowUpRejected):
        await client.verify_follow_up(tracking_code=intake.tracking_code, follow_up_token="guess")
    with pytest.raises(FollowUpRejected):
        await client.verify_follow_up(tracking_code="SGP-NONE-00", follow_up_token=intake.follow_up_token)

    stranger = IntakeClient(base_url=intake.url, token="wrong", session=session)
    with pytest.raises(IntakeUnavailable):
        await stranger.verify_follow_up(tracking_code=intake.tracking_code, follow_up_token=intake.follow_up_token)
