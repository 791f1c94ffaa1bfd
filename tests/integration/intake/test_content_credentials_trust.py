"""The C2PA trust list (SIGAP_C2PA_TRUST_ANCHORS): a photo signed by a listed maker or app is
`trusted` at upload, in the stored record and in the staff API; one signed by anybody else is
valid but reported as untrusted, without becoming suspicious for it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest

from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from tests.integration.intake.conftest import running_intake
from tests.unit.intake.images import C2paAuthority, c2pa_signed, camera_photo

pytestmark = pytest.mark.integration

DEPOK = (-6.3925, 106.8226)


def _seed() -> int:
    return uuid.uuid4().int % 10**9


async def _upload(intake, data: bytes) -> dict:
    session = await intake.client.post("/v1/capture-sessions")
    response = await intake.client.post(
        "/v1/photos",
        data={"capture_token": session.json()["capture_token"]},
        files={"file": ("IMG_0001.jpg", data, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_listed_signers_are_trusted_and_others_reported_untrusted(infra, databases, tmp_path):
    maker, stranger = C2paAuthority("Camera Maker CA"), C2paAuthority("Unknown App CA")
    anchors = tmp_path / "c2pa-trust-anchors.pem"
    anchors.write_bytes(maker.pem)
    async with running_intake(infra, databases, tmp_path / "photos", c2pa_trust_anchors=anchors) as intake:
        trusted = await _upload(intake, c2pa_signed(camera_photo(_seed(), taken_at=datetime.now(UTC)), authority=maker))
        assert trusted["verdict"] == "verified_live" and trusted["reasons"] == []
        assert trusted["content_credentials"]["state"] == "trusted" and trusted["content_credentials"]["trusted"] is True

        untrusted = await _upload(
            intake, c2pa_signed(camera_photo(_seed(), taken_at=datetime.now(UTC)), authority=stranger)
        )
        assert untrusted["verdict"] == "verified_live"
        assert untrusted["content_credentials"]["state"] == "valid" and untrusted["content_credentials"]["trusted"] is False
        assert [reason["code"] for reason in untrusted["reasons"]] == ["content_credentials_untrusted"]

        stored = {
            str(row["id"]): orjson.loads(row["content_credentials"])
            for row in await intake.pool.fetch(
                "SELECT id, content_credentials FROM photos WHERE id = ANY($1::uuid[])", [trusted["id"], untrusted["id"]]
            )
        }
        assert stored[trusted["id"]]["trusted"] is True and stored[untrusted["id"]]["trusted"] is False

        complaint = await intake.client.post(
            "/v1/complaints",
            json={
                "kind": "pengaduan",
                "description": "Lampu lalu lintas di simpang Ramanda mati sejak pagi",
                "category": "lampu_lalu_lintas",
                "location": {"lat": DEPOK[0], "lon": DEPOK[1]},
                "privacy": "publik",
                "photos": [trusted["id"], untrusted["id"]],
            },
        )
        assert complaint.status_code == 201, complaint.text
        assert complaint.json()["photo_verdict"] == "verified_live"
        staff = await intake.client.get(
            f"/internal/v1/complaints/{complaint.json()['id']}/photos",
            headers={"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"},
        )
        shown = {photo["photo_id"]: photo for photo in staff.json()["photos"]}
        assert shown[trusted["id"]]["content_credentials"]["trusted"] is True
        assert shown[untrusted["id"]]["content_credentials"] == {
            "state": "valid", "trusted": False, "claim_generator": "sigap-test-camera"
        }
        assert [reason["code"] for reason in shown[untrusted["id"]]["reasons"]] == ["content_credentials_untrusted"]


async def test_without_a_trust_list_a_valid_signature_is_untrusted(intake):
    signed = await _upload(intake, c2pa_signed(camera_photo(_seed(), taken_at=datetime.now(UTC))))
    assert signed["verdict"] == "verified_live"
    assert signed["content_credentials"]["state"] == "valid" and signed["content_credentials"]["trusted"] is False
    assert [reason["code"] for reason in signed["reasons"]] == ["content_credentials_untrusted"]
