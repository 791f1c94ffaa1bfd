"""The location check and the PhotoVerified events of photos judged against a complaint."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sigap_intake import domain
from sigap_intake.photos import checks
from sigap_intake.photos.judging import rejudge
from sigap_intake.photos.repository import PhotoRow
from sigap_shared.events import PhotoVerified, decode, encode

DEPOK = (-6.3925, 106.8226)
JAKARTA = (-6.1754, 106.8272)


def test_the_location_check_gives_the_distance_and_a_reason_only_when_too_far():
    assert checks.location_check(None, reported=DEPOK, max_distance_m=1000) == (None, None)
    assert checks.location_check(DEPOK, reported=None, max_distance_m=1000) == (None, None)
    near, reason = checks.location_check((-6.3930, 106.8230), reported=DEPOK, max_distance_m=1000)
    assert 50 < near < 100 and reason is None
    far, reason = checks.location_check(JAKARTA, reported=DEPOK, max_distance_m=1000)
    assert 23_000 < far < 26_000
    assert reason is not None and reason.code == "gps_far_from_location" and reason.details["distance_m"] == far


def _row(gps, *, verdict="verified_live", reasons=()):
    return PhotoRow(id=uuid.uuid4(), complaint_id=None, reasons=tuple(reasons), gps=gps, verdict=verdict)


def test_rejudging_replaces_an_earlier_location_reason_and_remembers_the_upload_verdict():
    _, stale = checks.location_check(JAKARTA, reported=DEPOK, max_distance_m=1000)
    row = _row(DEPOK, verdict="suspicious", reasons=[stale])
    judged = rejudge(row, together_with=set(), category=None, reported=DEPOK, policy=checks.PhotoPolicy())
    assert judged.verdict == "verified_live" and judged.reasons == ()
    assert judged.upload_verdict == "suspicious" and judged.location_distance_m == 0
    unplaced = rejudge(_row(None), together_with=set(), category=None, reported=DEPOK, policy=checks.PhotoPolicy())
    assert unplaced.location_distance_m is None


def test_each_judged_photo_becomes_a_photo_verified_event_without_positions():
    policy = checks.PhotoPolicy()
    far = rejudge(_row(JAKARTA), together_with=set(), category=None, reported=DEPOK, policy=policy)
    unplaced = rejudge(_row(None), together_with=set(), category=None, reported=DEPOK, policy=policy)
    complaint_id = uuid.uuid4()
    envelopes = domain.photo_verified_events(
        complaint_id=complaint_id, tracking_code="SGP-ABCD-EF", photos=[far, unplaced], verified_at=datetime.now(UTC)
    )
    events = [decode(encode(envelope).headers, encode(envelope).value).data for envelope in envelopes]
    assert all(isinstance(event, PhotoVerified) and event.complaint_id == complaint_id for event in events)
    assert [event.photo_id for event in events] == [far.id, unplaced.id]
    assert events[0].verdict == "suspicious" and events[0].upload_verdict == "verified_live"
    assert events[0].reasons == ("gps_far_from_location",) and events[0].location_compared
    assert events[0].distance_m == far.location_distance_m
    assert not events[1].location_compared and events[1].distance_m is None and events[1].verdict == "verified_live"
    assert encode(envelopes[0]).key == str(complaint_id).encode()
