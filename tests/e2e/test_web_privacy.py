"""The data protection officer's pages and the reporter's "Data pribadi Anda" in real Chromium
against the running system (UU 27/2022, issue 15): a reporter asks for access on the tracking
page; the dpo logs in, lands on the queue (an overdue request marked), opens the request,
grants it and downloads the JSON export, and the reporter then reads the answer and gets the
same file; a request recorded at the counter is refused with its legal basis and reason; a
department admin is refused the queue and a city admin reads it without answering. Axe scans
each page; desktop screenshots go to docs/screenshots/privacy-*.png."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import asyncpg
import httpx
import pytest
from playwright.async_api import Page, expect

from tests.support.browser import assert_accessible, assert_no_page_errors, chromium, desktop, screenshot
from tests.support.governance import complaint_body
from tests.support.web_pages import arrived, new_staff, signed_in, submit

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TIMEOUT_MS = 30_000
REPORTER = {"name": "Ayu Lestari Wibowo", "phone": "0812-9090-3434", "email": "ayu.lestari@example.com"}
FLOODED_ROAD = complaint_body(
    "Genangan setinggi lutut di Jl. Raya Sawangan depan pasar setiap hujan, motor mogok", "drainase",
    privacy="rahasia", at=(-6.41, 106.78), address="Jl. Raya Sawangan", title="Genangan di depan pasar",
    reporter=REPORTER,
)  # fmt: skip
BROKEN_SIDEWALK = complaint_body(
    "Trotoar di Jl. Arief Rahman Hakim berlubang besar dekat sekolah, anak-anak harus turun ke jalan",
    "jalan_rusak", privacy="rahasia", at=(-6.40, 106.82), reporter={"phone": "0857-1212-5656"},
)  # fmt: skip


@pytest.fixture(scope="module")
def dpo(sigap, infra) -> str:
    return new_staff(sigap, infra, "dpo")


async def _requests(sigap, code: str, token: str) -> list[dict]:
    """The reporter's requests as intake answers them to their code and token."""
    async with httpx.AsyncClient(base_url=sigap.url("intake"), timeout=15) as client:
        response = await client.get(f"/v1/track/{code}/privacy-requests", headers={"X-Follow-Up-Token": token})
    assert response.status_code == 200, response.text
    return response.json()


async def _track(page: Page, code: str, token: str) -> None:
    await page.goto(f"/lacak?code={code}")
    await page.get_by_label("Token tindak lanjut").fill(token)
    await page.get_by_role("button", name="Tampilkan").click()
    await expect(page.locator("#view-title")).to_have_text(code, timeout=TIMEOUT_MS)


async def _make_overdue(infra, system_databases, request_id: str) -> None:
    """Moves a request's arrival four days back (its deadline then passed a day ago), as if it
    had waited in the queue."""
    conn = await asyncpg.connect(**infra.pg_kwargs(system_databases["intake"]))
    try:
        await conn.execute(
            "UPDATE data_subject_requests SET received_at = received_at - $2::interval, due_at = due_at - $2::interval WHERE id = $1::uuid",
            request_id, timedelta(days=4),
        )  # fmt: skip
    finally:
        await conn.close()


async def _download_json(page: Page, trigger) -> dict:
    async with page.expect_download() as download_info:
        await trigger.click()
    download = await download_info.value
    path = await download.path()
    assert path is not None
    with open(path, encoding="utf-8") as file:
        return json.load(file)


async def test_a_reporter_asks_for_their_data_and_the_dpo_grants_it_with_the_export(
    sigap, sigap_web, staff, dpo, infra, system_databases
):
    receipt = await submit(sigap, FLOODED_ROAD)
    code, token, complaint_id = receipt["tracking_code"], receipt["follow_up_token"], receipt["id"]
    late = await submit(sigap, BROKEN_SIDEWALK)
    async with chromium() as browser:
        citizen_context = await desktop(browser, sigap_web)
        citizen = await citizen_context.new_page()
        await _track(citizen, code, token)
        personal = citizen.get_by_role("region", name="Data pribadi Anda")
        await expect(personal).to_contain_text("3 x 24 jam")
        await personal.get_by_role("radio", name=re.compile(r"Akses")).check()
        await personal.get_by_role("button", name="Kirim permintaan").click()
        await expect(citizen.get_by_role("status")).to_contain_text("Permintaan Anda diterima", timeout=TIMEOUT_MS)
        [asked] = await _requests(sigap, code, token)
        mine = citizen.locator(f"#privacy-{asked['id']}")
        await expect(mine).to_contain_text("Menunggu jawaban")
        await expect(mine).to_contain_text("dijawab paling lambat")
        await assert_accessible(citizen)
        await screenshot(citizen, "citizen-personal-data")

        # Another reporter's request has waited four days: it tops the queue, marked overdue.
        async with httpx.AsyncClient(base_url=sigap.url("intake"), timeout=15) as client:
            waited = await client.post(
                f"/v1/track/{late['tracking_code']}/privacy-requests", json={"kind": "correction", "details": "Nomor telepon saya berganti"},
                headers={"X-Follow-Up-Token": late["follow_up_token"]},
            )  # fmt: skip
        assert waited.status_code == 201, waited.text
        await _make_overdue(infra, system_databases, waited.json()["request_id"])

        # The dpo logs in and lands on the queue.
        dpo_context = await desktop(browser, sigap_web)
        page = await dpo_context.new_page()
        await page.goto("/masuk")
        await page.get_by_label("Nama pengguna").fill(dpo)
        await page.get_by_label("Kata sandi").fill("sandi-halaman-web-1")
        await page.get_by_role("button", name="Masuk", exact=True).click()
        await expect(page).to_have_url(re.compile(r"/pelindungan-data$"), timeout=TIMEOUT_MS)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Permintaan data pribadi")
        overdue = page.locator(f"#request-{waited.json()['request_id']}")
        await expect(overdue).to_have_class(re.compile("overdue"))
        await expect(overdue).to_contain_text(re.compile(r"Lewat tenggat · Terlambat 2[45] jam"))
        row = page.locator(f"#request-{asked['id']}")
        await expect(row).to_contain_text(re.compile(r"Sisa 7[12] jam"))
        await expect(row).to_contain_text("Pelapor, lewat halaman lacak")
        await expect(row).to_contain_text(code)
        rows = await page.locator("tbody tr").evaluate_all("(rows) => rows.map((row) => row.id)")
        assert rows.index(f"request-{waited.json()['request_id']}") < rows.index(f"request-{asked['id']}")
        await assert_accessible(page)
        await screenshot(page, "privacy-queue")

        # The request's page: the export asks status too, so status knows the complaint first.
        await arrived(sigap, staff, complaint_id)
        await row.get_by_role("link", name="Akses").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Permintaan Akses")
        await expect(page.locator("#complaint-id")).to_have_text(code)
        await expect(page.locator("#deadline")).to_contain_text(re.compile(r"Sisa 7[12] jam"))
        await expect(page.get_by_role("region", name="Jejak audit")).to_contain_text("Permintaan diterima: Akses")
        await page.get_by_label("Apa yang dilakukan").fill("Seluruh data pribadi Anda di Sigap terlampir dalam berkas JSON.")
        await page.get_by_role("button", name="Kabulkan permintaan").click()
        await expect(page.get_by_role("status")).to_contain_text("Permintaan dikabulkan", timeout=TIMEOUT_MS)
        await expect(page.locator("#request-state")).to_have_text("Dikabulkan")
        audit = page.get_by_role("region", name="Jejak audit")
        await expect(audit).to_contain_text("Ekspor data disiapkan")
        await expect(audit).to_contain_text(f"{dpo} (Pejabat pelindungan data pribadi)")
        export = await _download_json(page, page.get_by_role("link", name="Unduh ekspor JSON"))
        assert export["format"] == "sigap-personal-data-export/1"
        assert export["identity"] == REPORTER
        assert export["complaint"]["tracking_code"] == code
        assert export["complaint"]["description"] == FLOODED_ROAD["description"]
        assert export["status"]["reporter_pseudonym"] == export["reporter_pseudonym"]
        await assert_accessible(page)
        await screenshot(page, "privacy-request")

        # The reporter reads the answer and gets the same file on the tracking page.
        await citizen.get_by_role("button", name="Tampilkan").click()
        await expect(mine).to_contain_text("Dikabulkan", timeout=TIMEOUT_MS)
        await expect(mine).to_contain_text("terlampir dalam berkas JSON")
        own = await _download_json(citizen, mine.get_by_role("button", name="Unduh data Anda (JSON)"))
        assert own["identity"] == REPORTER and own["complaint"]["tracking_code"] == code
        assert_no_page_errors(citizen_context)
        assert_no_page_errors(dpo_context)


async def test_a_counter_request_is_recorded_and_refused_with_its_legal_basis(sigap, sigap_web, dpo):
    receipt = await submit(sigap, BROKEN_SIDEWALK)
    code, token = receipt["tracking_code"], receipt["follow_up_token"]
    async with chromium() as browser:
        context, page = await signed_in(browser, sigap_web, "/pelindungan-data/catat", dpo)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Catat permintaan dari saluran lain")
        await page.get_by_label("Kode lacak laporan").fill(code)
        await page.get_by_label("Jenis permintaan").select_option("deletion")
        await page.get_by_label("Datang lewat").select_option("letter")
        await page.get_by_label("Cara identitas diperiksa").select_option("signed_letter")
        await page.get_by_label("Catatan").fill("Surat tertanggal 5 Desember 2026, diterima bagian umum")
        await assert_accessible(page)
        await screenshot(page, "privacy-record")
        await page.get_by_role("button", name="Catat permintaan").click()
        await expect(page.get_by_role("status")).to_contain_text("Permintaan dicatat", timeout=TIMEOUT_MS)
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Permintaan Penghapusan")
        await expect(page.locator("#asked-by")).to_contain_text(f"Dicatat petugas setelah memeriksa identitas · oleh {dpo}")
        await expect(page.locator("#details")).to_contain_text("Saluran: Surat. Identitas diperiksa: Surat bertanda tangan")
        request_id = page.url.rsplit("/", 1)[-1]

        # An unknown tracking code is a clear refusal on the form, nothing recorded.
        await page.goto("/pelindungan-data/catat")
        await page.get_by_label("Kode lacak laporan").fill("SGP-ZZZZ-ZZ")
        await page.get_by_label("Jenis permintaan").select_option("access")
        await page.get_by_label("Datang lewat").select_option("phone")
        await page.get_by_label("Cara identitas diperiksa").select_option("call_back")
        await page.get_by_role("button", name="Catat permintaan").click()
        await expect(page.get_by_role("alert")).to_be_visible()
        await expect(page.get_by_label("Kode lacak laporan")).to_have_value("SGP-ZZZZ-ZZ")

        # Refused under Art. 15, with the reason the reporter reads.
        await page.goto(f"/pelindungan-data/{request_id}")
        await page.get_by_role("radio", name=re.compile(r"Pasal 15 UU PDP")).check()
        reason = "Laporan masih ditangani dan identitas pelapor diperlukan sebagai bukti penanganan."
        await page.get_by_label("Alasan penolakan").fill(reason)
        await page.get_by_role("button", name="Tolak permintaan").click()
        await expect(page.get_by_role("status")).to_contain_text("Permintaan ditolak", timeout=TIMEOUT_MS)
        await expect(page.locator("#request-state")).to_have_text("Ditolak")
        await expect(page.locator("#answer")).to_contain_text(f"Ditolak berdasarkan Pasal 15 UU 27/2022 (pengecualian): {reason}")
        await expect(page.get_by_role("region", name="Jejak audit")).to_contain_text("Permintaan ditolak")
        await expect(page.get_by_role("button", name="Kabulkan permintaan")).to_have_count(0)

        await page.goto("/pelindungan-data?tab=selesai")
        await expect(page.locator(f"#request-{request_id}")).to_contain_text("Ditolak")
        [refused] = await _requests(sigap, code, token)
        assert refused["state"] == "refused" and refused["answer_reason"].endswith(reason)
        # The unknown code's form came back with status 404, which Chromium reports.
        assert_no_page_errors(context, allow=("status of 404",))


async def test_other_staff_are_refused_the_queue_and_a_city_admin_reads_without_answering(sigap, sigap_web, infra):
    dept_admin = new_staff(sigap, infra, "dept_admin", "DISHUB")
    city_admin = new_staff(sigap, infra, "city_admin")
    receipt = await submit(sigap, BROKEN_SIDEWALK)
    async with httpx.AsyncClient(base_url=sigap.url("intake"), timeout=15) as client:
        asked = await client.post(
            f"/v1/track/{receipt['tracking_code']}/privacy-requests", json={"kind": "restriction"},
            headers={"X-Follow-Up-Token": receipt["follow_up_token"]},
        )  # fmt: skip
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["request_id"]
    async with chromium() as browser:
        _, page = await signed_in(browser, sigap_web, "/dasbor", dept_admin)
        for path in ("/pelindungan-data", "/pelindungan-data/catat"):
            response = await page.goto(path)
            assert response is not None and response.status == 403, path
            await expect(page.get_by_role("heading", name="Tidak diizinkan")).to_be_visible()
        await expect(page.get_by_role("link", name="Pelindungan data")).to_have_count(0)

        _, admin = await signed_in(browser, sigap_web, "/pelindungan-data", city_admin)
        await expect(admin.get_by_role("heading", level=1)).to_have_text("Permintaan data pribadi")
        await admin.locator(f"#request-{request_id}").get_by_role("link", name="Pembatasan").click()
        await expect(admin.get_by_role("region", name="Jejak audit")).to_contain_text("Permintaan diterima: Pembatasan")
        await expect(admin.locator("#dpo-only")).to_be_visible()
        await expect(admin.locator("#complaint-link")).to_have_attribute("href", re.compile(r"^/dasbor/pengaduan/"))
        await expect(admin.get_by_role("button", name="Kabulkan permintaan")).to_have_count(0)
        await expect(admin.get_by_role("link", name="Unduh ekspor JSON")).to_have_count(0)
