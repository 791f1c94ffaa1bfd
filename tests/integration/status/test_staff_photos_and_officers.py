"""What the dashboard's complaint page asks status for: the complaint's photos with their
live-photo verdicts and reasons (asked of a real intake, only for staff who may see the
complaint) and each photo stripped of its metadata; and the department's field officers to
assign. Staff of another department get the 404 of an unknown complaint, or 403 for a list."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from tests.integration.status.intake_support import (
    import_complaint,
    live_photo,
    photo_without_exif,
    status_calling_intake,
)

pytestmark = pytest.mark.integration

# SIGAP_PHOTO_GPS_MAX_DISTANCE_M's default: a live photo is taken within it.
photo_api_max_distance_m = 1000


@pytest.fixture
def photo_api(status_api):
    return status_api


async def test_staff_of_the_department_see_its_photos_with_verdicts_and_no_one_else(photo_api, live_intake):
    api, live = photo_api, live_intake
    live_one = await live.upload(live_photo())
    bare = await live.upload(photo_without_exif())
    complaint_id = await live.submit(photos=[live_one["id"], bare["id"]])
    await import_complaint(api, live, complaint_id, department="DISHUB")
    _, dishub = await api.staff("dept_admin", "DISHUB")
    _, dpupr = await api.staff("dept_admin", "DPUPR")
    _, auditor = await api.staff("auditor")
    _, officer = await api.staff("field_officer", "DISHUB")
    path = f"/v1/staff/complaints/{complaint_id}/photos"

    async with status_calling_intake(api, live.url):
        listed = await api.client.get(path, headers={**dishub, "Accept-Language": "en"})
        assert listed.status_code == 200, listed.text
        photos = {photo["photo_id"]: photo for photo in listed.json()}
        assert set(photos) == {live_one["id"], bare["id"]}
        assert photos[live_one["id"]]["verdict"] == live_one["verdict"]
        assert photos[bare["id"]]["verdict"] != "verified_live"
        codes = [reason["code"] for reason in photos[bare["id"]]["reasons"]]
        assert "no_exif" in codes
        assert all(reason["message"] for reason in photos[bare["id"]]["reasons"])
        assert all(photo["role"] == "evidence" for photo in photos.values())
        # Where each photo was taken, compared with the reported location: a distance only.
        assert photos[live_one["id"]]["location_compared"] is True
        assert photos[live_one["id"]]["location_distance_m"] < photo_api_max_distance_m
        assert photos[bare["id"]]["location_compared"] is False and photos[bare["id"]]["location_distance_m"] is None
        assert photos[live_one["id"]]["content_credentials"] is None

        image = await api.client.get(photos[live_one["id"]]["url"], headers=dishub)
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        picture = Image.open(io.BytesIO(image.content))
        assert picture.format == "JPEG" and not picture.getexif()  # GPS and device stripped

        assert (await api.client.get(path, headers=auditor)).status_code == 200
        # Another department, or an officer it is not assigned to: as if it did not exist.
        for headers in (dpupr, officer):
            refused = await api.client.get(path, headers=headers)
            assert refused.status_code == 404 and refused.json()["type"] == "/problems/complaint-not-found"
            assert (await api.client.get(photos[live_one["id"]]["url"], headers=headers)).status_code == 404
        # A photo of another complaint is not reachable through this one.
        other_photo = await live.upload(live_photo())
        other_id = await live.submit(photos=[other_photo["id"]])
        await import_complaint(api, live, other_id, department="DISHUB")
        crossed = await api.client.get(f"{path}/{other_photo['id']}", headers=dishub)
        assert crossed.status_code == 404 and crossed.json()["type"] == "/problems/photo-not-found"
        assert (await api.client.get(f"{path}/{uuid.uuid4()}", headers=dishub)).status_code == 404
        assert (await api.client.get(f"{path}/not-a-uuid", headers=dishub)).status_code == 422


async def test_without_intake_the_photos_are_unavailable_not_an_error(photo_api, live_intake):
    api, live = photo_api, live_intake
    complaint_id = await live.submit()
    await import_complaint(api, live, complaint_id, department="DISHUB")
    _, dishub = await api.staff("dept_admin", "DISHUB")
    answer = await api.client.get(f"/v1/staff/complaints/{complaint_id}/photos", headers=dishub)
    assert answer.status_code == 503 and answer.json()["type"] == "/problems/intake-unavailable"


async def test_the_department_admin_lists_their_active_field_officers(photo_api):
    api = photo_api
    department = "D" + uuid.uuid4().hex[:8].upper()
    first = await api.create_user("field_officer", department)
    second = await api.create_user("field_officer", department)
    await api.create_user("field_officer", "DPUPR")
    _, admin = await api.staff("dept_admin", department)
    _, other = await api.staff("dept_admin", "DPUPR")
    _, city = await api.staff("city_admin")
    path = f"/v1/staff/departments/{department}/officers"
    listed = await api.client.get(path, headers=admin)
    assert listed.status_code == 200 and listed.json() == [{"username": name} for name in sorted([first, second])]
    assert (await api.client.get(path, headers=city)).json() == listed.json()
    refused = await api.client.get(path, headers=other)
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/forbidden"
    await api.pool.execute("UPDATE staff_users SET active = false WHERE username = $1", first)
    assert (await api.client.get(path, headers=admin)).json() == [{"username": second}]
    assert (await api.client.get("/v1/staff/departments/bad code/officers", headers=admin)).status_code == 422


async def test_a_copied_photo_names_the_earlier_photo_only_to_staff_who_may_see_its_complaint(
    photo_api, infra, databases, tmp_path
):
    from PIL import ImageOps

    from tests.integration.intake.conftest import running_intake
    from tests.integration.notify.support import serve_asgi
    from tests.integration.status.intake_support import LiveIntake
    from tests.unit.intake.images import jpeg, textured_scene

    api = photo_api
    # Reuse only flagged, so each copy can be the evidence of a complaint of its own; mirrored and
    # rotated copies are found by the opt-in multi-view check (SIGAP_PHOTO_REUSE_VIEWS).
    async with (
        running_intake(
            infra, databases, tmp_path / "intake-photos", photo_reject_reasons={"*": []}, photo_reuse_views=True
        ) as intake,
        serve_asgi(intake.app) as url,
    ):
        live = LiveIntake(intake=intake, url=url)
        original = textured_scene(uuid.uuid4().int % 10**9)
        first = await live.upload(jpeg(original))
        earlier = await live.submit(photos=[first["id"]])
        await import_complaint(api, live, earlier, department="DISHUB")
        same_department = await live.upload(jpeg(ImageOps.mirror(original), quality=70))
        copy_dishub = await live.submit(photos=[same_department["id"]])
        await import_complaint(api, live, copy_dishub, department="DISHUB")
        other_department = await live.upload(jpeg(original.rotate(90, expand=True), quality=75))
        copy_dpupr = await live.submit(photos=[other_department["id"]])
        await import_complaint(api, live, copy_dpupr, department="DPUPR")
        _, dishub = await api.staff("dept_admin", "DISHUB")
        _, dpupr = await api.staff("dept_admin", "DPUPR")

        async with status_calling_intake(api, url):
            listed = await api.client.get(f"/v1/staff/complaints/{copy_dishub}/photos", headers=dishub)
            assert listed.status_code == 200, listed.text
            [photo] = listed.json()
            [match] = photo["matches"]
            assert match["earlier_complaint_visible"] is True
            assert match["earlier_photo_id"] == first["id"] and match["earlier_complaint_id"] == str(earlier)
            assert match["strength"] == "strong" and 0 < match["confidence"] <= 1
            assert match["checks"] == ["dihedral_view_hashes", "orb_ransac"] and match["message"]
            followed = await api.client.get(match["earlier_photo_url"], headers=dishub)
            assert followed.status_code == 200 and followed.headers["content-type"] == "image/jpeg"

            # DPUPR's copy matches DISHUB's photos: DPUPR learns there is a match, not whose.
            listed = await api.client.get(f"/v1/staff/complaints/{copy_dpupr}/photos", headers=dpupr)
            assert listed.status_code == 200, listed.text
            [photo] = listed.json()
            assert photo["matches"], photo
            for match in photo["matches"]:
                assert match["earlier_complaint_visible"] is False
                assert match["earlier_photo_id"] is None and match["earlier_complaint_id"] is None
                assert match["earlier_photo_url"] is None and match["earlier_complaint_url"] is None
            assert str(earlier) not in listed.text and first["id"] not in listed.text
