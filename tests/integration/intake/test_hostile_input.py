"""Input PostgreSQL cannot store, through the app intake runs (shared input limits included):
text with NUL is refused with 422 and leaves nothing behind (no complaint, no event that
consumers would dead-letter); photo metadata with NUL or impossible dates is cleaned or becomes
evidence against the photo; a failed upload leaves no file in storage."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from PIL import Image

from sigap_shared.events import decode, headers_from_json
from tests.integration.intake.conftest import running_intake
from tests.unit.intake.images import exif_for, jpeg, scene

pytestmark = pytest.mark.integration

API_KEY = "open311-hostile-" + uuid.uuid4().hex


@pytest.fixture
async def service(infra, databases, tmp_path):
    async with running_intake(
        infra, databases, tmp_path / "photos", open311_api_keys=[API_KEY]
    ) as under_test:
        yield under_test


def _complaint(**overrides) -> dict:
    return {
        "description": "Sampah menumpuk di pinggir Jl. Raya Sawangan sejak seminggu",
        "category": "sampah",
        "location": {"lat": -6.40, "lon": 106.79, "address": "Jl. Raya Sawangan"},
        "privacy": "publik",
        **overrides,
    }


async def _outbox_types(service) -> list[str]:
    rows = await service.pool.fetch("SELECT headers, payload FROM outbox ORDER BY id")
    return [decode(headers_from_json(row["headers"]), row["payload"]).type for row in rows]


def _assert_refused(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": "Sampah menumpuk\x00 di pinggir jalan raya"}, "description"),
        ({"title": "Sampah\x00"}, "title"),
        ({"location": {"lat": -6.4, "lon": 106.79, "address": "Jl.\x00 Sawangan"}}, "location.address"),
        ({"reporter": {"name": "Siti\x00"}}, "reporter.name"),
    ],
)
async def test_a_complaint_with_nul_is_refused_and_nothing_is_stored(service, overrides, field):
    response = await service.client.post("/v1/complaints", json=_complaint(**overrides))
    _assert_refused(response, field)
    assert await service.pool.fetchval("SELECT count(*) FROM complaints") == 0
    assert await _outbox_types(service) == []


async def test_information_with_nul_is_refused_at_the_edge_instead_of_accepted_and_lost(service):
    receipt = (await service.client.post("/v1/complaints", json=_complaint())).json()
    path = f"/v1/track/{receipt['tracking_code']}/information"
    headers = {"X-Follow-Up-Token": receipt["follow_up_token"]}
    refused = await service.client.post(path, json={"text": "Sekarang\x00 sampai ke badan jalan"}, headers=headers)
    _assert_refused(refused, "text")
    assert await _outbox_types(service) == ["sigap.complaint.submitted.v1"]
    added = await service.client.post(path, json={"text": "Sekarang sampai ke badan jalan"}, headers=headers)
    assert added.status_code == 201, added.text
    assert await _outbox_types(service) == ["sigap.complaint.submitted.v1", "sigap.complaint.information_added.v1"]


async def test_open311_refuses_nul_in_its_form_and_query_and_dates_past_any_sane_range(service):
    form = {
        "api_key": API_KEY,
        "service_code": "jalan_rusak",
        "lat": "-6.3731",
        "long": "106.8190",
        "description": "Lubang besar di lajur kiri\x00, sudah ada motor jatuh",
    }
    _assert_refused(await service.client.post("/open311/v2/requests.json", data=form), "description")
    listed = await service.client.get("/open311/v2/requests.json", params={"service_code": "a\x00"})
    _assert_refused(listed, "service_code")
    assert await service.pool.fetchval("SELECT count(*) FROM complaints") == 0
    for name, value in [
        ("end_date", "9999-12-31T23:59:59-05:00"),
        ("end_date", "0001-01-01T00:00:00+07:00"),
        ("start_date", "9999-12-31T00:00:00Z"),
        ("end_date", "1969-12-31T00:00:00Z"),
    ]:
        response = await service.client.get("/open311/v2/requests.json", params={name: value})
        assert response.status_code == 400, (name, value, response.text)
        assert response.json()[0]["code"] == 400 and name in response.json()[0]["description"]
    fine = await service.client.get("/open311/v2/requests.json", params={"end_date": datetime.now(UTC).isoformat()})
    assert fine.status_code == 200


async def _upload(service, data: bytes):
    token = (await service.client.post("/v1/capture-sessions")).json()["capture_token"]
    return await service.client.post(
        "/v1/photos", data={"capture_token": token}, files={"file": ("IMG_0001.jpg", data, "image/jpeg")}
    )


def _photo(*, software: str = "A546EXXU4BWK1", taken: str | None = None, offset: str | None = None) -> bytes:
    exif = exif_for(taken_at=datetime.now(UTC), software=software)
    exif_ifd = exif.get_ifd(0x8769)
    if taken is not None:
        exif_ifd[0x9003] = taken
        if offset is None:
            del exif_ifd[0x9011]
        else:
            exif_ifd[0x9011] = offset
    return jpeg(scene(uuid.uuid4().int % 10**9), exif=exif)


async def test_photo_metadata_with_nul_is_stored_cleaned(service):
    response = await _upload(service, _photo(software="Adobe\x00 Photoshop 25.0\x00beta"))
    assert response.status_code == 201, response.text
    reasons = {reason["code"]: reason for reason in response.json()["reasons"]}
    assert reasons["editing_software"]["software"] == "Adobe Photoshop 25.0beta"
    photo_id = uuid.UUID(response.json()["id"])
    row = await service.pool.fetchrow("SELECT software, reasons FROM photos WHERE id = $1", photo_id)
    assert row["software"] == "Adobe Photoshop 25.0beta"
    assert "editing_software" in [reason["code"] for reason in orjson.loads(row["reasons"])]


@pytest.mark.parametrize(
    ("taken", "offset"),
    [("9999:12:31 23:00:00", "-05:00"), ("0001:01:01 00:00:00", None), ("1985:06:01 10:00:00", "+07:00")],
    ids=["year-9999-west", "year-1-wib", "before-1990"],
)
async def test_an_impossible_capture_time_is_evidence_against_the_photo_not_a_crash(service, taken, offset):
    response = await _upload(service, _photo(taken=taken, offset=offset))
    assert response.status_code == 201, response.text
    photo = response.json()
    assert photo["verdict"] == "suspicious" and photo["taken_at"] is None
    reasons = {reason["code"]: reason for reason in photo["reasons"]}
    assert reasons["implausible_capture_time"]["exif_datetime_original"] == taken
    assert "old_photo" not in reasons and "no_capture_time" not in reasons
    stored = await service.pool.fetchval("SELECT taken_at FROM photos WHERE id = $1", uuid.UUID(photo["id"]))
    assert stored is None


async def test_a_failed_upload_leaves_no_file_behind(service, tmp_path):
    # Anything failing after the checks (here the database, through a trigger) must not
    # leave the original in storage without a row that names it.
    await service.pool.execute(
        """
        CREATE FUNCTION refuse_photo() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'database went away' USING ERRCODE = '08006'; END $$;
        CREATE TRIGGER refuse_photo BEFORE INSERT ON photos FOR EACH ROW EXECUTE FUNCTION refuse_photo();
        """
    )
    response = await _upload(service, _photo())
    assert response.status_code == 503, response.text
    assert [path for path in (tmp_path / "photos").rglob("*") if path.is_file()] == []
    await service.pool.execute("DROP TRIGGER refuse_photo ON photos")
    again = await _upload(service, _photo())
    assert again.status_code == 201
    assert len([path for path in (tmp_path / "photos").rglob("*") if path.is_file()]) == 1


def test_exif_helper_writes_what_the_tests_ask_for():
    # The NUL must survive Pillow's writing, or the tests above would prove nothing.
    data = _photo(software="Adobe\x00 Photoshop", taken="9999:12:31 23:00:00", offset="-05:00")
    import io

    exif = Image.open(io.BytesIO(data)).getexif()
    assert "\x00" in exif[0x0131]
    assert exif.get_ifd(0x8769)[0x9003] == "9999:12:31 23:00:00"
