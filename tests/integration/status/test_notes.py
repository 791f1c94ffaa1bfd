"""Internal notes stay among staff; messages to the reporter show in the public timeline."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration


async def test_internal_notes_and_reporter_messages(status_api):
    api = status_api
    admin, headers = await api.staff("dept_admin", "DISHUB")
    _, supporting_headers = await api.staff("dept_admin", "DLH")
    _, auditor_headers = await api.staff("auditor")
    complaint_id = await api.seed_complaint(department="DISHUB", supporting=["DLH"])
    photo = str(uuid.uuid4())

    internal = await api.note(complaint_id, supporting_headers, "Tiang lampu miring, perlu truk crane", photo_ids=[photo])
    assert internal.status_code == 201, internal.text
    message = await api.note(complaint_id, headers, "Petugas dijadwalkan datang besok pagi", visibility="reporter")
    assert message.status_code == 201
    # A supporting department works along but does not speak for the lead to the reporter.
    refused = await api.client.post(
        f"/v1/complaints/{complaint_id}/notes", json={"body": "Halo", "visibility": "reporter"}, headers=supporting_headers
    )
    assert refused.status_code == 403
    read_only = await api.client.post(f"/v1/complaints/{complaint_id}/notes", json={"body": "x"}, headers=auditor_headers)
    assert read_only.status_code == 403
    blank = await api.client.post(f"/v1/complaints/{complaint_id}/notes", json={"body": "   "}, headers=headers)
    assert blank.status_code == 422
    invisible = await api.client.post(
        f"/v1/complaints/{complaint_id}/notes", json={"body": "\u200b\u200d\u3164", "visibility": "reporter"}, headers=headers
    )
    assert invisible.status_code == 422
    _, outsider = await api.staff("dept_admin", "DISKES")
    hidden = await api.client.post(f"/v1/complaints/{complaint_id}/notes", json={"body": "x"}, headers=outsider)
    assert hidden.status_code == 404

    staff_view = (await api.client.get(f"/v1/staff/complaints/{complaint_id}", headers=headers)).json()
    bodies = {entry["detail"].get("body") for entry in staff_view["timeline"]}
    assert {"Tiang lampu miring, perlu truk crane", "Petugas dijadwalkan datang besok pagi"} <= bodies
    public = (await api.client.get(f"/v1/complaints/{complaint_id}")).json()
    public_bodies = {entry["detail"].get("body") for entry in public["timeline"]}
    assert "Petugas dijadwalkan datang besok pagi" in public_bodies
    assert "Tiang lampu miring, perlu truk crane" not in str(public) and photo not in str(public) and admin not in str(public)
