"""Intake's pure submission rules added for photos and retries: photo counts, the worst
verdict, what a photo's evidence says in the event, and receipts surviving storage."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from sigap_intake import domain
from sigap_intake.photos.checks import Reason
from sigap_shared.events import encode
from tests.support.factories import submit_command

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _command(**overrides) -> domain.SubmitComplaint:
    """A public complaint without reporter contact, unless `overrides` give one."""
    return submit_command(**{"reporter": None, **overrides})


def test_photo_count_follows_the_setting_and_duplicates_are_refused():
    with pytest.raises(domain.IntakeError) as caught:
        domain.accept(_command(), complaint_id=uuid.uuid4(), now=NOW, min_photos=1)
    assert caught.value.field == "photos"
    one = (uuid.uuid4(),)
    domain.accept(_command(photo_ids=one), complaint_id=uuid.uuid4(), now=NOW, min_photos=1)
    with pytest.raises(domain.IntakeError):
        domain.accept(_command(photo_ids=one * 2), complaint_id=uuid.uuid4(), now=NOW)
    with pytest.raises(domain.IntakeError):
        domain.accept(
            _command(photo_ids=tuple(uuid.uuid4() for _ in range(6))), complaint_id=uuid.uuid4(), now=NOW
        )


def test_event_carries_photo_verdicts_and_linked_complaints_but_no_exif():
    earlier_complaint = uuid.uuid4()
    reused = Reason("reused_photo", "mirip", "similar", {"earlier_photo_id": str(uuid.uuid4()),
                                                          "earlier_complaint_id": str(earlier_complaint), "distance": 3})
    photos = (
        domain.AttachedPhoto(id=uuid.uuid4(), verdict="verified_live"),
        domain.AttachedPhoto(id=uuid.uuid4(), verdict="suspicious", reasons=(reused,)),
    )
    accepted = domain.accept(_command(photo_ids=tuple(p.id for p in photos)), complaint_id=uuid.uuid4(), now=NOW)
    accepted = type(accepted)(**{**{f: getattr(accepted, f) for f in accepted.__slots__}, "photos": photos})
    assert accepted.photo_verdict == "suspicious"
    event = domain.submitted_event(accepted).data
    assert event.photo_verdict == "suspicious"
    assert event.photos[1].reasons == ("reused_photo",)
    assert event.photos[1].similar_to_complaints == (earlier_complaint,)
    wire = encode(domain.submitted_event(accepted)).value
    assert b"distance" not in wire and b"mirip" not in wire


def test_receipt_survives_its_stored_form():
    photo = domain.AttachedPhoto(
        id=uuid.uuid4(), verdict="suspicious", reasons=(Reason("old_photo", "lama", "old", {"taken_at": "x"}),)
    )
    receipt = domain.ComplaintReceipt(
        id=uuid.uuid4(), tracking_code="SGP-2345-67", follow_up_token="t", photo_verdict="suspicious", photos=(photo,)
    )
    assert domain.ComplaintReceipt.from_json(receipt.to_json()) == receipt
