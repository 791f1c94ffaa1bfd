"""The data protection officer's pages without the other services: the deadline in hours, the
words a refusal and a counter request are recorded with, where a dpo lands, who may open the
pages, and the pages rendered from status's answers (a stand-in status over HTTP)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from sigap_web.bootstrap import create_app
from sigap_web.clients import Upstreams
from sigap_web.i18n import Catalogues
from sigap_web.privacy import rules
from sigap_web.session import SESSION_COOKIE, StaffSession
from sigap_web.settings import WebSettings
from sigap_web.staff.auth import HOME, _safe_next

CATALOGUES = Catalogues()
ID, EN = CATALOGUES["id"], CATALOGUES["en"]
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
ORIGIN = "https://127.0.0.1:8080"
REQUEST_ID = str(uuid.uuid4())
COMPLAINT_ID = str(uuid.uuid4())


def test_the_deadline_is_counted_in_hours_left_or_late() -> None:
    left = rules.deadline(ID, (NOW + timedelta(hours=71, minutes=59)).isoformat(), now=NOW)
    assert left == {"text": "Sisa 71 jam", "tone": "ok", "overdue": False, "hours": 71}
    assert rules.deadline(EN, (NOW + timedelta(hours=5)).isoformat(), now=NOW)["tone"] == "soon"
    late = rules.deadline(ID, (NOW - timedelta(minutes=10)).isoformat(), now=NOW)
    assert late["overdue"] and late["text"] == "Terlambat 1 jam" and late["tone"] == "late"
    assert rules.deadline(ID, (NOW - timedelta(hours=3)).isoformat(), now=NOW, open_=False)["tone"] == "closed"


def test_a_refusal_names_its_legal_basis_before_the_reason() -> None:
    reason = "Laporan masih menjadi bukti penanganan."
    assert rules.refusal_reason(ID, basis="art15", reason=reason).startswith("Ditolak berdasarkan Pasal 15")
    assert rules.refusal_reason(ID, basis="art33", reason=reason).endswith(reason)
    assert "Pasal 33" in rules.refusal_reason(ID, basis="art33", reason=reason)
    assert rules.refusal_reason(ID, basis="other", reason=f"  {reason} ") == reason


def test_a_counter_request_says_how_it_came_and_how_the_identity_was_checked() -> None:
    note = rules.counter_note(ID, channel="letter", verification="signed_letter", note="Surat no. 12/2026")
    assert note == (
        "Saluran: Surat. Identitas diperiksa: Surat bertanda tangan dengan salinan KTP. Surat no. 12/2026"
    )
    assert rules.action_words(EN, "request_received:access") == "Request received: Access"
    assert rules.action_words(ID, "export_prepared") == "Ekspor data disiapkan"
    assert rules.action_words(ID, "something_new") == "something_new"


def test_a_dpo_lands_on_the_requests() -> None:
    assert HOME["dpo"] == "/pelindungan-data"
    assert _safe_next(None, "dpo") == "/pelindungan-data"


class FakeStatus:
    """Status's `/v1/privacy` answers for one open access request (and what was posted)."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, dict]] = []
        self.exports_taken = 0
        due = datetime.now(UTC) - timedelta(hours=1, minutes=30)
        self.request = {
            "id": REQUEST_ID, "complaint_id": COMPLAINT_ID, "kind": "access", "proof": "follow_up_token",
            "received_at": (due - timedelta(hours=72)).isoformat(), "due_at": due.isoformat(), "overdue": True,
            "state": "open", "answer_reason": None, "answered_at": None, "export": None, "verified_by": None,
            "answered_by": None, "details": None,
        }  # fmt: skip

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST":
            self.posted.append((path, json.loads(request.content)))
            if path.endswith("/answer") and json.loads(request.content)["decision"] == "answered":
                self.request |= {"state": "answered", "answer_reason": "Terlampir.", "export": {"identity": {"name": "Sari"}}}
            return httpx.Response(200, json=self.request)
        # As status answers: the export only when asked for (intake audits each delivery).
        listed = self.request | {"has_export": self.request["export"] is not None, "export": None}
        if path == "/v1/privacy/requests":
            state = request.url.params["state"]
            return httpx.Response(200, json=[listed] if self.request["state"] == state else [])
        if path == f"/v1/privacy/requests/{REQUEST_ID}":
            if request.url.params.get("export") == "true" and self.request["export"] is not None:
                self.exports_taken += 1
                return httpx.Response(200, json=listed | {"export": self.request["export"]})
            return httpx.Response(200, json=listed)
        if path == "/v1/privacy/audit":
            return httpx.Response(200, json=[{
                "id": str(uuid.uuid4()), "complaint_id": COMPLAINT_ID, "request_id": REQUEST_ID,
                "action": "request_received:access", "actor": "pelapor", "actor_role": "reporter", "reason": None,
                "at": self.request["received_at"],
            }])  # fmt: skip
        return httpx.Response(404, json={"title": "Tidak ditemukan", "detail": "Permintaan data pribadi tidak ditemukan."})


@pytest.fixture
def status() -> FakeStatus:
    return FakeStatus()


def _client(status: FakeStatus, role: str) -> TestClient:
    settings = WebSettings(
        web_intake_url="http://127.0.0.1:9", web_routing_url="http://127.0.0.1:9",
        web_status_url="http://status.test", web_notify_url="http://127.0.0.1:9",
    )  # fmt: skip
    app = create_app(settings, upstreams=Upstreams.from_settings(settings, transport=httpx.MockTransport(status)))
    client = TestClient(app, base_url=ORIGIN, headers={"accept": "text/html", "origin": ORIGIN})
    session = StaffSession(
        sid=uuid.uuid4().hex, username=f"{role}.kota", role=role, department=None, access_token="access",
        access_expires_at=time.time() + 900, refresh_token="refresh",
    )  # fmt: skip
    client.cookies.set(SESSION_COOKIE, app.state.web.sealer.seal(session))
    return client


def _csrf(html: str) -> str:
    return html.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def test_the_pages_need_a_login_and_the_right_role(status) -> None:
    anonymous = TestClient(_client(status, "dpo").app, base_url=ORIGIN)
    response = anonymous.get("/pelindungan-data", follow_redirects=False, headers={"accept": "text/html"})
    assert response.status_code == 303 and response.headers["location"] == "/masuk?next=/pelindungan-data"
    for role in ("dept_admin", "field_officer", "auditor"):
        forbidden = _client(status, role).get("/pelindungan-data")
        assert forbidden.status_code == 403 and "Tidak diizinkan" in forbidden.text, role
    # The city admin reads but never answers nor downloads an export.
    city = _client(status, "city_admin")
    page = city.get(f"/pelindungan-data/{REQUEST_ID}")
    assert page.status_code == 200 and 'id="dpo-only"' in page.text and "/jawab" not in page.text
    assert f'href="/dasbor/pengaduan/{COMPLAINT_ID}"' in page.text
    assert city.get(f"/pelindungan-data/{REQUEST_ID}/ekspor.json").status_code == 403
    posted = city.post(
        f"/pelindungan-data/{REQUEST_ID}/jawab", data={"decision": "answered", "reason": "Terlampir.", "csrf_token": _csrf(page.text)}
    )
    assert posted.status_code == 403 and status.posted == []


def test_the_queue_marks_an_overdue_request_and_the_dpo_grants_it(status) -> None:
    dpo = _client(status, "dpo")
    queue = dpo.get("/pelindungan-data")
    assert queue.status_code == 200 and queue.headers["cache-control"] == "no-store"
    assert 'class="overdue"' in queue.text and "Terlambat 2 jam" in queue.text
    page = dpo.get(f"/pelindungan-data/{REQUEST_ID}")
    assert page.status_code == 200 and "Kabulkan permintaan" in page.text and "complaint-link" not in page.text
    assert dpo.get(f"/pelindungan-data/{REQUEST_ID}/ekspor.json").status_code == 404
    token = _csrf(page.text)

    short = dpo.post(
        f"/pelindungan-data/{REQUEST_ID}/jawab", data={"decision": "refused", "basis": "art15", "reason": "Tidak", "csrf_token": token}
    )
    assert short.status_code == 422 and "minimal 10 karakter" in short.text and status.posted == []
    no_csrf = dpo.post(f"/pelindungan-data/{REQUEST_ID}/jawab", data={"decision": "answered", "reason": "Terlampir."})
    assert no_csrf.status_code == 403 and status.posted == []

    granted = dpo.post(
        f"/pelindungan-data/{REQUEST_ID}/jawab", data={"decision": "answered", "reason": "Terlampir.", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert granted.status_code == 303 and status.posted == [
        (f"/v1/privacy/requests/{REQUEST_ID}/answer", {"decision": "answered", "reason": "Terlampir."})
    ]
    assert status.exports_taken == 0
    exported = dpo.get(f"/pelindungan-data/{REQUEST_ID}/ekspor.json")
    assert exported.status_code == 200 and exported.json() == {"identity": {"name": "Sari"}}
    assert status.exports_taken == 1  # only the download takes it, never the pages
    assert exported.headers["content-disposition"].startswith("attachment;")
    assert exported.headers["cache-control"] == "no-store"
    closed = dpo.get("/pelindungan-data?tab=selesai")
    assert "Dikabulkan" in closed.text
    english = dpo.get(f"/pelindungan-data/{REQUEST_ID}?lang=en")
    assert "Access request" in english.text and "Download JSON export" in english.text
    assert status.exports_taken == 1
    assert dpo.get(f"/pelindungan-data/{uuid.uuid4()}").status_code == 404
    assert dpo.get("/pelindungan-data/bukan-id").status_code in (404, 422)


def test_the_counter_form_records_a_checked_request(status) -> None:
    dpo = _client(status, "dpo")
    form = dpo.get("/pelindungan-data/catat")
    assert form.status_code == 200
    token = _csrf(form.text)
    unchosen = dpo.post("/pelindungan-data/catat", data={"tracking_code": "SGP-AB12-CD", "kind": "access", "csrf_token": token})
    assert unchosen.status_code == 422 and status.posted == []
    recorded = dpo.post(
        "/pelindungan-data/catat",
        data={"tracking_code": "sgp-ab12-cd", "kind": "deletion", "channel": "walk_in", "verification": "ktp_in_person",
              "note": "Datang sendiri", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert recorded.status_code == 303 and recorded.headers["location"] == f"/pelindungan-data/{REQUEST_ID}"
    assert status.posted == [("/v1/privacy/requests", {
        "tracking_code": "SGP-AB12-CD", "kind": "deletion",
        "details": "Saluran: Datang ke loket. Identitas diperiksa: KTP dicocokkan langsung. Datang sendiri",
    })]  # fmt: skip


CODE, TOKEN = "SGP-AB12-CD", "token-pelapor-1"


class FakeIntake:
    """Intake's tracking view and the reporter's personal-data requests, with routing's
    department names and status's LAPOR! stage, for the tracking page."""

    def __init__(self) -> None:
        self.asked: list[dict] = []
        self.requests_fail = False
        self.export_deliveries = 0
        now = datetime.now(UTC)
        self.requests = [{
            "id": REQUEST_ID, "complaint_id": COMPLAINT_ID, "kind": "access", "proof": "follow_up_token",
            "received_at": (now - timedelta(days=1)).isoformat(), "due_at": (now + timedelta(days=2)).isoformat(),
            "overdue": False, "state": "answered", "answer_reason": "Data Anda terlampir.",
            "answered_at": now.isoformat(), "export": {"identity": {"name": "Sari"}},
        }]  # fmt: skip

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.url.host == "routing.test":
            return httpx.Response(200, json=[{"code": "DISHUB", "name": "Dinas Perhubungan"}])
        if request.url.host == "status.test":
            return httpx.Response(404, json={})
        if path == f"/v1/track/{CODE}":
            return httpx.Response(200, json={
                "tracking_code": CODE, "status": "diterima", "department": "DISHUB", "description": "Lampu mati",
                "submitted_at": datetime.now(UTC).isoformat(), "timeline": [], "resolution_note": None, "rating": None,
            })  # fmt: skip
        if path == f"/v1/track/{CODE}/privacy-requests":
            if request.headers.get("x-follow-up-token") != TOKEN:
                return httpx.Response(404, json={"detail": "Laporan tidak ditemukan."})
            if request.method == "POST":
                body = json.loads(request.content)
                self.asked.append(body)
                if body["kind"] == "correction" and not body.get("details"):
                    return httpx.Response(422, json={"detail": "Sebutkan data yang benar.", "errors": []})
                return httpx.Response(201, json={"request_id": str(uuid.uuid4()), "message": "Permintaan Anda diterima."})
            if self.requests_fail:
                return httpx.Response(503)
            # As intake answers: an export only when asked for (each delivery is audited there).
            exports = request.url.params.get("exports", "true") == "true"
            self.export_deliveries += exports
            return httpx.Response(200, json=[
                asked | {"has_export": asked.get("export") is not None, "export": asked.get("export") if exports else None}
                for asked in self.requests
            ])  # fmt: skip
        return httpx.Response(404, json={})


def _citizen(intake: FakeIntake) -> TestClient:
    settings = WebSettings(
        web_intake_url="http://intake.test", web_routing_url="http://routing.test",
        web_status_url="http://status.test", web_notify_url="http://127.0.0.1:9",
    )  # fmt: skip
    app = create_app(settings, upstreams=Upstreams.from_settings(settings, transport=httpx.MockTransport(intake)))
    return TestClient(app, base_url=ORIGIN, headers={"accept": "text/html", "origin": ORIGIN})


def test_the_reporter_asks_about_their_data_and_downloads_the_export() -> None:
    intake = FakeIntake()
    citizen = _citizen(intake)
    token = _csrf(citizen.get("/lacak").text)
    form = {"code": CODE, "token": TOKEN, "csrf_token": token}
    page = citizen.post("/lacak", data=form)
    assert page.status_code == 200 and "Data pribadi Anda" in page.text
    assert f'id="privacy-{REQUEST_ID}"' in page.text and "Dikabulkan" in page.text and "Data Anda terlampir." in page.text
    # The page offers the download but does not fetch the export (intake audits each delivery).
    assert "/lacak/data-pribadi/ekspor" in page.text and "Sari" not in page.text
    assert intake.export_deliveries == 0
    # Without the token the section is not there at all.
    assert "Data pribadi Anda" not in citizen.post("/lacak", data=form | {"token": ""}).text

    asked = citizen.post("/lacak/data-pribadi", data=form | {"kind": "deletion"})
    assert asked.status_code == 200 and "Permintaan Anda diterima." in asked.text
    assert intake.asked == [{"kind": "deletion"}]
    unknown = citizen.post("/lacak/data-pribadi", data=form | {"kind": "semua"})
    assert unknown.status_code == 422 and "pilih jenis permintaan" in unknown.text and len(intake.asked) == 1
    refused = citizen.post("/lacak/data-pribadi", data=form | {"kind": "correction"})
    assert refused.status_code == 422 and "Sebutkan data yang benar." in refused.text

    exported = citizen.post("/lacak/data-pribadi/ekspor", data=form | {"request_id": REQUEST_ID})
    assert exported.status_code == 200 and exported.json() == {"identity": {"name": "Sari"}}
    assert intake.export_deliveries == 1
    assert exported.headers["cache-control"] == "no-store"
    assert exported.headers["content-disposition"] == f'attachment; filename="sigap-data-pribadi-{CODE}.json"'
    missing = citizen.post("/lacak/data-pribadi/ekspor", data=form | {"request_id": str(uuid.uuid4())})
    assert missing.status_code == 404 and "Ekspor data ini tidak ditemukan." in missing.text
    wrong = citizen.post("/lacak/data-pribadi/ekspor", data=form | {"token": "salah", "request_id": REQUEST_ID})
    assert wrong.status_code == 404 and "Sari" not in wrong.text

    # Intake unable to list the requests: the page still shows the report.
    intake.requests_fail = True
    degraded = citizen.post("/lacak", data=form)
    assert degraded.status_code == 200 and "tidak dapat ditampilkan saat ini" in degraded.text
