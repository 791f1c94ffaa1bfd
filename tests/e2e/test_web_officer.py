"""The field officer's phone view (`/tugas`) in real headless Chromium against the running
system: an officer with two assigned complaints sees the nearer one first (oldest first when
the phone gives no location), sees the citizen's photos with their verdicts, marks one
dalam_proses and finishes it with a note and a live after-photo through the camera, and status
has it `selesai`; another officer's task, photos and another department's complaint are not
there to open. With no signal, starting and finishing wait on the phone and are delivered once
when it returns, even when an answer is lost on the way back. Each page passes axe-core and is
photographed at phone size."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from playwright.async_api import expect

from tests.support.browser import assert_accessible, assert_no_page_errors, chromium, phone, screenshot, y4m_scene
from tests.support.browser import lose_first_answer, until
from tests.support.services import create_staff_user
from tests.support.web_staff import StatusStaffApi, log_in
from tests.unit.intake.images import camera_photo, scene

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TIMEOUT_MS = 30_000
PASSWORD = "sandi-petugas-lapangan-1"
VIEWPORT = {"width": 360, "height": 740}
# About 0.5 km and 3 km from where the officer's phone says it is (browser.DEPOK).
NEAR = (-6.3960, 106.8255)
FAR = (-6.3670, 106.8310)


async def _photo(client: httpx.AsyncClient, category: str) -> str:
    """A citizen's camera photo, uploaded through a capture session as the citizen app does."""
    session = await client.post("/v1/capture-sessions")
    assert session.status_code == 201, session.text
    upload = await client.post(
        "/v1/photos",
        data={"capture_token": session.json()["capture_token"], "category": category},
        files={"file": ("IMG_0001.jpg", camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC)), "image/jpeg")},
    )
    assert upload.status_code == 201, upload.text
    return upload.json()["id"]


async def _submit(
    sigap, description: str, place: tuple[float, float], address: str, category: str, *, photo: bool = False
) -> str:
    async with httpx.AsyncClient(base_url=sigap.url("intake"), timeout=15) as client:
        photos = [await _photo(client, category)] if photo else []
        response = await client.post(
            "/v1/complaints",
            json={
                "kind": "pengaduan",
                "title": description.split(",")[0],
                "description": description,
                "location": {"lat": place[0], "lon": place[1], "address": address},
                "category": category,
                "privacy": "publik",
                **({"photos": photos} if photos else {}),
            },
        )
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


@pytest.fixture(scope="module")
async def officer_world(sigap, infra, staff):
    """Three DISHUB officers and a DPUPR one; the first has a far (older) and a near (newer)
    task, the second one task, the third one task to finish with no signal, the DPUPR officer
    a road complaint. The near, the colleague's and the road complaint came with a photo."""
    suffix = uuid.uuid4().hex[:6]
    officers = {
        "me": f"petugas-a-{suffix}",
        "colleague": f"petugas-b-{suffix}",
        "dpupr": f"petugas-c-{suffix}",
        "basement": f"petugas-d-{suffix}",
    }
    database = sigap.services["status"].database
    for key, username in officers.items():
        department = "DPUPR" if key == "dpupr" else "DISHUB"
        create_staff_user(infra, database, username, PASSWORD, "--role", "field_officer", "--department", department)
    tag = uuid.uuid4().hex[:6]
    lamp = "lampu_jalan"
    far = await _submit(sigap, f"Lampu penerangan jalan mati total, gelap sekali malam hari ({tag})", FAR, "Jl. Tole Iskandar", lamp)
    near = await _submit(
        sigap, f"Lampu penerangan jalan padam di simpang, gelap dan rawan ({tag})", NEAR, "Jl. Nusantara Raya", lamp,
        photo=True,
    )
    colleague = await _submit(
        sigap, f"Lampu penerangan jalan berkedip lalu mati tiap malam ({tag})", NEAR, "Jl. Margonda", lamp, photo=True
    )
    road = await _submit(
        sigap, f"Jalan berlubang besar, sudah ada motor jatuh ({tag})", NEAR, "Jl. Raya Sawangan", "jalan_rusak",
        photo=True,
    )
    basement = await _submit(
        sigap, f"Lampu parkir basemen pasar mati semua, gelap total ({tag})", NEAR, "Pasar Kemiri Muka", lamp
    )
    dishub = StatusStaffApi(sigap.url("status"), await staff.headers("dept_admin", "DISHUB"))
    dpupr = StatusStaffApi(sigap.url("status"), await staff.headers("dept_admin", "DPUPR"))
    for complaint_id, admin, officer in (
        (far, dishub, officers["me"]),
        (near, dishub, officers["me"]),
        (colleague, dishub, officers["colleague"]),
        (road, dpupr, officers["dpupr"]),
        (basement, dishub, officers["basement"]),
    ):
        placed = await admin.received(complaint_id)
        assert placed["status"] == "diterima", placed
        await admin.verify_and_assign(complaint_id, officer)
    return {
        "officers": officers,
        "far": far,
        "near": near,
        "colleague": colleague,
        "road": road,
        "basement": basement,
        "dishub": dishub,
        "dpupr": dpupr,
    }


async def test_an_officer_works_the_nearest_task_and_finishes_it_with_a_live_after_photo(
    sigap, sigap_web, officer_world, tmp_path
):
    world = officer_world
    video = y4m_scene(scene(uuid.uuid4().int % 10**9, (640, 480)), tmp_path / "after.y4m")
    async with chromium(camera_video=video) as browser:
        context = await phone(browser, sigap_web)
        page = await context.new_page()
        await page.set_viewport_size(VIEWPORT)
        await log_in(page, "/tugas", world["officers"]["me"], PASSWORD)

        # Nearest first: the newer complaint is the nearer one, so oldest-first would differ.
        tasks = page.locator("ol.tasks")
        await expect(tasks).to_have_attribute("data-order", "nearest", timeout=TIMEOUT_MS)
        items = page.locator("ol.tasks > li")
        await expect(items).to_have_count(2)
        first, second = items.nth(0), items.nth(1)
        await expect(first).to_have_attribute("id", f"task-{world['near']}")
        await expect(second).to_have_attribute("id", f"task-{world['far']}")
        await expect(page.locator("#order-note")).to_contain_text("terdekat")
        await expect(first.locator(".distance")).to_have_text(re.compile(r"^[4-6]\d0 m dari Anda$"))
        await expect(second.locator(".distance")).to_have_text(re.compile(r"^[23],\d km dari Anda$"))
        await expect(first.locator(".sla")).to_have_text(re.compile(r"^Tenggat: sisa \d+ (hari|jam|menit)"))
        await expect(first.locator(".description")).to_contain_text("Lampu penerangan jalan padam di simpang")
        geo = first.get_by_role("link", name=re.compile("Buka di aplikasi peta"))
        assert await geo.get_attribute("href") == f"geo:{NEAR[0]:.6f},{NEAR[1]:.6f}?q={NEAR[0]:.6f},{NEAR[1]:.6f}(" + (
            await first.locator("xpath=.//p[@class='meta']/span[2]").inner_text()
        ) + ")"
        web_map = await first.get_by_role("link", name=re.compile("Buka peta web")).get_attribute("href")
        assert web_map.startswith("https://www.openstreetmap.org/?mlat=-6.396000&mlon=106.825500")
        await assert_accessible(page)
        await screenshot(page, "officer-tasks")

        # The task page: start work.
        await first.get_by_role("link", name=re.compile("Lampu penerangan jalan padam di simpang")).click()
        await expect(page).to_have_url(re.compile(rf"/tugas/{world['near']}\?lat="))
        await expect(page.locator("#task-status")).to_have_text("Terverifikasi")
        await expect(page.locator(".distance")).to_have_text(re.compile(r"m dari Anda$"))
        # The citizen's photo, what to look for at the place, with its live-photo verdict.
        before = page.locator("ul.photos > li")
        await expect(before).to_have_count(1)
        await expect(before.locator(".verdict")).to_have_text("Foto langsung terverifikasi")
        image = before.locator("img")
        await expect(image).to_have_attribute("alt", "Foto pelapor 1")
        await image.scroll_into_view_if_needed()
        assert await image.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
        await page.get_by_role("button", name="Tandai dalam proses").click()
        await expect(page.get_by_role("status")).to_have_text("Tugas ditandai dalam proses.", timeout=TIMEOUT_MS)
        await expect(page.locator("#task-status")).to_have_text("Dalam proses")
        await expect(page.locator(".distance")).to_have_text(re.compile(r"m dari Anda$"))  # the position kept
        assert (await world["dishub"].view(world["near"])).json()["status"] == "dalam_proses"
        await expect(page.locator("#task-status")).to_have_text("Dalam proses")

        # No photo yet: the page says so instead of sending the form.
        await page.get_by_label("Catatan penyelesaian").fill("Lampu penerangan diganti, sudah menyala normal.")
        await page.get_by_role("button", name="Tandai selesai").click()
        await expect(page.locator("#finish-error")).to_have_text("Ambil foto sesudah penanganan dengan kamera terlebih dahulu.")

        # At the place: the after-photo is taken live, like the citizen's.
        await context.set_geolocation({"latitude": NEAR[0], "longitude": NEAR[1], "accuracy": 10})
        await page.get_by_role("button", name="Buka kamera").click()
        await page.get_by_role("button", name="Ambil foto").click()
        await expect(page.locator("#camera-status")).to_have_text("Foto terunggah dan lolos pemeriksaan.", timeout=TIMEOUT_MS)
        await assert_accessible(page)
        await screenshot(page, "officer-task")
        await page.get_by_role("button", name="Tandai selesai").click()
        await expect(page.get_by_role("status")).to_have_text("Tugas ditandai selesai. Terima kasih!", timeout=TIMEOUT_MS)
        await expect(page.locator("#task-status")).to_have_text("Selesai")
        await assert_accessible(page)

        finished = (await world["dishub"].view(world["near"])).json()
        assert finished["status"] == "selesai" and finished["assigned_officer"] == world["officers"]["me"]
        assert finished["resolution_note"] == "Lampu penerangan diganti, sudah menyala normal."
        assert len(finished["after_photo_ids"]) == 1

        # The finished task leaves the list; the other one stays.
        await page.get_by_role("link", name="Tugas saya").first.click()
        await expect(page.locator("ol.tasks > li")).to_have_count(1)
        await expect(page.locator("ol.tasks > li").first).to_have_attribute("id", f"task-{world['far']}")
        await page.goto("/tugas?lang=en")
        await expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")
        await page.goto("/tugas?lang=id")
        assert_no_page_errors(context)


async def test_without_location_the_list_is_oldest_first(sigap, sigap_web, officer_world):
    world = officer_world
    async with chromium() as browser:
        context = await browser.new_context(
            base_url=sigap_web, viewport=VIEWPORT, is_mobile=True, has_touch=True, locale="id-ID",
            timezone_id="Asia/Jakarta", permissions=[],  # location refused
        )
        page = await context.new_page()
        await log_in(page, "/tugas", world["officers"]["colleague"], PASSWORD)
        await expect(page.locator("#order-note")).to_contain_text("terlama", timeout=TIMEOUT_MS)
        await expect(page.locator("ol.tasks")).to_have_attribute("data-order", "oldest")
        await expect(page.locator("ol.tasks > li")).to_have_count(1)
        await expect(page.locator("ol.tasks > li .distance")).to_have_count(0)


async def test_an_officer_cannot_open_another_officers_or_another_departments_task(sigap, sigap_web, officer_world):
    world = officer_world
    async with chromium() as browser:
        context = await phone(browser, sigap_web)
        page = await context.new_page()
        await page.set_viewport_size(VIEWPORT)
        await log_in(page, "/tugas", world["officers"]["me"], PASSWORD)
        ids = await page.locator("ol.tasks > li").evaluate_all("items => items.map(item => item.id)")
        assert f"task-{world['colleague']}" not in ids and f"task-{world['road']}" not in ids
        for hidden in (world["colleague"], world["road"], str(uuid.uuid4())):
            response = await page.goto(f"/tugas/{hidden}")
            assert response is not None and response.status == 404
            await expect(page.get_by_role("heading", level=1)).to_have_text("Pengaduan tidak ditemukan")
            # Nor can it be changed: the form post (with a valid CSRF token) is refused the same way.
            answer = await page.evaluate(
                """async (id) => {
                    const body = new URLSearchParams({csrf_token: document.querySelector('meta[name="csrf-token"]').content,
                                                      expected_version: "0"});
                    const response = await fetch(`/tugas/${id}/mulai`, {method: "POST", body, headers: {Accept: "text/html"}});
                    return response.status;
                }""",
                hidden,
            )
            assert answer == 404
        # Nor their photos: through the web service or asking status directly as this officer.
        for hidden in (world["colleague"], world["road"]):
            photo_id = (await _photos(world, hidden))[0]["photo_id"]
            response = await page.request.get(f"/tugas/{hidden}/foto/{photo_id}")
            assert response.status == 404 and not response.headers["content-type"].startswith("image/")
        own = (await _photos(world, world["near"]))[0]["photo_id"]
        response = await page.request.get(f"/tugas/{world['near']}/foto/{own}")
        assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
        async with httpx.AsyncClient(base_url=sigap.url("status"), timeout=15) as client:
            login = await client.post(
                "/v1/auth/login", json={"username": world["officers"]["me"], "password": PASSWORD}
            )
            officer = {"Authorization": f"Bearer {login.json()['access_token']}"}
            for hidden in (world["colleague"], world["road"]):
                listed = await client.get(f"/v1/staff/complaints/{hidden}/photos", headers=officer)
                assert listed.status_code == 404, listed.text
            mine = await client.get(f"/v1/staff/complaints/{world['near']}/photos", headers=officer)
            assert mine.status_code == 200 and [p["role"] for p in mine.json()][:1] == ["evidence"]
        await assert_accessible(page)
        # The colleague's and the DPUPR complaint are untouched.
        colleague = (await world["dishub"].view(world["colleague"])).json()
        assert colleague["status"] == "terverifikasi" and colleague["assigned_officer"] == world["officers"]["colleague"]

        # A bad form is a clear message on the page, never a 500, and changes nothing.
        response = await page.goto(f"/tugas/{world['far']}")
        assert response is not None and response.status == 200
        status = await page.evaluate(
            """async (id) => {
                const body = new URLSearchParams({csrf_token: document.querySelector('meta[name="csrf-token"]').content,
                                                  expected_version: "x"});
                return (await fetch(`/tugas/${id}/mulai`, {method: "POST", body, headers: {Accept: "text/html"}})).status;
            }""",
            world["far"],
        )
        assert status == 422
        assert (await world["dishub"].view(world["far"])).json()["status"] == "terverifikasi"

        # A session that ended meanwhile: re-sorting the list leads to the login page, not
        # the login page inside the list.
        await page.goto("/tugas")
        await expect(page.locator("ol.tasks")).to_have_attribute("data-order", "nearest", timeout=TIMEOUT_MS)
        await context.clear_cookies()
        await page.get_by_role("button", name="Urutkan dari lokasi saya").click()
        await expect(page).to_have_url(re.compile(r"/masuk\?next=/tugas$"), timeout=TIMEOUT_MS)
        assert_no_page_errors(context, allow=("404", "422"))


async def _photos(world, complaint_id: str) -> list[dict]:
    """A complaint's photos as its department admin sees them."""
    api = world["dpupr"] if complaint_id == world["road"] else world["dishub"]
    async with httpx.AsyncClient(base_url=api.status_url, timeout=15) as client:
        response = await client.get(f"/v1/staff/complaints/{complaint_id}/photos", headers=api.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_with_no_signal_the_officer_still_starts_and_finishes_and_each_change_happens_once(
    sigap, sigap_web, officer_world, tmp_path
):
    world = officer_world
    task = world["basement"]
    video = y4m_scene(scene(uuid.uuid4().int % 10**9, (640, 480)), tmp_path / "basement.y4m")
    async with chromium(camera_video=video) as browser:
        context = await phone(browser, sigap_web)
        page = await context.new_page()
        await page.set_viewport_size(VIEWPORT)
        await log_in(page, f"/tugas/{task}", world["officers"]["basement"], PASSWORD)
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        await expect(page.locator("ul.photos")).to_have_count(0)
        await expect(page.get_by_text("Pelapor tidak mengirim foto.")).to_be_visible()

        # Into the basement: starting work waits on the phone.
        await context.set_offline(True)
        # From the keyboard: the button, Enter, and the focus lands on what happened.
        await page.get_by_role("button", name="Tandai dalam proses").focus()
        await page.keyboard.press("Enter")
        queue_status = page.locator("#queue-status")
        await expect(queue_status).to_contain_text("Menunggu sinyal", timeout=TIMEOUT_MS)
        await expect(queue_status).to_be_focused()
        assert (await world["dishub"].view(task)).json()["status"] == "terverifikasi"
        # The finish is already on the page; the camera needs a moment of signal for its session.
        await page.get_by_role("button", name="Buka kamera").click()
        await expect(page.locator("#camera-status")).to_have_text("Tidak ada sinyal. Coba lagi saat ada sinyal.")

        await context.set_offline(False)
        await expect(queue_status).to_have_text("Tugas ditandai dalam proses.", timeout=TIMEOUT_MS)
        await expect(page.locator("#task-status")).to_have_text("Dalam proses")
        assert (await world["dishub"].view(task)).json()["status"] == "dalam_proses"

        # The camera opens with a signal; it is gone again when the photo is taken.
        await context.set_geolocation({"latitude": NEAR[0], "longitude": NEAR[1], "accuracy": 10})
        await page.get_by_role("button", name="Buka kamera").click()
        await expect(page.get_by_role("button", name="Ambil foto")).to_be_visible(timeout=TIMEOUT_MS)
        await context.set_offline(True)
        await page.get_by_role("button", name="Ambil foto").click()
        await expect(page.locator("#camera-status")).to_contain_text("dikirim bersama penyelesaian", timeout=TIMEOUT_MS)
        await page.get_by_label("Catatan penyelesaian").fill("Lampu parkir basemen diganti, semua menyala lagi.")
        await page.get_by_role("button", name="Tandai selesai").click()
        await expect(queue_status).to_contain_text("Menunggu sinyal", timeout=TIMEOUT_MS)
        await assert_accessible(page)
        await screenshot(page, "officer-waiting-for-signal")
        assert (await world["dishub"].view(task)).json()["status"] == "dalam_proses"

        # The signal returns; the finish reaches status but its answer is lost on the way back,
        # so the phone still has it waiting and sends it again (same Idempotency-Key).
        responses = await lose_first_answer(context, "**/api/tugas/*/transitions")
        await context.set_offline(False)
        await until(lambda: len(responses) == 1, timeout_s=TIMEOUT_MS / 1000)
        assert responses[0].status == 200
        assert (await world["dishub"].view(task)).json()["status"] == "selesai"
        # The phone tries again by itself after a pause, or now, on the next page load.
        await page.reload()
        await expect(page.get_by_role("status")).to_have_text("Tugas ditandai selesai. Terima kasih!", timeout=TIMEOUT_MS)
        # Every retry was answered as the first request's success. (More than one retry is
        # possible: Chromium may drop a request in flight as the network comes back.)
        answers = [(response.status, response.headers.get("idempotent-replayed")) for response in responses]
        assert answers[0] == (200, None) and len(answers) >= 2, answers
        assert all(answer == (200, "true") for answer in answers[1:]), answers
        await expect(page.locator("#task-status")).to_have_text("Selesai")

        finished = (await world["dishub"].view(task)).json()
        assert finished["status"] == "selesai"
        assert finished["resolution_note"] == "Lampu parkir basemen diganti, semua menyala lagi."
        assert len(finished["after_photo_ids"]) == 1
        steps = [entry["detail"].get("to") for entry in finished["timeline"]]
        assert steps.count("selesai") == 1 and steps.count("dalam_proses") == 1, finished["timeline"]
        after = [photo for photo in await _photos(world, task) if photo["role"] == "after"]
        assert [photo["photo_id"] for photo in after] == finished["after_photo_ids"]
        assert after[0]["verdict"] == "verified_live"
        assert await page.evaluate("SigapQueue.all('outbox').then(items => items.length)") == 0
        assert_no_page_errors(context, allow=("ERR_INTERNET_DISCONNECTED", "Failed to load resource"))
