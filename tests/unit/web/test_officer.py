"""How the officer's phone view words a task (distance, SLA countdown, heading, map links) and
that its pages are for field officers only, without the other services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient

from sigap_web.bootstrap import create_app
from sigap_web.i18n import Catalogues
from sigap_web.officer.api import TaskChange, already_applied
from sigap_web.officer.pages import distance_text, heading, maps_links, sla_text
from sigap_web.settings import WebSettings
from sigap_web.staff.auth import HOME

CATALOGUES = Catalogues()
ID, EN = CATALOGUES["id"], CATALOGUES["en"]
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_distances_read_in_metres_then_kilometres_with_the_local_decimal_mark() -> None:
    assert distance_text(None, ID) is None
    assert distance_text(4.2, ID) == "4 m dari Anda"
    assert distance_text(512.0, ID) == "510 m dari Anda"
    assert distance_text(2983.0, ID) == "3,0 km dari Anda"
    assert distance_text(12_340.0, EN) == "12.3 km from you"


def test_the_sla_countdown_says_time_left_overdue_paused_or_none() -> None:
    def task(due: datetime | None, state: str = "on_track") -> dict:
        return {"sla_due_at": due.isoformat() if due else None, "sla_state": state}

    assert sla_text(task(NOW + timedelta(days=2, hours=3, minutes=10)), ID, now=NOW) == "Tenggat: sisa 2 hari 3 jam"
    assert sla_text(task(NOW + timedelta(hours=5, minutes=7)), ID, now=NOW) == "Tenggat: sisa 5 jam 7 menit"
    assert sla_text(task(NOW - timedelta(minutes=42), "breached"), ID, now=NOW) == "Lewat tenggat 42 menit"
    assert sla_text(task(NOW - timedelta(days=1), "breached"), EN, now=NOW) == "Overdue by 1 d 0 h"
    assert sla_text(task(NOW + timedelta(days=1), "paused"), ID, now=NOW).startswith("Tenggat dijeda")
    assert sla_text(task(None, "none"), ID, now=NOW) == "Tidak ada tenggat berjalan"


def test_a_task_without_a_title_is_headed_by_its_description() -> None:
    assert heading({"title": "Lampu mati", "description": "x"}, ID) == "Lampu mati"
    long = "Lampu penerangan jalan mati total di depan masjid, gelap sekali malam hari dan rawan kejahatan"
    assert heading({"title": None, "description": long}, ID) == (
        "Lampu penerangan jalan mati total di depan masjid, gelap sekali malam…"
    )
    assert heading({"title": None, "description": None}, ID) == "Pengaduan tanpa judul"


def test_map_links_are_a_geo_uri_and_a_plain_https_page() -> None:
    links = maps_links({"lat": -6.3925, "lon": 106.8226, "tracking_code": "SGP-AB12-CD"})
    assert links == {
        "geo": "geo:-6.392500,106.822600?q=-6.392500,106.822600(SGP-AB12-CD)",
        "web": "https://www.openstreetmap.org/?mlat=-6.392500&mlon=106.822600#map=18/-6.392500/106.822600",
    }
    assert maps_links({"lat": None, "lon": None, "tracking_code": "SGP-AB12-CD"}) is None


def test_officers_land_on_their_tasks_and_the_pages_need_a_login() -> None:
    assert HOME["field_officer"] == "/tugas" and HOME["dept_admin"] == "/dasbor"
    settings = WebSettings(
        web_intake_url="http://127.0.0.1:9", web_routing_url="http://127.0.0.1:9",
        web_status_url="http://127.0.0.1:9", web_notify_url="http://127.0.0.1:9",
    )
    client = TestClient(create_app(settings), base_url="https://127.0.0.1:8080")
    for path in ("/tugas", "/tugas/daftar?lat=-6.39&lon=106.82", "/tugas/7b7d1c1e-2a43-4c5e-9a55-1d6f0a3e9f10"):
        response = client.get(path, follow_redirects=False, headers={"accept": "text/html"})
        assert response.status_code == 303 and response.headers["location"].startswith("/masuk?next=/tugas")


def test_a_refused_retry_counts_as_done_only_when_the_task_shows_exactly_that_change() -> None:
    photo, other = uuid4(), uuid4()
    finish = TaskChange(to="selesai", expected_version=4, resolution_note="Lampu diganti.", after_photo_ids=[photo])
    assert already_applied({"status": "selesai", "after_photo_ids": [str(photo)]}, finish)
    # Someone else's finish (another photo), or not finished: a real conflict.
    assert not already_applied({"status": "selesai", "after_photo_ids": [str(other)]}, finish)
    assert not already_applied({"status": "selesai", "after_photo_ids": [str(photo), str(other)]}, finish)
    assert not already_applied({"status": "dalam_proses", "after_photo_ids": []}, finish)
    start = TaskChange(to="dalam_proses", expected_version=3)
    assert already_applied({"status": "dalam_proses", "after_photo_ids": []}, start)
    assert not already_applied({"status": "terverifikasi", "after_photo_ids": []}, start)
    assert not already_applied({"status": "selesai", "after_photo_ids": [str(photo)]}, start)


def test_the_queue_api_answers_a_script_with_problems_never_a_login_page() -> None:
    settings = WebSettings(
        web_intake_url="http://127.0.0.1:9", web_routing_url="http://127.0.0.1:9",
        web_status_url="http://127.0.0.1:9", web_notify_url="http://127.0.0.1:9",
    )
    origin = "https://127.0.0.1:8080"
    client = TestClient(create_app(settings), base_url=origin)
    token = client.get("/api/csrf").json()["csrf_token"]
    path = f"/api/tugas/{uuid4()}/transitions"
    headers = {"X-CSRF-Token": token, "Origin": origin, "Idempotency-Key": str(uuid4())}
    # No session: 401 problem+json, so the device keeps the change for after the next login.
    response = client.post(path, json={"to": "dalam_proses", "expected_version": 1}, headers=headers,
                           follow_redirects=False)
    assert response.status_code == 401 and response.headers["content-type"].startswith("application/problem+json")
    assert "Masuk lagi" in response.json()["detail"]
    # No CSRF token: refused before anything else.
    refused = client.post(path, json={"to": "dalam_proses", "expected_version": 1},
                          headers={"Origin": origin}, follow_redirects=False)
    assert refused.status_code == 403
