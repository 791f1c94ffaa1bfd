"""Staff read the SLA targets and days off status actually counts with (read-only, with how to
change them), from the same policy the lifecycle uses."""

from __future__ import annotations

from datetime import date

import pytest


pytestmark = pytest.mark.integration


@pytest.fixture
async def api(status_api):
    settings = status_api.settings.model_copy(
        update={
            "sla_verify_days": 2,
            "sla_finish_days": 7,
            "sla_category_days": {"lampu_jalan": (1, 3)},
            "sla_extra_days_off": ("2026-04-27",),
        }
    )
    status_api.reconfigure(settings)
    return status_api


async def test_staff_read_the_targets_and_days_off_in_use(api):
    _, headers = await api.staff("dept_admin", "DISHUB")
    answer = await api.client.get("/v1/staff/sla-settings", headers=headers, params={"year": 2026})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["verify_days"], body["finish_days"], body["editable"]) == (2, 7, False)
    assert body["per_category"] == [{"category": "lampu_jalan", "verify_days": 1, "finish_days": 3}]
    days = {d["date"]: d for d in body["days_off"]}
    assert days["2026-08-17"]["source"] == "national"
    assert days["2026-04-27"] == {"date": "2026-04-27", "name": "Hari libur kota", "source": "city"}
    policy = api.app.state.context.sla_policy
    assert all(not policy.calendar.is_working_day(date.fromisoformat(day)) for day in days)
    assert "SIGAP_SLA_CATEGORY_DAYS" in body["how_to_change"]
    english = await api.client.get(
        "/v1/staff/sla-settings", headers={**headers, "Accept-Language": "en"}, params={"year": 2026}
    )
    assert "restart the status service" in english.json()["how_to_change"]
    assert (await api.client.get("/v1/staff/sla-settings")).status_code == 401
    assert (await api.client.get("/v1/staff/sla-settings", headers=headers, params={"year": 1})).status_code == 422
