"""The C2PA trust list (SIGAP_C2PA_TRUST_ANCHORS): a photo signed by a listed maker or app is
`trusted` at upload, in the stored record and in the staff API; one signed by anybody else is
valid but reported as untrusted, without becoming suspicious for it."""

from __future__ import annotations

import orjson
import pytest

from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from tests.integration.intake.conftest import running_intake
from tests.support.governance import complaint_body, fresh_photo, submit, upload_photo
from tests.unit.intake.images import C2paAuthority, c2pa_signed

pytestmark = pytest.mark.integration


async def test_listed_signers_are_trusted_and_others_reported_untrusted(infra, databases, tmp_path):
    maker, stranger = C2paAuthority("Camera Maker CA"), C2paAuthority("Unknown App CA")
    anchors = tmp_path / "c2pa-trust-anchors.pem"
    anchors.write_bytes(maker.pem)
    async with running_intake(infra, databases, tmp_path / "photos", c2pa_trust_anchors=anchors) as intake:
        trusted = await upload_photo(intake.client, c2pa_signed(fresh_photo(), authority=maker))
        assert trusted["verdict"] == "verified_live" and trusted["reasons"] == []
        assert trusted["content_credentials"]["state"] == "trusted" and trusted["content_credentials"]["trusted"] is True

        untrusted = await upload_photo(intake.client, c2pa_signed(fresh_photo(), authority=stranger))
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

        description = "Lampu lalu lintas di simpang Ramanda mati sejak pagi"
        body = complaint_body(description, "lampu_lalu_lintas", photos=[trusted["id"], untrusted["id"]])
        receipt = await submit(intake.client, body)
        assert receipt["photo_verdict"] == "verified_live"
        staff = await intake.client.get(
            f"/internal/v1/complaints/{receipt['id']}/photos",
            headers={"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"},
        )
        shown = {photo["photo_id"]: photo for photo in staff.json()["photos"]}
        assert shown[trusted["id"]]["content_credentials"]["trusted"] is True
        assert shown[untrusted["id"]]["content_credentials"] == {
            "state": "valid", "trusted": False, "claim_generator": "sigap-test-camera"
        }
        assert [reason["code"] for reason in shown[untrusted["id"]]["reasons"]] == ["content_credentials_untrusted"]


async def test_without_a_trust_list_a_valid_signature_is_untrusted(intake):
    signed = await upload_photo(intake.client, c2pa_signed(fresh_photo()))
    assert signed["verdict"] == "verified_live"
    assert signed["content_credentials"]["state"] == "valid" and signed["content_credentials"]["trusted"] is False
    assert [reason["code"] for reason in signed["reasons"]] == ["content_credentials_untrusted"]
