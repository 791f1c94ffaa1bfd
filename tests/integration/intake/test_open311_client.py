"""A third-party Open311 client against the real intake app served over real HTTP (uvicorn)
on real PostgreSQL: `georeport` (PyPI, a maintained GeoReport v2 wrapper) lists services,
reads service definitions and reads requests back in both .json and .xml.

`georeport` cannot post (its documentation says so), so posting follows the specification's
documented example literally with a plain HTTP client: a form-encoded POST to requests.json
and requests.xml with api_key, service_code, lat/long, address_string and the reporter's
fields. A report sent with a live photo through /v1 carries its public, EXIF-free photo as
`media_url`, which the client can fetch."""

from __future__ import annotations

import asyncio
import io
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import httpx
import pytest
import requests
import uvicorn
from georeport import GeoReport
from PIL import Image

from tests.integration.intake.conftest import running_intake
from tests.support.infra import free_port
from tests.unit.intake.images import camera_photo, jpeg_metadata_markers

pytestmark = pytest.mark.integration

API_KEY = "open311-client-key-" + uuid.uuid4().hex
DEPOK = (-6.3925, 106.8226)


@pytest.fixture
async def served(infra, databases, tmp_path):
    """Intake (public API + Open311) on a real port, served by uvicorn in this event loop; the
    synchronous client runs in a worker thread so the server keeps answering."""
    async with running_intake(infra, databases, tmp_path / "p", open311_api_keys=[API_KEY]) as intake:
        port = free_port()
        config = uvicorn.Config(intake.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        for _ in range(100):
            if server.started:
                break
            await asyncio.sleep(0.05)
        assert server.started, "uvicorn did not start"
        yield intake, f"http://127.0.0.1:{port}"
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def _spec_post(base: str, fmt: str, **fields) -> httpx.Response:
    """POST Service Request exactly as the specification's example: form-encoded fields."""
    form = {
        "api_key": API_KEY,
        "service_code": "drainase",
        "lat": "-6.3925",
        "long": "106.8226",
        "address_string": "Jl. Margonda Raya 100, Depok",
        "email": "warga.open311@example.com",
        "device_id": "tester-device-01",
        "first_name": "Sekar",
        "last_name": "Ayu",
        "phone": "0812-3333-4444",
        "description": "Gorong-gorong tersumbat, air menggenang setinggi mata kaki setiap hujan",
        **fields,
    }
    return httpx.post(f"{base}/open311/v2/requests.{fmt}", data=form, timeout=10)


async def test_a_third_party_client_lists_posts_and_reads_back_in_both_formats(served):
    _, base = served
    as_json = GeoReport(f"{base}/open311/v2", api_key=API_KEY)
    as_xml = GeoReport(f"{base}/open311/v2", api_key=API_KEY, output_format="xml")

    services_json = await asyncio.to_thread(as_json.get_service_list)
    services_xml = await asyncio.to_thread(as_xml.get_service_list)
    assert "drainase" in {service["service_code"] for service in services_json}
    assert [s["service_code"] for s in services_xml] == [s["service_code"] for s in services_json]
    assert [s["service_name"] for s in services_xml] == [s["service_name"] for s in services_json]
    definition_json = await asyncio.to_thread(as_json.get_service_definition, "drainase")
    definition_xml = await asyncio.to_thread(as_xml.get_service_definition, "drainase")
    assert definition_json["service_code"] == definition_xml["service_code"] == "drainase"

    posted_json = await asyncio.to_thread(_spec_post, base, "json")
    assert posted_json.status_code == 201, posted_json.text
    (receipt,) = posted_json.json()
    assert str(uuid.UUID(receipt["service_request_id"])) == receipt["service_request_id"] and receipt["token"]
    posted_xml = await asyncio.to_thread(_spec_post, base, "xml", first_name="Bayu", email="bayu@example.com")
    assert posted_xml.status_code == 201 and posted_xml.headers["content-type"].startswith("text/xml")
    xml_id = ET.fromstring(posted_xml.content).findtext("request/service_request_id")
    assert xml_id and uuid.UUID(xml_id) and xml_id != receipt["service_request_id"]

    for client in (as_json, as_xml):
        for request_id in (receipt["service_request_id"], xml_id):
            read = await asyncio.to_thread(client.get_service_request, request_id)
            assert read["service_request_id"] == request_id
            assert read["service_code"] == "drainase" and read["status"] == "open"
            assert read["address"] == "Jl. Margonda Raya 100, Depok"
            assert float(read["lat"]) == pytest.approx(DEPOK[0]) and float(read["long"]) == pytest.approx(DEPOK[1])
            assert read["media_url"] is None  # no live photo can come through Open311
            # What the reporter typed about themselves is never published.
            assert "Sekar" not in str(read) and "bayu@example.com" not in str(read)
        listed = await asyncio.to_thread(client.get_service_requests, service_code="drainase", status="open")
        listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one element is not a list
        assert {entry["service_request_id"] for entry in listed} == {receipt["service_request_id"], xml_id}


async def test_a_report_with_a_live_photo_links_its_public_photo_as_media_url(served):
    intake, base = served
    session = (await intake.client.post("/v1/capture-sessions")).json()
    photo = await intake.client.post(
        "/v1/photos",
        data={"capture_token": session["capture_token"]},
        files={"file": ("IMG_5512.jpg", camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC), gps=DEPOK), "image/jpeg")},
    )
    assert photo.status_code == 201, photo.text
    submitted = await intake.client.post(
        "/v1/complaints",
        json={
            "description": "Saluran drainase jebol di Jl. Tole Iskandar, air masuk ke rumah warga",
            "category": "drainase",
            "location": {"lat": DEPOK[0], "lon": DEPOK[1], "address": "Jl. Tole Iskandar"},
            "photos": [photo.json()["id"]],
        },
    )
    assert submitted.status_code == 201, submitted.text
    request_id = submitted.json()["id"]
    expected = f"{base}/v1/photos/{photo.json()['id']}/public"
    for fmt in ("json", "xml"):
        client = GeoReport(f"{base}/open311/v2", output_format=fmt)
        read = await asyncio.to_thread(client.get_service_request, request_id)
        assert read["media_url"] == expected
    media = await asyncio.to_thread(requests.get, expected, timeout=10)
    assert media.status_code == 200 and media.headers["content-type"] == "image/jpeg"
    assert jpeg_metadata_markers(media.content) == ["APP0:JFIF"]
    assert not Image.open(io.BytesIO(media.content)).getexif()
