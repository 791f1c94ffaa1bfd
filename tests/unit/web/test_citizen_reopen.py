"""The tracking page follows SP4N-LAPOR!'s reopen window without the other services (a stand-in
intake, status and routing over HTTP): while the reporter may object, the reopen form says until
when (the earlier of intake's bound and status's closing date); once the auto-close has closed
the complaint, there is no form but why it closed and what to do now; the auto-close's timeline
entry is named as such instead of repeating the follow-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi.testclient import TestClient

from sigap_web.bootstrap import create_app
from sigap_web.citizen.pages import when
from sigap_web.clients import Upstreams
from sigap_web.settings import WebSettings

ORIGIN = "https://127.0.0.1:8080"
CODE, TOKEN = "SGP-RE0P-3N", "token-pelapor-2"
NOW = datetime.now(UTC).replace(microsecond=0)
FOLLOWED_UP = NOW - timedelta(days=2)
RESOLUTION = "Lampu sudah diganti dengan yang baru"


class FakeServices:
    """Intake's tracking view of a finished complaint and status's LAPOR! stage for it."""

    def __init__(self, *, intake: dict, lapor: dict | None) -> None:
        self.intake, self.lapor = intake, lapor

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.host == "routing.test":
            return httpx.Response(200, json=[{"code": "DISHUB", "name": "Dinas Perhubungan"}])
        if request.url.host == "status.test":
            if path == f"/v1/track/{CODE}/lapor-stage" and self.lapor is not None:
                return httpx.Response(200, json={"tracking_code": CODE, **self.lapor})
            return httpx.Response(404, json={})
        if path == f"/v1/track/{CODE}":
            return httpx.Response(200, json=self.intake)
        if path == f"/v1/track/{CODE}/privacy-requests":
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={})


def _finished(**fields) -> dict:
    timeline = [
        {"event_type": "sigap.complaint.status_changed.v1", "status": "selesai", "department": "DISHUB",
         "note": RESOLUTION, "occurred_at": FOLLOWED_UP.isoformat()},
    ]  # fmt: skip
    return {
        "tracking_code": CODE, "kind": "pengaduan", "status": "selesai", "department": "DISHUB",
        "description": "Lampu mati", "submitted_at": (FOLLOWED_UP - timedelta(days=3)).isoformat(),
        "status_changed_at": FOLLOWED_UP.isoformat(), "resolution_note": RESOLUTION, "rating": None,
        "timeline": timeline, "can_reopen": True, "reopen_until": (FOLLOWED_UP + timedelta(days=30)).isoformat(),
        "lapor_closed_at": None, **fields,
    }  # fmt: skip


def _page(services: FakeServices, *, token: str = TOKEN, lang: str = "id") -> httpx.Response:
    settings = WebSettings(
        web_intake_url="http://intake.test", web_routing_url="http://routing.test",
        web_status_url="http://status.test", web_notify_url="http://127.0.0.1:9",
    )  # fmt: skip
    app = create_app(settings, upstreams=Upstreams.from_settings(settings, transport=httpx.MockTransport(services)))
    citizen = TestClient(app, base_url=ORIGIN, headers={"accept": "text/html", "origin": ORIGIN})
    form_page = citizen.get(f"/lacak?lang={lang}")
    csrf = form_page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    page = citizen.post(f"/lacak?lang={lang}", data={"code": CODE, "token": token, "csrf_token": csrf})
    assert page.status_code == 200, page.text
    return page


def test_while_the_reporter_may_object_the_form_says_until_when_lapor_closes_it() -> None:
    closes = FOLLOWED_UP + timedelta(days=14)
    lapor = {"lapor_stage": "menunggu_tanggapan", "lapor_stage_due_at": closes.isoformat()}
    page = _page(FakeServices(intake=_finished(), lapor=lapor)).text
    assert 'action="/lacak/reopen"' in page
    # The earlier of status's closing date and intake's calendar-day bound.
    assert f"Anda dapat mengajukan keberatan atau membuka kembali laporan ini sampai {when(closes)}." in page
    assert 'id="closed-automatically"' not in page
    # Without status's stage, intake's bound is the date given.
    bound = when(FOLLOWED_UP + timedelta(days=30))
    assert f"sampai {bound}." in _page(FakeServices(intake=_finished(), lapor=None)).text
    english = _page(FakeServices(intake=_finished(), lapor=lapor), lang="en").text
    assert f"You may object or ask to reopen this report until {when(closes)}." in english
    # Anyone without the token reads the report but gets no form.
    assert 'action="/lacak/reopen"' not in _page(FakeServices(intake=_finished(), lapor=lapor), token="").text


def test_after_the_auto_close_there_is_no_form_but_why_and_what_to_do_now() -> None:
    closed_at = FOLLOWED_UP + timedelta(days=14)
    auto_close = {
        "event_type": "sigap.complaint.status_changed.v1", "status": "selesai", "department": "DISHUB",
        "note": "Ditutup otomatis (SP4N-LAPOR!): tidak ada tanggapan.", "occurred_at": closed_at.isoformat(),
    }  # fmt: skip
    intake = _finished(can_reopen=False, reopen_until=None, lapor_closed_at=closed_at.isoformat())
    intake["timeline"].append(auto_close)
    # Status says how many quiet working days close a complaint (SIGAP_LAPOR_CLOSE_DAYS): the page says that.
    closed = {"lapor_stage": "ditutup", "lapor_stage_due_at": None, "close_days": 7}
    page = _page(FakeServices(intake=intake, lapor=closed)).text
    assert 'action="/lacak/reopen"' not in page and "membuka kembali laporan ini sampai" not in page
    assert "ditutup otomatis karena tidak ada tanggapan dalam 7 hari kerja setelah tindak lanjut dinas" in page
    assert f"Ditutup pada {when(closed_at)}." in page
    assert f"kirim laporan baru dan sebutkan kode {CODE}" in page and 'href="/lapor"' in page
    assert "Tahap SP4N-LAPOR!: Selesai dan ditutup" in page
    # The timeline names the auto-close; the follow-up's note shows once, with the follow-up.
    assert "Laporan ditutup otomatis (SP4N-LAPOR!)" in page
    assert page.count(f"<q>{RESOLUTION}</q>") == 1
    english = _page(FakeServices(intake=intake, lapor=closed), lang="en").text
    assert "closed automatically because there was no response within 7 working days" in english
    # Without status, the page names no number rather than one that may be wrong.
    unsure = _page(FakeServices(intake=intake, lapor=None), lang="en").text
    assert "no response within the response period after the department" in unsure
    assert "working days after the department" not in unsure
    assert 'action="/lacak/reopen"' not in unsure


def test_status_closing_first_already_hides_the_form() -> None:
    """Status's stage says closed before its event reached intake: a reopen would be refused."""
    page = _page(FakeServices(intake=_finished(), lapor={"lapor_stage": "ditutup", "lapor_stage_due_at": None})).text
    assert 'action="/lacak/reopen"' not in page and 'id="closed-automatically"' in page
    assert "Ditutup pada" not in page


def test_past_the_calendar_bound_the_page_says_the_time_has_passed() -> None:
    bound = NOW - timedelta(days=1)
    intake = _finished(can_reopen=False, reopen_until=bound.isoformat())
    page = _page(FakeServices(intake=intake, lapor=None)).text
    assert 'action="/lacak/reopen"' not in page
    assert f"Batas waktu untuk membuka kembali laporan ini sudah lewat ({when(bound)})" in page
