"""The department dashboard in real headless Chromium and through the web service's own
routes, against the running system (four services and the web service as processes, real
Kafka and PostgreSQL): the queue with its filters, live updates from notify's stream, a
complaint's page, every staff action, and isolation between departments."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.support.browser import PHONE, assert_accessible, assert_no_page_errors, chromium, screenshot
from tests.support.complaints import lamp_complaint, place
from tests.support.kafka import eventually
from tests.support.web_pages import WebClient, arrived, csrf_of, new_staff, signed_in, submit
from tests.e2e.conftest import REUSE_FLAGGED_CATEGORIES
from tests.unit.intake.images import camera_photo, jpeg, resized_recompressed, scene

pytestmark = pytest.mark.e2e
TIMEOUT_MS = 30_000


def _lamp(tag: str) -> dict:
    return lamp_complaint(
        title=f"Lampu jalan mati {tag}",
        description=f"Lampu PJU di Jl. Nusantara Raya mati semua sejak tiga hari, gelap sekali ({tag})",
        location=place(-6.3925, 106.8226, "Jl. Nusantara Raya"),
        reporter={"name": "Siti Aminah", "email": "siti@example.com"},
    )


def _road(tag: str) -> dict:
    """A confidential report of a pothole on Jl. Margonda Raya."""
    road = {"category": "jalan_rusak", "location": place(-6.3731, 106.8319, "Jl. Margonda Raya"), "privacy": "rahasia"}
    return lamp_complaint(
        title=f"Jalan berlubang {tag}",
        description=f"Jalan berlubang besar dan aspal rusak parah di Jl. Margonda, motor sering jatuh ({tag})",
        reporter={"name": "Budi Rahasia", "phone": "0812-3333-4444"},
        **road,
    )


async def _photo(sigap, data: bytes, *, category: str = "lampu_jalan") -> str:
    """A photo uploaded through a capture session, as the citizen app sends it; its id."""
    async with httpx.AsyncClient(base_url=sigap.url("intake"), timeout=20) as client:
        session = await client.post("/v1/capture-sessions")
        assert session.status_code == 201, session.text
        upload = await client.post(
            "/v1/photos",
            data={"capture_token": session.json()["capture_token"], "category": category},
            files={"file": ("IMG_0001.jpg", data, "image/jpeg")},
        )
    assert upload.status_code == 201, upload.text
    return upload.json()["id"]


def _live_photo() -> bytes:
    return camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC))


async def _submit(sigap, complaint: dict, *, photos: tuple[bytes, ...] = (), category: str = "lampu_jalan") -> dict:
    if photos:
        complaint = {**complaint, "photos": [await _photo(sigap, data, category=category) for data in photos]}
    return await submit(sigap, complaint)


@pytest.fixture
async def web(sigap):
    client = WebClient(sigap)
    yield client
    await client.aclose()


@pytest.mark.browser
async def test_a_new_complaint_appears_live_in_the_department_queue(sigap, sigap_web, infra, staff):
    admin = new_staff(sigap, infra, "dept_admin", "DISHUB")
    officer = new_staff(sigap, infra, "field_officer", "DISHUB")
    tag = uuid.uuid4().hex[:6]
    async with chromium() as browser:
        context, page = await signed_in(browser, sigap_web, "/dasbor", admin)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Antrean pengaduan")
        await expect(page.locator("#live-status")).to_have_text("Antrean diperbarui langsung.", timeout=TIMEOUT_MS)
        await page.evaluate("window.notReloaded = true")

        receipt = await _submit(sigap, _lamp(tag), photos=(_live_photo(), jpeg(scene(uuid.uuid4().int % 10**9))))
        started = time.monotonic()
        await arrived(sigap, staff, receipt["id"], "DISHUB")
        in_status = time.monotonic()
        row = page.locator(f'tr[data-id="{receipt["id"]}"]')
        await expect(row).to_be_visible(timeout=TIMEOUT_MS)
        shown = time.monotonic()
        print(f"\nsubmitted -> in status {in_status - started:.2f}s -> in the open queue {shown - started:.2f}s")
        assert await page.evaluate("window.notReloaded === true")  # no reload: the rows were swapped in
        await expect(row).to_contain_text(receipt["tracking_code"])
        await expect(row).to_contain_text("Diterima dinas")
        await expect(row).to_contain_text(re.compile(r"Sisa \d hari kerja|Tenggat hari ini"))
        await expect(row).to_have_class(re.compile("fresh"))
        await assert_accessible(page)
        await screenshot(page, "dashboard-queue")

        # The admin opens it, verifies it and assigns an officer, each confirmed on the page.
        await row.get_by_role("link", name=receipt["tracking_code"]).click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(receipt["tracking_code"])
        await expect(page.locator(".quote")).to_have_text(_lamp(tag)["description"])
        await expect(page.locator("#what-title + .quote + dl")).to_contain_text("Lampu penerangan jalan")
        await expect(page.locator(".photos img")).to_have_count(2)
        first_photo = page.locator(".photos img").first
        await first_photo.scroll_into_view_if_needed()
        await eventually(lambda: first_photo.evaluate("img => img.complete && img.naturalWidth > 0"), timeout_s=20)
        await expect(page.locator(".photos")).to_contain_text("Terverifikasi foto langsung")
        await expect(page.locator(".photos")).to_contain_text("Meragukan")  # the photo without EXIF, and why
        await expect(page.locator("#routing-title + dl")).to_contain_text("%")
        await expect(page.locator(".leaflet-interactive").first).to_be_attached(timeout=TIMEOUT_MS)  # boundaries drawn
        await expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
        await page.get_by_role("button", name="Verifikasi pengaduan").click()
        await expect(page.get_by_role("status").filter(has_text="sudah diverifikasi")).to_be_visible()
        await expect(page.locator("h1 .badge")).to_have_text("Terverifikasi")
        await page.get_by_label("Pilih petugas").select_option(officer)
        await page.get_by_role("button", name="Tugaskan").click()
        await expect(page.get_by_role("status").filter(has_text="Petugas sudah ditugaskan")).to_be_visible()
        await expect(page.locator("#what-title + .quote + dl")).to_contain_text(officer)
        await expect(page.locator(".timeline")).to_contain_text("Penugasan petugas berubah")
        await expect(page.locator(".timeline")).to_contain_text("menjadi: Terverifikasi")
        await assert_accessible(page)
        await screenshot(page, "dashboard-complaint")
        await page.goto(f"/dasbor/pengaduan/{receipt['id']}?lang=en")
        await expect(page.get_by_role("heading", name="Actions")).to_be_visible()
        await page.goto("/dasbor?lang=id")

        # Filters and search narrow the same queue; the English switch reads the same page.
        await page.get_by_label("Cari").fill(receipt["tracking_code"])
        await page.get_by_label("Status").select_option("terverifikasi")
        await page.get_by_role("button", name="Terapkan").click()
        await expect(page.locator("tbody tr")).to_have_count(1)
        await expect(row).to_contain_text(officer)
        await page.get_by_label("Status").select_option("selesai")
        await page.get_by_role("button", name="Terapkan").click()
        await expect(page.get_by_text("Tidak ada pengaduan yang cocok")).to_be_visible()
        await page.goto("/dasbor?lang=en")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Complaint queue")
        await page.goto("/dasbor?lang=id")

        # On a 360 px phone both pages fit the width (the queue table scrolls inside its box)
        # and every control is reachable with the keyboard.
        await page.set_viewport_size(PHONE)
        for path in ("/dasbor", f"/dasbor/pengaduan/{receipt['id']}"):
            await page.goto(path)
            assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            await assert_accessible(page)
        await page.goto("/dasbor")
        await page.keyboard.press("Tab")  # the skip link first
        for _ in range(40):
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement.textContent") == receipt["tracking_code"]:
                break
        else:
            raise AssertionError("the complaint's link is not reachable with Tab")
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(re.compile(f"/dasbor/pengaduan/{receipt['id']}$"))
        assert_no_page_errors(context)


async def test_queue_filters_paging_csv_and_bad_input(sigap, infra, staff, web):
    admin = new_staff(sigap, infra, "dept_admin", "DISHUB")
    tag = uuid.uuid4().hex[:6]
    receipts = [await _submit(sigap, _lamp(f"{tag}-{n}")) for n in range(3)]
    for receipt in receipts:
        await arrived(sigap, staff, receipt["id"], "DISHUB")
    await web.log_in(admin)

    searched = await web.get("/dasbor", params={"q": tag})
    assert searched.status_code == 200 and searched.headers["cache-control"] == "no-store"
    # The kelurahan filter offers the city's kelurahan by name, as status files complaints;
    # the category filter the taxonomy's categories, the department's own first.
    assert '<option value="Depok">Depok</option>' in searched.text
    assert searched.text.index('value="lampu_jalan"') < searched.text.index('value="jalan_rusak"')
    lamps = await web.get("/dasbor", params={"q": tag, "category": "lampu_jalan"})
    assert len(_codes(lamps.text)) == 3
    roads = await web.get("/dasbor", params={"q": tag, "category": "jalan_rusak"})
    assert _codes(roads.text) == []
    in_depok = await web.get("/dasbor", params={"q": tag, "kelurahan": "Depok"})
    assert all(receipt["tracking_code"] in _rows(in_depok.text) for receipt in receipts)
    elsewhere = await web.get("/dasbor", params={"q": tag, "kelurahan": "Beji"})
    assert "Tidak ada pengaduan yang cocok" in _rows(elsewhere.text)
    assert all(receipt["tracking_code"] in searched.text for receipt in receipts)
    assert "Sisa " in searched.text or "Tenggat hari ini" in searched.text
    # Keyset paging: status's limit is the page's; the next link carries the cursor and filters.
    first = await web.get("/dasbor", params={"q": tag, "sort": "newest", "per_page": "2"})
    assert _codes(first.text) == [receipts[2]["tracking_code"], receipts[1]["tracking_code"]]
    next_link = re.search(r'href="(/dasbor\?[^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert "cursor=" in next_link and f"q={tag}" in next_link and "per_page=2" in next_link
    second = await web.get(next_link)
    assert _codes(second.text) == [receipts[0]["tracking_code"]]
    assert 'rel="next"' not in second.text and "Kembali ke halaman pertama" in second.text

    csv = await web.get("/dasbor/antrean.csv", params={"q": tag})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("tracking_code,status")
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(r["tracking_code"] for r in receipts)

    # Bad input is answered with a clear message, never a 500.
    bad_status = await web.get("/dasbor", params={"status": "bukan-status"})
    assert bad_status.status_code == 422 and 'role="alert"' in bad_status.text
    bad_cursor = await web.get("/dasbor", params={"cursor": "xyz"})
    assert bad_cursor.status_code == 422 and "Cursor halaman tidak valid" in bad_cursor.text
    too_long = await web.get("/dasbor", params={"q": "x" * 500})
    assert too_long.status_code == 422
    nul = await web.get("/dasbor", params={"q": "a\x00b"})
    assert nul.status_code in (200, 422) and nul.status_code != 500


def _version(html: str) -> str:
    return re.search(r'name="expected_version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]


async def _form(web: WebClient, complaint_id: str) -> tuple[str, str]:
    """The complaint page's CSRF token and the version its forms carry."""
    page = await web.get(f"/dasbor/pengaduan/{complaint_id}")
    assert page.status_code == 200, page.text
    return csrf_of(page.text), _version(page.text)


async def _act(web: WebClient, complaint_id: str, action: str, **fields: str) -> httpx.Response:
    page = await web.get(f"/dasbor/pengaduan/{complaint_id}")
    fields = {"csrf_token": csrf_of(page.text), **fields}
    if 'name="expected_version"' in page.text and "expected_version" not in fields:
        fields["expected_version"] = _version(page.text)
    # A done action answers 303 to a page (Post/Redirect/Get), followed as a browser does.
    return await web.client.post(
        f"/dasbor/pengaduan/{complaint_id}/aksi/{action}",
        data=fields,
        headers={"accept": "text/html"},
        follow_redirects=True,
    )


def _rows(html: str) -> str:
    """The queue table's body, where complaints are listed."""
    return html.split('id="queue-rows">', 1)[1].split("</tbody>", 1)[0]


def _codes(html: str) -> list[str]:
    return re.findall(r">(SGP-[0-9A-Z]{4}-[0-9A-Z]{2})</a>", _rows(html))


async def _heard_after(page: Page, complaint_id: str) -> list[str] | None:
    heard = await page.evaluate("window.heard")
    return heard if complaint_id in heard else None


def _outcome(response: httpx.Response) -> str:
    found = re.search(r'id="outcome">([^<]+)<', response.text)
    return found.group(1) if found else ""


async def test_every_staff_action_through_the_page_forms(sigap, infra, staff, web):
    admin = new_staff(sigap, infra, "dept_admin", "DISHUB")
    tag = uuid.uuid4().hex[:6]
    original, duplicate, spam, worked = [await _submit(sigap, _lamp(f"{tag}-{n}")) for n in range(4)]
    for receipt in (original, duplicate, spam, worked):
        await arrived(sigap, staff, receipt["id"], "DISHUB")
    await web.log_in(admin)

    # Merge a duplicate: the earlier complaint nearby is among the suggestions.
    page = await web.get(f"/dasbor/pengaduan/{duplicate['id']}")
    assert f'value="{original["id"]}"' in page.text and original["tracking_code"] in page.text
    merged = await _act(web, duplicate["id"], "gabung", duplicate_of=original["id"])
    assert merged.status_code == 200 and _outcome(merged) == "Pengaduan digabungkan sebagai duplikat."
    assert [step.status_code for step in merged.history] == [303]
    assert str(merged.url).endswith(f"/dasbor/pengaduan/{duplicate['id']}")
    assert 'class="badge status-ditolak"' in merged.text

    # Reject: without a reason the form is answered with status's explanation, then with one.
    no_reason = await _act(web, spam["id"], "tolak", reason="")
    assert no_reason.status_code == 422 and "Alasan penolakan wajib diisi" in _outcome(no_reason)
    assert no_reason.history == []  # a refusal is answered at once, not redirected
    rejected = await _act(web, spam["id"], "tolak", reason="spam", note="Iklan, bukan pengaduan")
    assert rejected.status_code == 200 and _outcome(rejected) == "Pengaduan sudah ditolak."

    # A stale form (someone changed the complaint meanwhile) says so.
    token, version = await _form(web, worked["id"])
    stale = await web.client.post(
        f"/dasbor/pengaduan/{worked['id']}/aksi/verifikasi",
        data={"csrf_token": token, "expected_version": str(int(version) + 3)},
        headers={"accept": "text/html"},
    )
    assert stale.status_code == 409 and "Muat ulang" in _outcome(stale)
    verified = await _act(web, worked["id"], "verifikasi", note="Dicek lewat CCTV")
    assert _outcome(verified) == "Pengaduan sudah diverifikasi."

    # Supporting departments: added and removed at routing; a reason is required.
    short = await _act(web, worked["id"], "dukungan", department="DLHK", reason="x")
    assert short.status_code == 422 and _outcome(short).startswith("Tidak dapat diproses")
    added = await _act(web, worked["id"], "dukungan", department="DLHK", reason="Pohon perlu dipangkas dulu")
    assert added.status_code == 200 and _outcome(added) == "Dinas pendukung ditambahkan."
    removed = await _act(web, worked["id"], "hapus-dukungan", department="DLHK", reason="Pohon sudah dipangkas")
    assert removed.status_code == 200 and _outcome(removed) == "Dinas pendukung dihapus."

    # Messages: to the reporter (public timeline) and an internal note; an empty one is refused.
    message = await _act(web, worked["id"], "pesan", body="Petugas akan datang besok pagi.")
    assert _outcome(message) == "Pesan untuk pelapor terkirim."
    note = await _act(web, worked["id"], "catatan", body="Koordinasi dengan PLN dulu.")
    assert _outcome(note) == "Catatan internal disimpan."
    assert "Koordinasi dengan PLN dulu." in note.text and "Petugas akan datang besok pagi." in note.text
    empty = await _act(web, worked["id"], "catatan", body="\u200b ")
    assert empty.status_code == 422 and _outcome(empty).startswith("Tidak dapat diproses")
    # A form without its CSRF token is refused before anything is asked of status.
    forged = await web.client.post(
        f"/dasbor/pengaduan/{worked['id']}/aksi/catatan", data={"body": "x"}, headers={"accept": "text/html"}
    )
    assert forged.status_code == 403

    # Transfer (bukan wewenang): the complaint leaves DISHUB's queue once status hears of it.
    transferred = await _act(
        web, worked["id"], "alihkan", to_department="DPUPR", reason="Bukan wewenang: tiang milik PUPR"
    )
    assert transferred.status_code == 200 and "Pengaduan sudah dialihkan." in transferred.text
    assert str(transferred.url).endswith("/dasbor")  # the queue: it leaves this department

    async def gone() -> bool:
        return (await web.get(f"/dasbor/pengaduan/{worked['id']}")).status_code == 404

    await eventually(gone, timeout_s=60)


async def test_lapor_stage_and_desk_actions_on_the_staff_page_and_the_stage_on_the_tracking_page(
    sigap, infra, staff, web
):
    """SP4N-LAPOR! (docs/lapor.md): the stage beside the status, tunda with a reason and
    lanjutkan, arsipkan as spam; the citizen's tracking page shows the stage too."""
    admin = new_staff(sigap, infra, "dept_admin", "DISHUB")
    tag = uuid.uuid4().hex[:6]
    waiting, spam = [await _submit(sigap, _lamp(f"{tag}-lapor-{n}")) for n in range(2)]
    for receipt in (waiting, spam):
        await arrived(sigap, staff, receipt["id"], "DISHUB")
    await web.log_in(admin)

    queue = await web.get("/dasbor", params={"q": waiting["tracking_code"]})
    assert re.search(r'class="hint lapor-stage">Verifikasi dan penerusan<', _rows(queue.text))
    page = await web.get(f"/dasbor/pengaduan/{waiting['id']}")
    assert re.search(r'id="lapor-stage">[^\n]*Verifikasi dan penerusan', page.text)
    assert "/aksi/tunda" in page.text and "/aksi/lanjutkan" not in page.text
    no_reason = await _act(web, waiting["id"], "tunda", reason=" ")
    assert no_reason.status_code == 422 and _outcome(no_reason).startswith("Tidak dapat diproses")
    postponed = await _act(web, waiting["id"], "tunda", reason="Menunggu anggaran perubahan")
    assert postponed.status_code == 200, postponed.text
    assert _outcome(postponed) == "Pengaduan ditunda; tenggatnya berhenti sementara."
    assert re.search(r'id="lapor-stage">[^\n]*Ditunda[^\n]*Menunggu anggaran perubahan', postponed.text)
    assert "/aksi/lanjutkan" in postponed.text and "/aksi/tunda" not in postponed.text
    resumed = await _act(web, waiting["id"], "lanjutkan")
    assert _outcome(resumed) == "Pengaduan dilanjutkan."
    assert re.search(r'id="lapor-stage">[^\n]*Verifikasi dan penerusan', resumed.text)

    archived = await _act(web, spam["id"], "arsipkan", note="Iklan, bukan pengaduan")
    assert archived.status_code == 200 and _outcome(archived) == "Pengaduan diarsipkan sebagai spam."
    assert 'class="badge status-ditolak"' in archived.text
    assert re.search(r'id="lapor-stage">[^\n]*Diarsipkan', archived.text)

    # The citizen's tracking page (publik: no token needed) shows the stage beside the status.
    citizen = WebClient(sigap)
    try:
        form = await citizen.client.get("/lacak")
        tracked = await citizen.client.post(
            "/lacak", data={"code": waiting["tracking_code"], "token": "", "csrf_token": csrf_of(form.text)}
        )
        assert tracked.status_code == 200, tracked.text
        assert "Tahap SP4N-LAPOR!: Verifikasi dan penerusan" in tracked.text
    finally:
        await citizen.aclose()


async def test_the_city_admin_reveals_a_confidential_identity_with_a_reason_and_it_is_audited(sigap, infra, staff, web):
    city = new_staff(sigap, infra, "city_admin")
    receipt = await _submit(sigap, _road(uuid.uuid4().hex[:6]))
    await arrived(sigap, staff, receipt["id"], "DPUPR")
    await web.log_in(city)
    page = await web.get(f"/dasbor/pengaduan/{receipt['id']}")
    assert "Tindakan ini diaudit" in page.text and "Budi Rahasia" not in page.text
    short = await _act(web, receipt["id"], "identitas", reason="cek")
    assert short.status_code == 422 and "Budi Rahasia" not in short.text
    shown = await _act(web, receipt["id"], "identitas", reason="Perlu konfirmasi lokasi langsung ke pelapor")
    assert shown.status_code == 200 and "Budi Rahasia" in shown.text
    assert shown.headers["cache-control"] == "no-store" and shown.history[0].status_code == 303
    # The identity travelled in the sealed one-time flash: not readable in the cookie.
    assert "Budi" not in shown.history[0].headers["set-cookie"]
    again = await web.get(f"/dasbor/pengaduan/{receipt['id']}")
    assert "Identitas pelapor dibuka (diaudit)" in again.text and "Perlu konfirmasi lokasi" in again.text
    assert "Budi Rahasia" not in again.text and "3333-4444" not in again.text


async def test_auditors_read_everything_and_get_no_action_forms(sigap, infra, staff, web):
    auditor = new_staff(sigap, infra, "auditor")
    receipt = await _submit(sigap, _lamp(uuid.uuid4().hex[:6]))
    await arrived(sigap, staff, receipt["id"], "DISHUB")
    await web.log_in(auditor)
    queue = await web.get("/dasbor", params={"q": receipt["tracking_code"]})
    assert receipt["tracking_code"] in queue.text and 'id="f-department"' in queue.text
    page = await web.get(f"/dasbor/pengaduan/{receipt['id']}")
    assert page.status_code == 200 and "Auditor hanya dapat membaca" in page.text
    assert "/aksi/" not in page.text
    refused = await _act(web, receipt["id"], "catatan", body="Auditor mencoba menulis")
    assert refused.status_code == 403 and _outcome(refused).startswith("Tidak dapat diproses")


async def test_a_dishub_admin_cannot_see_a_dpupr_complaint_anywhere_in_the_dashboard(sigap, infra, staff, web):
    dishub = new_staff(sigap, infra, "dept_admin", "DISHUB")
    tag = uuid.uuid4().hex[:6]
    road = await _submit(sigap, _road(tag), photos=(_live_photo(),))
    view = await arrived(sigap, staff, road["id"], "DPUPR")
    city_headers = await staff.headers("city_admin")
    async with httpx.AsyncClient(timeout=10) as client:
        photos = await client.get(f"{sigap.url('status')}/v1/staff/complaints/{road['id']}/photos", headers=city_headers)
    photo_id = photos.json()[0]["photo_id"]
    await web.log_in(dishub)

    queue = await web.get("/dasbor", params={"q": road["tracking_code"]})
    assert queue.status_code == 200 and "Tidak ada pengaduan yang cocok" in _rows(queue.text)
    assert road["tracking_code"] not in _rows(queue.text) and road["id"] not in queue.text
    foreign = await web.get("/dasbor", params={"department": "DPUPR"})
    assert foreign.status_code == 403 and road["tracking_code"] not in foreign.text
    rows = await web.get("/api/dasbor/antrean", params={"q": tag})
    assert road["id"] not in rows.text
    page = await web.get(f"/dasbor/pengaduan/{road['id']}")
    assert page.status_code == 404 and view["title"] not in page.text
    photo = await web.get(f"/dasbor/pengaduan/{road['id']}/foto/{photo_id}")
    assert photo.status_code == 404 and not photo.headers["content-type"].startswith("image/")
    csv = await web.get("/dasbor/antrean.csv", params={"q": road["tracking_code"]})
    assert csv.status_code == 200 and road["tracking_code"] not in csv.text
    assert (await web.get("/dasbor/antrean.csv", params={"department": "DPUPR"})).status_code == 403
    acted = await _act(web, road["id"], "catatan", body="Mencoba menulis di pengaduan dinas lain")
    assert acted.status_code == 404
    stream = await web.client.get("/api/dasbor/stream", params={"department": "DPUPR"})
    assert stream.status_code == 403 and stream.headers["content-type"].startswith("application/problem+json")


LISTEN = """() => { window.heard = []; const source = new EventSource('/api/dasbor/stream');
    source.onmessage = (event) => window.heard.push(JSON.parse(event.data).complaint_id);
    return new Promise((resolve) => { source.onopen = resolve; }); }"""


@pytest.mark.browser
async def test_the_dishub_stream_carries_no_dpupr_complaint(sigap, sigap_web, infra, staff):
    dishub = new_staff(sigap, infra, "dept_admin", "DISHUB")
    city = new_staff(sigap, infra, "city_admin")
    tag = uuid.uuid4().hex[:6]
    async with chromium() as browser:
        _, city_page = await signed_in(browser, sigap_web, "/dasbor", city)
        await city_page.evaluate(LISTEN)  # the city admin's stream: every department
        context, page = await signed_in(browser, sigap_web, "/dasbor", dishub)
        await page.evaluate(LISTEN)
        road = await _submit(sigap, _road(tag))
        await arrived(sigap, staff, road["id"], "DPUPR")
        # The positive signal: a DISHUB complaint sent after it is heard on the stream.
        lamp = await _submit(sigap, _lamp(tag))
        heard = await eventually(
            lambda: _heard_after(page, lamp["id"]), timeout_s=TIMEOUT_MS / 1000, interval_s=0.2
        )
        assert road["id"] not in heard
        await eventually(lambda: _heard_after(city_page, road["id"]), timeout_s=TIMEOUT_MS / 1000, interval_s=0.2)
        await eventually(lambda: _heard_after(city_page, lamp["id"]), timeout_s=TIMEOUT_MS / 1000, interval_s=0.2)
        refused = await page.evaluate("fetch('/api/dasbor/stream?department=DPUPR').then((r) => r.status)")
        assert refused == 403
        await page.goto(f"/dasbor/pengaduan/{road['id']}")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Pengaduan tidak ditemukan")
        await assert_accessible(page)
        assert_no_page_errors(context, allow=("403", "404"))


@pytest.mark.browser
async def test_an_action_redirects_so_a_reload_repeats_nothing_and_a_refusal_keeps_the_typing(
    sigap, sigap_web, infra, staff
):
    admin = new_staff(sigap, infra, "dept_admin", "DISHUB")
    receipt = await _submit(sigap, _lamp(uuid.uuid4().hex[:6]))
    await arrived(sigap, staff, receipt["id"], "DISHUB")
    address = f"/dasbor/pengaduan/{receipt['id']}"
    async with chromium() as browser:
        context, page = await signed_in(browser, sigap_web, address, admin)
        other = await context.new_page()  # a colleague's tab, open on the same complaint
        await other.goto(address)

        # An internal note: answered on the complaint's page with a confirmation, shown once.
        await page.locator("#note-body").fill("Koordinasi dengan PLN dulu.")
        await page.get_by_role("button", name="Simpan catatan").click()
        await expect(page.locator("#outcome")).to_have_text("Catatan internal disimpan.")
        assert page.url.endswith(address)
        notes = page.locator(".timeline > li").filter(has_text="Koordinasi dengan PLN dulu.")
        await expect(notes).to_have_count(1)
        await assert_accessible(page)
        await page.reload()
        await expect(page.locator("h1")).to_contain_text(receipt["tracking_code"])
        await expect(page.locator("#outcome")).to_have_count(0)
        await expect(notes).to_have_count(1)  # the reload posted nothing
        assert "sigap_flash" not in {cookie["name"] for cookie in await context.cookies()}

        # The colleague verifies it; this tab's reject form is now stale: status refuses it,
        # and the explanation the operator typed is still in the form.
        await other.get_by_role("button", name="Verifikasi pengaduan").click()
        await expect(other.locator("#outcome")).to_have_text("Pengaduan sudah diverifikasi.")
        await page.get_by_label("Alasan penolakan").select_option("spam")
        await page.get_by_label("Penjelasan untuk pelapor").fill("Iklan, bukan pengaduan")
        await page.get_by_role("button", name="Tolak pengaduan").click()
        await expect(page.locator("#outcome")).to_contain_text("Muat ulang")
        await expect(page.get_by_label("Penjelasan untuk pelapor")).to_have_value("Iklan, bukan pengaduan")
        await expect(page.get_by_label("Alasan penolakan")).to_have_value("spam")
        await page.get_by_role("button", name="Tolak pengaduan").click()  # again, on the fresh version
        await expect(page.locator("#outcome")).to_have_text("Pengaduan sudah ditolak.")
        await page.reload()
        await expect(page.locator(".timeline > li").filter(has_text="menjadi: Ditolak")).to_have_count(1)
        await expect(page.locator("#outcome")).to_have_count(0)
        assert_no_page_errors(context, allow=("409",))


def _sign(tag: str) -> dict:
    """A fallen traffic sign (DISHUB); reports of it keep a reused photo as evidence (conftest)."""
    return lamp_complaint(
        title=f"Rambu roboh {tag}",
        description=f"Rambu dilarang parkir roboh di Jl. Nusantara Raya, tiangnya patah ({tag})",
        category="rambu",
        location=place(-6.3925, 106.8226, "Jl. Nusantara Raya"),
    )


def _pavement(tag: str) -> dict:
    """A broken pavement (DPUPR); its report may also keep a reused photo as evidence."""
    return lamp_complaint(
        title=f"Trotoar rusak {tag}",
        description=f"Trotoar di Jl. Nusantara Raya ambles dan ubinnya pecah, pejalan kaki turun ke jalan ({tag})",
        category="trotoar",
        location=place(-6.3925, 106.8226, "Jl. Nusantara Raya"),
    )


@pytest.mark.browser
async def test_a_reused_photo_shows_its_evidence_and_links_the_earlier_complaint_only_to_who_may_see_it(
    sigap, sigap_web, infra, staff
):
    assert {"rambu", "trotoar"} <= set(REUSE_FLAGGED_CATEGORIES)
    dishub, dpupr = new_staff(sigap, infra, "dept_admin", "DISHUB"), new_staff(sigap, infra, "dept_admin", "DPUPR")
    tag = uuid.uuid4().hex[:6]
    original = camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC), gps=(-6.3925, 106.8226))
    earlier = await _submit(sigap, _sign(tag), photos=(original,), category="rambu")
    await arrived(sigap, staff, earlier["id"], "DISHUB")
    # The same picture, saved again smaller (as a gallery copy is): sent with a DISHUB report
    # and with a DPUPR one.
    copy = resized_recompressed(original)
    same_department = await _submit(sigap, _sign(tag + "-salinan"), photos=(copy,), category="rambu")
    await arrived(sigap, staff, same_department["id"], "DISHUB")
    other_department = await _submit(sigap, _pavement(tag), photos=(copy,), category="trotoar")
    await arrived(sigap, staff, other_department["id"], "DPUPR")

    async with chromium() as browser:
        context, page = await signed_in(browser, sigap_web, f"/dasbor/pengaduan/{earlier['id']}", dishub)
        block = page.locator(".photos .evidence")
        await expect(block).to_have_count(1)
        await expect(block).to_contain_text("Bukti foto 1")
        await expect(block.locator(".badge.verdict-verified_live")).to_have_text("Terverifikasi foto langsung")
        await expect(block).to_contain_text("Tidak ada yang meragukan.")
        await expect(block.locator(".checked")).to_contain_text("Data kamera di foto (EXIF)")
        await expect(block.locator(".checked")).to_contain_text("m dari lokasi yang dilaporkan")
        await expect(block.locator(".matches")).to_have_count(0)

        # DISHUB's copy: suspicious, why in plain words, and a link to the earlier complaint.
        await page.goto(f"/dasbor/pengaduan/{same_department['id']}")
        block = page.locator(".photos .evidence")
        await expect(block.locator(".badge.verdict-suspicious")).to_have_text("Meragukan")
        await expect(block.locator('.reasons li[data-code="reused_photo"]')).to_have_text(
            "Foto ini salinan foto yang sudah pernah dikirim sebelumnya."
        )
        match = block.locator(".matches li").filter(has=page.locator(f'a[href="/dasbor/pengaduan/{earlier["id"]}"]'))
        await expect(match).to_have_count(1)
        await expect(match).to_contain_text("Salinan foto lain (pasti)")
        await expect(match.locator(".confidence")).to_have_text(re.compile(r"\d+%|tidak diukur"))
        await expect(match).to_contain_text("sidik gambar")
        await assert_accessible(page)
        await screenshot(page, "dashboard-photo-evidence")
        await page.goto(f"/dasbor/pengaduan/{same_department['id']}?lang=en")
        await expect(block.locator('.reasons li[data-code="reused_photo"]')).to_have_text(
            "This photo is a copy of a photo sent earlier."
        )
        await expect(block.locator(".matches")).to_contain_text("Open the complaint with the matching photo")
        await page.goto(f"/dasbor/pengaduan/{same_department['id']}?lang=id")
        await match.get_by_role("link").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(earlier["tracking_code"])
        assert_no_page_errors(context)
        await context.close()

        # DPUPR's copy matches DISHUB's photos: DPUPR reads that it does, with no link and no
        # trace of which complaint.
        context, page = await signed_in(browser, sigap_web, f"/dasbor/pengaduan/{other_department['id']}", dpupr)
        block = page.locator(".photos .evidence")
        await expect(block.locator(".badge.verdict-suspicious")).to_have_text("Meragukan")
        await expect(block.locator('.reasons li[data-code="reused_photo"]').first).to_be_visible()
        await expect(block.locator(".matches li").first).to_contain_text("cocok dengan foto pengaduan lain")
        await expect(block.locator(".matches a")).to_have_count(0)
        html = await page.content()
        for hidden in (earlier["id"], same_department["id"], earlier["tracking_code"], same_department["tracking_code"]):
            assert hidden not in html, hidden
        await assert_accessible(page)
        assert_no_page_errors(context)
