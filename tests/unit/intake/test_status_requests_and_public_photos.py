"""Pure rules behind status's requests and the public photo copies: which photos may become
after-photos, who may see an identity, which photos the public sees, and what a public copy
keeps of the original (the pixels, upright; nothing else)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime

from PIL import Image

from sigap_intake import domain
from sigap_intake.photos import checks as photo_checks
from tests.unit.intake.images import (
    DEPOK_EXAMPLE,
    camera_photo_with_everything,
    exif_for,
    jpeg_metadata_markers,
    scene,
)


def test_photos_in_use_elsewhere_cannot_become_after_photos():
    mine, other = uuid.uuid4(), uuid.uuid4()
    free, evidence, already_mine, others = (uuid.uuid4() for _ in range(4))
    uses = {free: (None, None), evidence: (other, None), already_mine: (None, mine), others: (None, other)}
    assert domain.photos_in_use(uses, complaint_id=mine) == [evidence, others]


def test_only_the_city_admin_may_see_identities():
    assert domain.may_reveal_identity("city_admin")
    for role in ("department_staff", "field_officer", "City_Admin", "city_admin "):
        assert not domain.may_reveal_identity(role)


def test_revealed_identity_stays_out_of_its_repr():
    revealed = domain.RevealedIdentity(
        complaint_id=uuid.uuid4(), privacy="rahasia", name="Ratna", phone="0813", email="r@example.id",
        audit_id=uuid.uuid4(),
    )
    assert "Ratna" not in repr(revealed) and "r@example.id" not in repr(revealed)


def test_which_photos_the_public_sees():
    photo, other = uuid.uuid4(), uuid.uuid4()

    def public(listed=False, status=None, announced=()):
        return domain.photo_is_public(
            photo_id=photo, evidence_listed_publicly=listed, after_photo_status=status, announced_after_photos=announced
        )

    assert public(listed=True)
    assert not public()
    assert not public(status="dalam_proses")
    assert public(status="selesai")
    assert public(status="selesai", announced=(photo, other))
    assert not public(status="selesai", announced=(other,))
    assert not public(status="dibuka_kembali", announced=(photo,))


def test_public_copy_keeps_only_the_pixels_turned_upright():
    original = camera_photo_with_everything(7, taken_at=datetime.now(UTC), gps=DEPOK_EXAMPLE)
    assert len(jpeg_metadata_markers(original)) == 5
    copy = photo_checks.public_copy(original)
    assert jpeg_metadata_markers(copy) == ["APP0:JFIF"]
    # A portrait photo stored sideways with an orientation tag comes out upright.
    exif = exif_for(taken_at=None)
    exif[0x0112] = 6  # rotate 90° clockwise to display
    sideways = io.BytesIO()
    scene(8, size=(400, 300)).save(sideways, "JPEG", exif=exif)
    upright = Image.open(io.BytesIO(photo_checks.public_copy(sideways.getvalue())))
    assert upright.size == (300, 400) and not upright.getexif()
