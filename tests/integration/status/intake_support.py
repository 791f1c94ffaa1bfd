"""A real intake (its public and internal API on a fresh database) served over real HTTP in the
test process, and the status service's intake client pointed at it, as bootstrap builds it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from sigap_shared.events import ComplaintSubmitted, Envelope, decode, headers_from_json
from sigap_status.events import handlers
from sigap_status.context import intake_client
from sigap_status.sla.rules import SlaPolicy
from tests.integration.intake.conftest import IntakeUnderTest, running_intake
from tests.integration.notify.support import serve_asgi
from tests.support.complaints import lamp_complaint, place
from tests.support.factories import routed_for
from tests.unit.intake.images import camera_photo, jpeg, scene

DEPOK = (-6.3925, 106.8226)


@dataclass
class LiveIntake:
    intake: IntakeUnderTest
    url: str

    async def submit(
        self, *, privacy: str = "publik", reporter: dict | None = None, photos: list[str] | None = None
    ) -> uuid.UUID:
        body = lamp_complaint(
            description="Lampu PJU di Jl. Margonda Raya mati sejak kemarin malam, rawan kecelakaan",
            location=place(*DEPOK, "Jl. Margonda Raya"),
            privacy=privacy,
            photos=photos or [],
        )
        if reporter:
            body["reporter"] = reporter
        else:
            del body["reporter"]
        response = await self.intake.client.post("/v1/complaints", json=body)
        assert response.status_code in (200, 201), response.text
        return uuid.UUID(response.json()["id"])

    async def upload(self, data: bytes) -> dict:
        """A photo taken through a capture session, as the officer's app sends it."""
        session = await self.intake.client.post("/v1/capture-sessions")
        assert session.status_code == 201, session.text
        response = await self.intake.client.post(
            "/v1/photos",
            data={"capture_token": session.json()["capture_token"]},
            files={"file": ("IMG_0001.jpg", data, "application/octet-stream")},
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def submitted_envelope(self, complaint_id: uuid.UUID) -> Envelope:
        """The ComplaintSubmitted event intake wrote to its outbox for this complaint."""
        rows = await self.intake.pool.fetch(
            "SELECT headers, payload FROM outbox WHERE key = $1 ORDER BY id", str(complaint_id).encode()
        )
        for row in rows:
            envelope = decode(headers_from_json(row["headers"]), bytes(row["payload"]))
            if isinstance(envelope.data, ComplaintSubmitted):
                return envelope
        raise AssertionError(f"intake published no submission for {complaint_id}")


def live_photo() -> bytes:
    return camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC), gps=DEPOK)


def photo_without_exif() -> bytes:
    return jpeg(scene(uuid.uuid4().int % 10**9))


@pytest.fixture
async def live_intake(infra, databases, tmp_path) -> AsyncIterator[LiveIntake]:
    async with running_intake(infra, databases, tmp_path / "intake-photos") as intake, serve_asgi(intake.app) as url:
        yield LiveIntake(intake=intake, url=url)


@contextlib.asynccontextmanager
async def status_calling_intake(api, url: str, token: str = DEVELOPMENT_INTERNAL_TOKEN) -> AsyncIterator[None]:
    """The status app under test with the intake client bootstrap builds for `url`."""
    settings = api.settings.model_copy(update={"intake_internal_url": url, "internal_token": SecretStr(token)})
    before = api.settings
    async with intake_client(settings) as client:
        api.reconfigure(before, intake=client)
        try:
            yield
        finally:
            api.reconfigure(before)


async def import_complaint(api, live: LiveIntake, complaint_id: uuid.UUID, *, department: str = "DISHUB") -> None:
    """Deliver intake's submission and a routing decision to status, as its consumer would."""
    submitted = await live.submitted_envelope(complaint_id)
    data = submitted.data
    assert isinstance(data, ComplaintSubmitted)
    routed = routed_for(submitted, department, kelurahan=None)
    async with api.pool.acquire() as conn, conn.transaction():
        await handlers.on_complaints_submitted(conn=conn, envelopes=[submitted], policy=SlaPolicy())
        await handlers.on_complaints_routed(conn=conn, envelopes=[routed], policy=SlaPolicy())
