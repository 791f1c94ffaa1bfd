"""What the tests of the newer features (privacy requests, LAPOR!, escalation, photo checks)
share: a complaint as the citizen app sends it, a photo uploaded through a capture session, a
reporter's privacy request and the dpo's answer at intake, and a complaint's one event on Kafka.

Each helper takes the HTTP client the test already has; `intake` is intake's base URL when
that client has none (the end-to-end tests), and empty when it has (the in-process apps)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tests.support.cloudevents_sdk import parse_record
from tests.support.kafka import collect
from tests.unit.intake.images import camera_photo

DEPOK = (-6.3925, 106.8226)


def complaint_body(
    description: str, category: str, *, privacy: str = "publik", at: tuple[float, float] = DEPOK,
    address: str | None = None, **fields: object,
) -> dict:  # fmt: skip
    """A complaint (kind pengaduan) reported at `at` (lat, lon); `fields` adds the rest as
    intake's API names it: title, reporter, photos."""
    location = {"lat": at[0], "lon": at[1], **({"address": address} if address else {})}
    body = {"kind": "pengaduan", "description": description, "category": category, "privacy": privacy}
    return {**body, "location": location, **fields}


async def submit(client: httpx.AsyncClient, body: dict, *, intake: str = "") -> dict:
    """Intake's receipt for the complaint `body` (tracking code, follow-up token, id)."""
    response = await client.post(f"{intake}/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def fresh_photo(*, ago: timedelta = timedelta(0), **exif: object) -> bytes:
    """A phone camera's photo taken `ago` before now (`exif` adds fields such as its gps), drawn
    from a fresh seed so that no two uploads share their bytes by chance."""
    return camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC) - ago, **exif)


async def upload_photo(client: httpx.AsyncClient, data: bytes, **form: object) -> dict:
    """`data` uploaded the way the citizen app does it: a capture session first, then the photo
    with the session's token (and `form`'s fields, such as the location being reported)."""
    session = await client.post("/v1/capture-sessions")
    assert session.status_code == 201, session.text
    fields = {"capture_token": session.json()["capture_token"], **{name: str(value) for name, value in form.items()}}
    photo = {"file": ("IMG_0001.jpg", data, "application/octet-stream")}
    response = await client.post("/v1/photos", data=fields, files=photo)
    assert response.status_code == 201, response.text
    return response.json()


async def ask_privacy(
    client: httpx.AsyncClient, code: str, token: str, kind: str, *, intake: str = ""
) -> httpx.Response:
    """The reporter's privacy request of `kind` (access, deletion, ...), made with the tracking
    code and the follow-up token."""
    headers = {"X-Follow-Up-Token": token}
    return await client.post(f"{intake}/v1/track/{code}/privacy-requests", json={"kind": kind}, headers=headers)


async def answer_at_intake(
    client: httpx.AsyncClient, request_id: str, *, auth: dict[str, str], reason: str, intake: str = ""
) -> httpx.Response:
    """The data protection officer's answer to a request, through intake's internal API."""
    body = {"actor": "dpo.depok", "actor_role": "dpo", "decision": "answered", "reason": reason}
    return await client.post(f"{intake}/internal/v1/privacy/requests/{request_id}/answer", json=body, headers=auth)


async def only_event(infra, topic: str, complaint_id: uuid.UUID) -> dict:
    """The complaint's one event on `topic`, parsed by the CloudEvents SDK; the topic is read on
    for two seconds after the first, so that a second one fails the test."""
    key = str(complaint_id).encode()
    records = await collect(
        infra.kafka_bootstrap, [infra.topic(topic)], keep=lambda record: record.key == key, until=bool, timeout_s=30,
        settle_s=2.0,
    )  # fmt: skip
    assert len(records) == 1, records
    return parse_record(records[0])
