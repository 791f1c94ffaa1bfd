"""Open311 GeoReport v2 in both formats against real PostgreSQL: discovery, services, service
definitions, posting with an api_key, listing with filters and the 90-day window, reading one
request and a token, and the specification's error format."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from sigap_intake.events import handlers
from sigap_intake.open311.router import router as open311_router
from sigap_shared.events import ComplaintStatusChanged, Envelope
from tests.integration.intake.conftest import running_intake

pytestmark = pytest.mark.integration

API_KEY = "open311-test-key-" + uuid.uuid4().hex


@pytest.fixture
async def intake311(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p", open311_api_keys=[API_KEY]) as intake:
        yield intake


def _post_form(**overrides) -> dict:
    form = {
        "api_key": API_KEY,
        "service_code": "jalan_rusak",
        "lat": "-6.3731",
        "long": "106.8190",
        "address_string": "Jl. Margonda Raya 358",
        "description": "Lubang besar di lajur kiri, sudah ada motor jatuh",
        "email": "open311.user@example.com",
        "first_name": "Rina",
    }
    form.update(overrides)
    return form


def _xml(response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml")
    return ET.fromstring(response.content)


async def test_discovery_and_services_in_both_formats(intake311):
    client = intake311.client
    discovery = (await client.get("/open311/v2/discovery.json")).json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(discovery["endpoints"][0]["formats"]) == {"text/xml", "application/json"}
    root = _xml(await client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]

    services = (await client.get("/open311/v2/services.json")).json()
    codes = {service["service_code"] for service in services}
    assert {"jalan_rusak", "lampu_jalan", "sampah"} <= codes
    assert all(service["type"] == "realtime" and service["metadata"] is False for service in services)
    root = _xml(await client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    assert {s.findtext("service_code") for s in root.findall("service")} == codes
    assert root.find("service/metadata").text == "false"

    definition = (await client.get("/open311/v2/services/jalan_rusak.json")).json()
    assert definition == {"service_code": "jalan_rusak", "attributes": []}
    assert _xml(await client.get("/open311/v2/services/jalan_rusak.xml")).tag == "service_definition"
    missing = await client.get("/open311/v2/services/nope.xml")
    assert missing.status_code == 404
    error = _xml(missing)
    assert error.tag == "errors" and error.findtext("error/code") == "404"


async def test_post_needs_a_valid_api_key_and_valid_fields(intake311):
    client = intake311.client
    for form, status in (
        (_post_form(api_key=""), 403),
        (_post_form(api_key="wrong"), 403),
        (_post_form(service_code="tidak_ada"), 400),
        (_post_form(lat="", long="", address_string=""), 400),
        (_post_form(description="pendek"), 400),
        (_post_form(email="not-an-email"), 400),
    ):
        response = await client.post("/open311/v2/requests.json", data=form)
        assert response.status_code == status, (form, response.text)
        body = response.json()
        assert body[0]["code"] == status and body[0]["description"]
    xml_error = await client.post("/open311/v2/requests.xml", data=_post_form(api_key="wrong"))
    assert xml_error.status_code == 403 and _xml(xml_error).findtext("error/description")
    assert await intake311.pool.fetchval("SELECT count(*) FROM complaints") == 0


async def test_post_list_and_read_requests_in_both_formats(intake311):
    client = intake311.client
    posted = await client.post("/open311/v2/requests.json", data=_post_form())
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]
    token = posted.json()[0]["token"]
    # The id is the complaint's; its tracking code goes to the poster (the reporter's app) only.
    tracking_code = posted.json()[0]["tracking_code"]
    assert str(uuid.UUID(request_id)) == request_id and tracking_code.startswith("SGP-")
    posted_xml = await client.post("/open311/v2/requests.xml", data=_post_form(service_code="sampah", email=""))
    assert posted_xml.status_code == 201
    second_id = _xml(posted_xml).findtext("request/service_request_id")

    # A confidential report made in the app is never listed.
    private = await client.post(
        "/v1/complaints",
        json={"description": "Pungli di parkiran pasar, mohon dirahasiakan", "location": {"address": "Pasar Depok Jaya"},
              "privacy": "rahasia", "reporter": {"email": "x@example.com"}},
    )
    assert private.status_code == 201

    listed = (await client.get("/open311/v2/requests.json")).json()
    assert {r["service_request_id"] for r in listed} == {request_id, second_id}
    one = next(r for r in listed if r["service_request_id"] == request_id)
    assert one["status"] == "open" and one["service_code"] == "jalan_rusak"
    assert one["lat"] == pytest.approx(-6.3731) and one["long"] == pytest.approx(106.819)
    assert one["requested_datetime"].endswith("Z")
    assert "open311.user@example.com" not in str(listed) and "Rina" not in str(listed)
    # Tracking codes, with the token the reporter's key, are handed to nobody else.
    codes = [row["tracking_code"] for row in await intake311.pool.fetch("SELECT tracking_code FROM complaints")]
    listed_xml = (await client.get("/open311/v2/requests.xml")).text
    assert not any(code in str(listed) or code in listed_xml for code in codes)

    filtered = (await client.get("/open311/v2/requests.json", params={"service_code": "sampah"})).json()
    assert [r["service_request_id"] for r in filtered] == [second_id]
    by_id = (await client.get("/open311/v2/requests.json", params={"service_request_id": f"{request_id},{second_id}"})).json()
    assert len(by_id) == 2
    root = _xml(await client.get("/open311/v2/requests.xml"))
    assert root.tag == "service_requests" and len(root.findall("request")) == 2

    # Resolved by staff: closed, with the resolution note as status_notes.
    async with intake311.pool.acquire() as conn, conn.transaction():
        await handlers.on_status_changes(conn=conn, envelopes=[Envelope(source="sigap/test", data=ComplaintStatusChanged(
            complaint_id=uuid.UUID(request_id), tracking_code=tracking_code, department="DPUPR", status="selesai",
            actor="officer:1", resolution_note="Lubang sudah ditambal", changed_at=datetime.now(UTC),
        ))])
    single = (await client.get(f"/open311/v2/requests/{request_id}.json")).json()
    assert single[0]["status"] == "closed" and single[0]["status_notes"] == "Lubang sudah ditambal"
    assert tracking_code not in str(single)
    assert single[0]["agency_responsible"] == "DPUPR"
    single_xml = _xml(await client.get(f"/open311/v2/requests/{request_id}.xml"))
    assert single_xml.findtext("request/status") == "closed"
    closed = (await client.get("/open311/v2/requests.json", params={"status": "closed"})).json()
    assert [r["service_request_id"] for r in closed] == [request_id]
    opened = (await client.get("/open311/v2/requests.json", params={"status": "open"})).json()
    assert [r["service_request_id"] for r in opened] == [second_id]

    assert (await client.get(f"/open311/v2/tokens/{token}.json")).json() == [
        {"service_request_id": request_id, "token": token}
    ]
    assert _xml(await client.get(f"/open311/v2/tokens/{token}.xml")).findtext("request/service_request_id") == request_id
    assert (await client.get("/open311/v2/tokens/unknown.json")).status_code == 404
    assert (await client.get("/open311/v2/requests/SGP-ZZZZ-ZZ.json")).status_code == 404
    assert (await client.get(f"/open311/v2/requests/{tracking_code}.json")).status_code == 404
    assert (await client.get(f"/open311/v2/requests/{uuid.uuid4()}.json")).status_code == 404


async def test_date_window_and_bad_parameters(intake311):
    client = intake311.client
    await client.post("/open311/v2/requests.json", data=_post_form())
    now = datetime.now(UTC)
    past = {"start_date": (now - timedelta(days=60)).isoformat(), "end_date": (now - timedelta(days=30)).isoformat()}
    assert (await client.get("/open311/v2/requests.json", params=past)).json() == []
    too_wide = {"start_date": (now - timedelta(days=120)).isoformat(), "end_date": now.isoformat()}
    for params in (too_wide, {"start_date": "kemarin"}, {"status": "pending"}):
        response = await client.get("/open311/v2/requests.json", params=params)
        assert response.status_code == 400, params
        assert response.json()[0]["code"] == 400
    bad_format = await client.get("/open311/v2/services.yaml")
    assert bad_format.status_code == 400 and bad_format.json()[0]["code"] == 400


async def test_public_report_kept_out_of_listings_on_request(intake311):
    hidden = await intake311.client.post(
        "/v1/complaints",
        json={"description": "Genangan air di depan rumah saya, Jl. Kenari 5", "location": {"lat": -6.4, "lon": 106.8},
              "privacy": "publik", "publicly_visible": False},
    )
    assert hidden.status_code == 201
    receipt = hidden.json()
    assert (await intake311.client.get("/open311/v2/requests.json")).json() == []
    assert (await intake311.client.get(f"/open311/v2/requests/{receipt['id']}.json")).status_code == 404
    assert (await intake311.client.get(f"/v1/track/{receipt['tracking_code']}")).status_code == 404
    own = await intake311.client.get(
        f"/v1/track/{receipt['tracking_code']}", headers={"X-Follow-Up-Token": receipt["follow_up_token"]}
    )
    assert own.status_code == 200


async def test_media_url_uses_the_configured_public_base_url(infra, databases, tmp_path):
    from tests.unit.intake.images import camera_photo

    async with running_intake(
        infra, databases, tmp_path / "b", open311_api_keys=[API_KEY], public_base_url="https://sigap.depok.go.id/"
    ) as intake:
        session = (await intake.client.post("/v1/capture-sessions")).json()
        photo = await intake.client.post(
            "/v1/photos",
            data={"capture_token": session["capture_token"]},
            files={"file": ("a.jpg", camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC)), "image/jpeg")},
        )
        receipt = await intake.client.post(
            "/v1/complaints",
            json={
                "description": "Pedagang kaki lima menutup trotoar di depan ITC Depok",
                "category": "pedagang_kaki_lima",
                "location": {"address": "Jl. Margonda Raya, depan ITC Depok"},
                "photos": [photo.json()["id"]],
            },
        )
        request_id = receipt.json()["id"]
        (read,) = (await intake.client.get(f"/open311/v2/requests/{request_id}.json")).json()
        assert read["media_url"] == f"https://sigap.depok.go.id/v1/photos/{photo.json()['id']}/public"
        xml = _xml(await intake.client.get(f"/open311/v2/requests/{request_id}.xml"))
        assert xml.findtext("request/media_url") == read["media_url"]


async def test_discovery_lists_the_endpoint_so_that_appending_a_resource_works(intake311):
    """Clients build resource URLs as `<endpoint url>/services.xml`: the listed URL has no
    trailing slash, and a client that joins one anyway (`…/v2//services.xml`) is answered too."""
    client = intake311.client
    for fmt in ("json", "xml"):
        response = await client.get(f"/open311/v2/discovery.{fmt}")
        url = (
            response.json()["endpoints"][0]["url"]
            if fmt == "json"
            else _xml(response).findtext("endpoints/endpoint/url")
        )
        assert url == "http://intake/open311/v2", url
        services = await client.get(url + "/services.xml")
        assert services.status_code == 200 and _xml(services).tag == "services"
    doubled = await client.get("/open311/v2//services.json")
    assert doubled.status_code == 200, doubled.text
    assert {"jalan_rusak", "sampah"} <= {service["service_code"] for service in doubled.json()}
    definition = await client.get("/open311/v2//services/jalan_rusak.xml")
    assert definition.status_code == 200 and _xml(definition).tag == "service_definition"
    posted = await client.post("/open311/v2//requests.json", data=_post_form())
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]
    read = await client.get(f"/open311/v2//requests/{request_id}.json")
    assert read.status_code == 200 and read.json()[0]["service_request_id"] == request_id
    # The doubled paths answer but are not documented twice.
    documented = [route.path for route in open311_router.routes if route.include_in_schema]
    assert documented and not any("//" in path for path in documented), documented
