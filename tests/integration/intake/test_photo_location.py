"""A photo's GPS position is compared with the complaint's location as soon as both are known
(at upload when the app sends the location it is reporting, else at submission or when the
reporter adds photos later): the verdict is stored, shown to staff, and announced on Kafka as
PhotoVerified, with the distance but never either position."""

from __future__ import annotations

import uuid

import orjson
import pytest

from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from sigap_shared.events import TOPIC_COMPLAINT_PHOTO, PhotoVerified, decode
from tests.support.governance import DEPOK, complaint_body, fresh_photo, upload_photo
from tests.support.kafka import collect

pytestmark = pytest.mark.integration

JAKARTA = (-6.1754, 106.8272)  # about 24 km north of DEPOK
AUTH = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}


def _complaint(photos: list[str]) -> dict:
    description = "Saluran air tersumbat sampah di Jl. Margonda, air meluap ke jalan"
    return complaint_body(description, "drainase", photos=photos)


async def _photo_events(infra, complaint_id: str, count: int) -> list[PhotoVerified]:
    records = await collect(
        infra.kafka_bootstrap,
        [infra.topic_prefix + TOPIC_COMPLAINT_PHOTO],
        keep=lambda record: record.key == complaint_id.encode(),
        until=lambda kept: len(kept) >= count,
        timeout_s=60,
    )
    events = [decode(record.headers, record.value).data for record in records]
    assert all(isinstance(event, PhotoVerified) for event in events)
    return events  # type: ignore[return-value]


async def test_photos_are_judged_against_the_complaint_location_stored_shown_and_announced(intake, infra):
    far = await upload_photo(intake.client, fresh_photo(gps=JAKARTA))
    near = await upload_photo(intake.client, fresh_photo(gps=(-6.3930, 106.8230)))
    unplaced = await upload_photo(intake.client, fresh_photo())
    # Nothing to compare with at upload: a photo 24 km away still looks live then.
    assert far["verdict"] == near["verdict"] == unplaced["verdict"] == "verified_live"

    response = await intake.client.post("/v1/complaints", json=_complaint([far["id"], near["id"], unplaced["id"]]))
    assert response.status_code == 201, response.text
    complaint_id = response.json()["id"]

    stored = {
        str(row["id"]): row
        for row in await intake.pool.fetch(
            "SELECT id, verdict, location_distance_m FROM photos WHERE complaint_id = $1", uuid.UUID(complaint_id)
        )
    }
    assert stored[far["id"]]["verdict"] == "suspicious" and 20_000 < stored[far["id"]]["location_distance_m"] < 30_000
    assert stored[near["id"]]["verdict"] == "verified_live" and stored[near["id"]]["location_distance_m"] < 100
    assert stored[unplaced["id"]]["verdict"] == "verified_live" and stored[unplaced["id"]]["location_distance_m"] is None

    staff = await intake.client.get(f"/internal/v1/complaints/{complaint_id}/photos", headers=AUTH)
    assert staff.status_code == 200, staff.text
    shown = {photo["photo_id"]: photo for photo in staff.json()["photos"]}
    assert shown[far["id"]]["verdict"] == "suspicious"
    assert [reason["code"] for reason in shown[far["id"]]["reasons"]] == ["gps_far_from_location"]
    assert shown[far["id"]]["location_compared"] is True and shown[far["id"]]["location_distance_m"] > 20_000
    assert shown[near["id"]]["location_compared"] is True and shown[near["id"]]["verdict"] == "verified_live"
    assert shown[unplaced["id"]]["location_compared"] is False and shown[unplaced["id"]]["location_distance_m"] is None

    events = {str(event.photo_id): event for event in await _photo_events(infra, complaint_id, 3)}
    assert set(events) == {far["id"], near["id"], unplaced["id"]}
    assert events[far["id"]].verdict == "suspicious" and events[far["id"]].upload_verdict == "verified_live"
    assert events[far["id"]].reasons == ("gps_far_from_location",)
    assert events[far["id"]].location_compared and events[far["id"]].distance_m > 20_000
    assert events[near["id"]].verdict == "verified_live" and events[near["id"]].location_compared
    assert not events[unplaced["id"]].location_compared and events[unplaced["id"]].distance_m is None
    assert all(event.tracking_code == response.json()["tracking_code"] for event in events.values())
    # The event carries the distance, never where the photo or the problem is.
    payloads = [
        orjson.loads(row["payload"])
        for row in await intake.pool.fetch("SELECT payload FROM outbox WHERE key = $1", complaint_id.encode())
    ]
    photo_payloads = [payload for payload in payloads if "upload_verdict" in payload]
    assert len(photo_payloads) == 3
    for payload in photo_payloads:
        assert set(payload) == set(PhotoVerified.model_fields)
        assert not any(isinstance(value, float) for value in payload.values())


async def test_a_location_known_at_capture_judges_the_upload_at_once(intake):
    far = await upload_photo(intake.client, fresh_photo(gps=JAKARTA), report_lat=DEPOK[0], report_lon=DEPOK[1])
    assert far["verdict"] == "suspicious"
    [reason] = far["reasons"]
    assert reason["code"] == "gps_far_from_location" and reason["distance_m"] > 20_000
    near = await upload_photo(intake.client, fresh_photo(gps=DEPOK), report_lat=DEPOK[0], report_lon=DEPOK[1])
    assert near["verdict"] == "verified_live" and near["reasons"] == []
    distances = dict(
        await intake.pool.fetch(
            "SELECT id::text, location_distance_m FROM photos WHERE id = ANY($1::uuid[])", [far["id"], near["id"]]
        )
    )
    assert distances[far["id"]] > 20_000 and distances[near["id"]] < 50


async def test_photos_added_later_are_judged_against_the_complaint_location(intake, infra):
    receipt = (await intake.client.post("/v1/complaints", json=_complaint([]))).json()
    far = await upload_photo(intake.client, fresh_photo(gps=JAKARTA))
    added = await intake.client.post(
        f"/v1/track/{receipt['tracking_code']}/information",
        json={"text": "Foto tambahan dari lokasi", "photos": [far["id"]]},
        headers={"X-Follow-Up-Token": receipt["follow_up_token"]},
    )
    assert added.status_code == 201, added.text
    verdict = await intake.pool.fetchval("SELECT verdict FROM photos WHERE id = $1", uuid.UUID(far["id"]))
    assert verdict == "suspicious"
    [event] = await _photo_events(infra, receipt["id"], 1)
    assert event.photo_id == uuid.UUID(far["id"]) and event.reasons == ("gps_far_from_location",)
