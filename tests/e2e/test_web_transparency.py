"""The public transparency page and the staff statistics page in real headless Chromium against
the running system: a public complaint shows on the map and in the list while a confidential, an
anonymous and an unlisted one show neither their reporter nor themselves; the statistics page
draws its charts for a logged-in admin, and a DISHUB admin's statistics hold no DPUPR figure.
Each page passes axe-core and is photographed (the public page at phone size)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from playwright.async_api import Page, expect

from sigap_status.escalation.rules import EscalationPolicy
from sigap_status.escalation.sweep import Escalation, sweep_escalations
from sigap_status.sla.rules import WorkingCalendar
from sigap_status.sla.sweep import sweep_sla_breaches

from tests.support.browser import DEPOK, assert_accessible, assert_no_page_errors, chromium, phone, screenshot
from tests.support.web_pages import DEPOK_CODE, arrived, listed_in, map_shows, new_staff, signed_in, submit

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TIMEOUT_MS = 30_000


def _complaint(**fields) -> dict:
    return {
        "kind": "pengaduan",
        "category": "lampu_jalan",
        "location": {"lat": DEPOK["latitude"], "lon": DEPOK["longitude"]},
        **fields,
    }


async def _sent(sigap, staff, **fields) -> dict:
    """A complaint sent to intake, as status's staff view shows it once received."""
    receipt = await submit(sigap, _complaint(**fields))
    return await arrived(sigap, staff, receipt["id"])


async def test_the_public_page_shows_public_complaints_and_nothing_of_the_others(sigap, sigap_web, staff):
    marker = uuid.uuid4().hex[:8]
    secret_name = f"Budiman Rahasia {marker}"
    views = {
        "public": await _sent(
            sigap, staff, privacy="publik", description=f"Lampu jalan mati di depan balai warga ({marker})",
            reporter={"name": f"Warga Terbuka {marker}", "email": f"terbuka.{marker}@example.com"},
        ),
        "confidential": await _sent(
            sigap, staff, privacy="rahasia", description=f"Lampu mati dekat rumah saya ({marker}-r)",
            reporter={"name": secret_name, "phone": "081234567890", "email": f"rahasia.{marker}@example.com"},
        ),
        "anonymous": await _sent(sigap, staff, privacy="anonim", description=f"Lampu taman mati ({marker}-a)"),
        "unlisted": await _sent(
            sigap, staff, privacy="publik", publicly_visible=False, description=f"Lampu gang mati ({marker}-u)",
            reporter={"name": f"Warga Tak Terdaftar {marker}"},
        ),
    }
    public, confidential, anonymous, unlisted = (views[name]["id"] for name in views)
    assert {view["kelurahan"] for view in views.values()} == {"Depok"}
    listed = await listed_in(sigap, "Depok")
    assert public in listed and not {confidential, anonymous, unlisted} & set(listed)

    async with chromium() as browser:
        context = await phone(browser, sigap_web)
        page = await context.new_page()
        await page.goto("/")
        await page.get_by_role("link", name="Lihat transparansi pengaduan").click()
        await expect(page).to_have_url(re.compile(r"/transparansi$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Transparansi pengaduan")

        # The map counts what the public list holds for the kelurahan.
        await map_shows(page, DEPOK_CODE, len(listed))
        await page.get_by_text("Jumlah per kelurahan (tabel)").click()
        await expect(page.locator(f'#area-table tr[data-code="{DEPOK_CODE}"] td').first).to_have_text(str(len(listed)))

        # The list, narrowed to the kelurahan with the page's own form.
        await page.get_by_label("Kelurahan", exact=True).select_option("Depok")
        await page.get_by_role("button", name="Tampilkan").click()
        await expect(page).to_have_url(re.compile(r"kelurahan=Depok"))
        entry = page.locator(f"#complaint-{public}")
        await expect(entry).to_be_visible(timeout=TIMEOUT_MS)
        await expect(entry).to_contain_text("Diterima")
        await expect(entry).to_contain_text("Lampu jalan")
        await expect(entry).to_contain_text("Depok")
        html = await page.content()
        for hidden in (confidential, anonymous, unlisted):
            assert hidden not in html
        for identity in (secret_name, "081234567890", f"rahasia.{marker}", f"Warga Terbuka {marker}", f"terbuka.{marker}", marker):
            assert identity not in html, identity
        assert views["confidential"]["tracking_code"] not in html and views["public"]["tracking_code"] not in html

        # Department performance: a table (scrolling in its own box) and the charts.
        performance = page.locator("#performance-table")
        await expect(performance.locator('tr[data-department="DISHUB"] th')).to_have_text("Dinas Perhubungan")
        # Deadlines missed and escalations per department, as numbers.
        await expect(performance.locator("thead")).to_contain_text("Tenggat terlewati")
        await expect(performance.locator("thead")).to_contain_text("Eskalasi")
        await expect(performance.locator('tr[data-department="DISHUB"] td.escalations')).to_have_text(re.compile(r"^\d+$"))
        await expect(page.get_by_text("Persentase pengaduan yang ditangani tepat waktu")).to_be_visible()
        # Nothing makes the phone page scroll sideways.
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await assert_accessible(page)
        await page.goto("/transparansi")
        await expect(page.locator("#area-map[data-ready=true]")).to_have_count(1, timeout=TIMEOUT_MS)
        await screenshot(page, "public-transparency")

        # Bad input gets a clear message, never a 500.
        bad = await page.goto("/transparansi?status=bukan-status")
        assert bad is not None and bad.status == 422
        await expect(page.get_by_role("alert")).to_contain_text("Status yang dipilih tidak dikenal")
        bad = await page.goto("/transparansi?cursor=rusak")
        assert bad is not None and bad.status == 422
        await expect(page.get_by_role("alert")).not_to_be_empty()
        await page.goto("/transparansi?lang=en")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Complaint transparency")
        await page.goto("/transparansi?lang=id")
        assert_no_page_errors(context, allow=("status of 422",))


async def _charts_drawn(page: Page) -> None:
    for chart in ("chart-per-day", "chart-status-mix", "chart-sla", "chart-median"):
        await expect(page.locator(f"#{chart}")).to_have_attribute("data-drawn", re.compile("true|empty"), timeout=TIMEOUT_MS)
    # With complaints received today there is always a day, a status and a department to draw.
    for chart in ("chart-per-day", "chart-status-mix", "chart-sla"):
        await expect(page.locator(f"#{chart} canvas")).to_have_count(1)
    await expect(page.locator("#area-map[data-ready=true]")).to_have_count(1, timeout=TIMEOUT_MS)


async def test_statistics_draw_for_admins_and_a_dishub_admin_sees_no_dpupr_figure(sigap, sigap_web, staff, infra):
    dishub_admin, city_admin = new_staff(sigap, infra, "dept_admin", "DISHUB"), new_staff(sigap, infra, "city_admin")
    pothole = await _sent(
        sigap, staff, category="jalan_rusak", privacy="anonim",
        description="Jalan berlubang besar di depan gang, sudah sebulan belum diperbaiki",
        location={"lat": -6.3731, "lon": 106.819},
    )
    lamp = await _sent(sigap, staff, privacy="anonim", description="Lampu PJU mati total sepanjang jalan")
    assert pothole["department"] == "DPUPR" and lamp["department"] == "DISHUB"
    # What DISHUB has open, as a city admin asking for DISHUB sees it.
    async with httpx.AsyncClient(timeout=20) as client:
        overview = await client.get(
            f"{sigap.url('status')}/v1/staff/overview", params={"department": "DISHUB"}, headers=await staff.headers("city_admin")
        )
    dishub_open = sum(cell["count"] for cell in overview.json()["open_cells"])

    async with chromium() as browser:
        context, page = await signed_in(browser, sigap_web, "/statistik", dishub_admin)
        await expect(page.locator("#scope")).to_contain_text("Dinas Perhubungan")
        await _charts_drawn(page)
        rows = page.locator("#department-table tbody tr")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_have_attribute("data-department", "DISHUB")
        await expect(page.locator("#total-open")).to_have_text(str(dishub_open))
        text = await page.locator("main").inner_text()
        html = await page.content()
        for other in ("DPUPR", "Pekerjaan Umum"):
            assert other not in text and other not in html, other
        await assert_accessible(page)
        # Asking for another department's figures is refused by status, in words.
        refused = await page.goto("/statistik?department=DPUPR")
        assert refused is not None and refused.status == 403
        bad = await page.goto("/statistik?since=kemarin")
        assert bad is not None and bad.status == 422
        await expect(page.get_by_text("Tanggal tidak valid: kemarin")).to_be_visible()
        assert_no_page_errors(context, allow=("status of 403", "status of 422"))
        await context.close()

        context, page = await signed_in(browser, sigap_web, "/statistik", city_admin)
        await expect(page.locator("#scope")).to_contain_text("Seluruh dinas")
        await _charts_drawn(page)
        departments = page.locator("#department-table tbody tr")
        await expect(page.locator('#department-table tbody tr[data-department="DPUPR"]')).to_have_count(1)
        assert int(await page.locator("#total-open").inner_text()) > dishub_open
        await assert_accessible(page)
        await screenshot(page, "staff-statistics")
        # On a phone the charts shrink to the screen and nothing scrolls sideways.
        await page.set_viewport_size({"width": 360, "height": 800})
        await page.wait_for_function(
            "() => [...document.querySelectorAll('.chart canvas')].every(c => c.getBoundingClientRect().right <= 360)",
            timeout=TIMEOUT_MS,
        )
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await page.set_viewport_size({"width": 1366, "height": 900})
        # A city admin may narrow to one department.
        await page.get_by_label("Dinas", exact=True).select_option("DPUPR")
        await page.get_by_role("button", name="Tampilkan").click()
        await expect(page.locator("#scope")).to_contain_text("Pekerjaan Umum")
        await expect(departments).to_have_count(1)
        await expect(departments.first).to_have_attribute("data-department", "DPUPR")
        assert_no_page_errors(context)


# Long enough ago that the default ladder's city step (3 working days after the breach) is due
# whatever holidays fall between.
BREACHED_DAYS_AGO = 14


async def _overdue_and_escalated(sigap, infra, complaint_id: str) -> None:
    """Make the complaint's running deadline long past and drive the SLA sweep the running
    status service runs: the breach (dated when it would have been found), then every ladder
    step due now. The deadline moves in the same transaction as the breach is swept, so the
    service's own sweep (which skips locked rows) cannot find it first."""
    breached_at = datetime.now(UTC) - timedelta(days=BREACHED_DAYS_AGO)
    conn = await asyncpg.connect(**infra.pg_kwargs(sigap.services["status"].database))
    try:
        async with conn.transaction():
            moved = await conn.execute(
                "UPDATE complaints SET sla_due_at = $2 WHERE id = $1 AND sla_breached_at IS NULL AND sla_paused_at IS NULL",
                uuid.UUID(complaint_id),
                breached_at - timedelta(days=1),
            )
            assert moved == "UPDATE 1", moved
            assert await sweep_sla_breaches(conn=conn, now=breached_at) >= 1
        escalation = Escalation(policy=EscalationPolicy(), calendar=WorkingCalendar())
        while await sweep_escalations(conn=conn, escalation=escalation) > 0:
            pass
        steps = await conn.fetch(
            "SELECT step FROM complaint_escalations WHERE complaint_id = $1 ORDER BY step_number", uuid.UUID(complaint_id)
        )
        assert [row["step"] for row in steps] == ["head_of_department", "city"]
    finally:
        await conn.close()


async def test_an_overdue_complaint_climbs_the_ladder_on_the_statistics_queue_and_timeline(sigap, sigap_web, staff, infra):
    dishub, dpupr, city = (
        new_staff(sigap, infra, "dept_admin", "DISHUB"),
        new_staff(sigap, infra, "dept_admin", "DPUPR"),
        new_staff(sigap, infra, "city_admin"),
    )
    marker = uuid.uuid4().hex[:8]
    late = await _sent(sigap, staff, privacy="anonim", title=f"Lampu mati {marker}",
                       description=f"Lampu PJU mati di tikungan gelap, belum ditangani ({marker})")  # fmt: skip
    assert late["department"] == "DISHUB"
    await _overdue_and_escalated(sigap, infra, late["id"])
    # The figures as status gives them to a city admin asking for DISHUB: the page must show these.
    async with httpx.AsyncClient(timeout=20) as client:
        answer = await client.get(
            f"{sigap.url('status')}/v1/staff/statistics", params={"department": "DISHUB"},
            headers=await staff.headers("city_admin"),
        )  # fmt: skip
    [figures] = answer.json()["escalation"]
    steps = {step["step"]: step["escalations"] for step in figures["steps"]}
    assert figures["breaches"] >= 1 and steps["head_of_department"] >= 1 and steps["city"] >= 1
    assert figures["median_days_overdue"] is not None

    async with chromium() as browser:
        context, page = await signed_in(browser, sigap_web, "/statistik", dishub)
        row = page.locator('#escalation-table tbody tr[data-department="DISHUB"]')
        await expect(page.locator("#escalation-table tbody tr")).to_have_count(1)
        await expect(row.locator(".breaches")).to_have_text(str(figures["breaches"]))
        await expect(row.locator('td[data-step="head_of_department"]')).to_have_text(str(steps["head_of_department"]))
        await expect(row.locator('td[data-step="city"]')).to_have_text(str(steps["city"]))
        await expect(row.locator(".escalations")).to_have_text(str(figures["escalations"]))
        overdue = f"{figures['median_days_overdue']:.1f}".replace(".", ",")
        await expect(row.locator(".overdue")).to_have_text(overdue)
        await expect(page.locator("#escalation-table thead")).to_contain_text("Eskalasi ke Kepala dinas")
        await expect(page.locator("#escalation-table thead")).to_contain_text("Eskalasi ke Tingkat kota")
        # The complaints escalated now: this one, with whom each step told and when.
        escalated = page.locator(f'#escalated-now tr[data-id="{late["id"]}"]')
        await expect(escalated).to_contain_text(late["tracking_code"])
        await expect(escalated.locator(".told li")).to_have_count(2)
        await expect(escalated.locator(".told li").first).to_contain_text(re.compile(r"Kepala dinas, \d\d/\d\d/\d{4} \d\d:\d\d WIB"))
        await expect(escalated.locator(".told li").last).to_contain_text("Tingkat kota")
        await expect(escalated).to_contain_text(re.compile(r"\d+ hari kerja"))
        # How many in all, per department: a DISHUB admin's count is DISHUB's alone.
        await expect(page.locator("#escalated-now-count")).to_contain_text(re.compile(r"^Menampilkan \d+ dari \d+ "))
        await expect(page.locator("#escalated-now-departments li")).to_have_count(1)
        await expect(page.locator('#escalated-now-departments li[data-department="DISHUB"]')).to_contain_text(
            re.compile(r": \d+$")
        )
        html = await page.content()
        assert "DPUPR" not in html and "Pekerjaan Umum" not in html
        await assert_accessible(page)

        # The queue marks it overdue and escalated, up to the city.
        await page.goto(f"/dasbor?q={late['tracking_code']}")
        queued = page.locator(f'tr[data-id="{late["id"]}"]')
        await expect(queued.locator(".badge.overdue")).to_have_text("Lewat tenggat")
        await expect(queued.locator(".badge.escalated")).to_have_text("Dieskalasi: Tingkat kota (Pemerintah Kota Depok)")
        await assert_accessible(page)

        # Its timeline: the breach, then each step with whom it told, the late stage and when.
        await queued.get_by_role("link", name=late["tracking_code"]).click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(late["tracking_code"])
        entries = page.locator(".timeline > li.escalation")
        await expect(entries).to_have_count(3)
        await expect(entries.nth(0)).to_contain_text("Tenggat terlewati")
        await expect(entries.nth(0)).to_contain_text("peran yang diberi tahu: Admin dinas, Admin kota")
        await expect(entries.nth(1)).to_contain_text("Dieskalasi")
        await expect(entries.nth(1)).to_contain_text("diberitahukan kepada: Kepala dinas (langkah 1 tangga eskalasi)")
        await expect(entries.nth(2)).to_contain_text(
            "diberitahukan kepada: Tingkat kota (Pemerintah Kota Depok) (langkah 2 tangga eskalasi)"
        )
        await expect(entries.nth(2)).to_contain_text("tahap yang terlambat: verifikasi")
        await expect(entries.nth(2).locator("time")).to_have_text(re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d WIB"))
        await page.goto(f"/dasbor/pengaduan/{late['id']}?lang=en")
        await expect(entries.nth(2)).to_contain_text("told: City level (Kota Depok government) (step 2 of the escalation ladder)")
        await page.goto("/statistik?lang=id")
        assert_no_page_errors(context)
        await context.close()

        # Another department's admin sees neither the complaint nor its figures.
        context, page = await signed_in(browser, sigap_web, "/statistik", dpupr)
        await expect(page.locator("#escalation-title")).to_be_visible()
        await expect(page.locator(f'#escalated-now tr[data-id="{late["id"]}"]')).to_have_count(0)
        await expect(page.locator('#escalation-table tr[data-department="DISHUB"]')).to_have_count(0)
        assert late["tracking_code"] not in await page.content()
        assert_no_page_errors(context)
        await context.close()

        # The city admin sees every department's, this complaint among them.
        context, page = await signed_in(browser, sigap_web, "/statistik", city)
        await expect(page.locator(f'#escalated-now tr[data-id="{late["id"]}"]')).to_have_count(1)
        await expect(page.locator('#escalation-table tr[data-department="DISHUB"] .breaches')).to_have_text(
            str(figures["breaches"])
        )
        await assert_accessible(page)
        assert_no_page_errors(context)
