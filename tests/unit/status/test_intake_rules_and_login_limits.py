"""Pure rules around status's calls to intake and its staff logins: which after-photos finish a
complaint, who may see a reporter's identity, the assignment and reporter-message events, when
failed logins are throttled, and the settings production refuses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from sigap_shared.auth import StaffPrincipal
from sigap_shared.events import (
    TOPIC_COMPLAINT_STATUS,
    ComplaintAssigned,
    ComplaintReporterMessagePosted,
    ReporterRef,
    decode,
    encode,
)
from sigap_status.auth import rules as auth_rules
from sigap_status.lifecycle import events as lifecycle_events
from sigap_status.lifecycle import rules as domain
from sigap_status.intake.client import RevealedIdentity
from sigap_status.settings import StatusSettings

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
REPORTER = ReporterRef(pseudonym="Pelapor-7KQ2", channels=("sms", "email"))


def _complaint(**overrides) -> domain.ComplaintView:
    fields = dict(
        id=uuid.uuid4(), tracking_code="SGP-ABCD-EF", status="terverifikasi", department="DISHUB", version=4,
        assigned_officer="petugas.andi", reporter=REPORTER,
    )
    fields.update(overrides)
    return domain.ComplaintView(**fields)


# -- after-photos ---------------------------------------------------------------------------


def test_one_live_after_photo_is_enough():
    live, gallery = uuid.uuid4(), uuid.uuid4()
    domain.check_after_photos_live([(gallery, "suspicious", ("no_exif",)), (live, "verified_live", ())])


@pytest.mark.parametrize("verdicts", [["suspicious"], ["rejected"], ["suspicious", "rejected"]])
def test_without_a_live_after_photo_each_failed_photo_is_named_with_its_reasons(verdicts):
    photos = [(uuid.uuid4(), verdict, (f"reason_{index}",)) for index, verdict in enumerate(verdicts)]
    with pytest.raises(domain.AfterPhotosNotLive) as refused:
        domain.check_after_photos_live(photos)
    assert refused.value.failed == photos
    assert isinstance(refused.value, domain.LifecycleError)


# -- identities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "department", "allowed"),
    [
        ("city_admin", None, True),
        ("auditor", None, False),
        ("dept_admin", "DISHUB", False),
        ("field_officer", "DISHUB", False),
    ],
)
def test_only_the_city_admin_may_see_who_the_reporter_is(role, department, allowed):
    staff = StaffPrincipal(username="petugas.andi", role=role, department=department)
    complaint = _complaint()
    assert domain.can_see(staff, complaint)  # everyone here can see the complaint itself
    if allowed:
        domain.check_may_reveal_identity(staff, complaint)
    else:
        with pytest.raises(domain.NotPermitted):
            domain.check_may_reveal_identity(staff, complaint)


def test_a_revealed_identity_does_not_show_itself_in_reprs():
    identity = RevealedIdentity(
        complaint_id=uuid.uuid4(), privacy="rahasia", name="Ratna", phone="0812", email="r@example.com",
        audit_id=uuid.uuid4(),
    )
    assert "Ratna" not in repr(identity) and "r@example.com" not in repr(identity) and "0812" not in repr(identity)


# -- events ---------------------------------------------------------------------------------


def test_assignment_event_names_the_new_and_previous_officer():
    complaint = _complaint()
    envelope = lifecycle_events.assignment_event(
        complaint, officer="petugas.budi", actor_name="admin.dishub", actor_role="dept_admin", now=NOW
    )
    assigned = envelope.data
    assert isinstance(assigned, ComplaintAssigned) and envelope.topic == TOPIC_COMPLAINT_STATUS
    assert (assigned.officer, assigned.previous_officer) == ("petugas.budi", "petugas.andi")
    assert (assigned.department, assigned.actor, assigned.actor_role, assigned.assigned_at) == (
        "DISHUB", "admin.dishub", "dept_admin", NOW
    )
    unassigned = lifecycle_events.assignment_event(
        _complaint(assigned_officer="petugas.budi"), officer=None, actor_name="admin.kota", actor_role="city_admin", now=NOW
    ).data
    assert (unassigned.officer, unassigned.previous_officer) == (None, "petugas.budi")


def test_reporter_message_event_reaches_the_reporter_by_pseudonym_only():
    message_id = uuid.uuid4()
    envelope = lifecycle_events.reporter_message_event(
        _complaint(), message_id=message_id, body="Petugas datang besok", actor_name="admin.dishub",
        actor_role="dept_admin", now=NOW,
    )
    assert envelope.id == message_id
    posted = decode(*_record_parts(envelope)).data
    assert isinstance(posted, ComplaintReporterMessagePosted)
    assert posted.message_id == message_id and posted.body == "Petugas datang besok"
    assert posted.reporter == REPORTER and posted.tracking_code == "SGP-ABCD-EF"


def _record_parts(envelope):
    record = encode(envelope)
    return record.headers, record.value


# -- failed logins --------------------------------------------------------------------------

LIMITS = auth_rules.LoginLimits(max_per_username=5, max_per_ip=30, window_s=900)


def test_up_to_the_limit_attempts_check_their_password():
    # The counts include the attempt being judged: the fifth attempt is the fifth check.
    assert auth_rules.login_retry_after([], limits=LIMITS, now=NOW) is None
    assert auth_rules.login_retry_after([("username", 5, NOW), ("ip", 30, NOW)], limits=LIMITS, now=NOW) is None


def test_past_the_limit_attempts_wait_until_the_window_closes():
    opened = NOW - timedelta(seconds=100.5)
    assert auth_rules.login_retry_after([("username", 6, opened)], limits=LIMITS, now=NOW) == 800
    assert auth_rules.login_retry_after([("ip", 31, opened)], limits=LIMITS, now=NOW) == 800
    # The longest wait wins when both are over.
    both = [("username", 6, NOW - timedelta(seconds=800)), ("ip", 31, NOW - timedelta(seconds=10))]
    assert auth_rules.login_retry_after(both, limits=LIMITS, now=NOW) == 890


def test_a_closed_window_no_longer_throttles():
    closed = NOW - timedelta(seconds=900)
    assert auth_rules.login_retry_after([("username", 50, closed)], limits=LIMITS, now=NOW) is None


def test_failures_are_counted_per_username_and_per_address():
    assert auth_rules.login_subjects(username="andi", client_ip="10.1.2.3") == [("username", "andi"), ("ip", "10.1.2.3")]
    assert auth_rules.login_subjects(username="andi", client_ip=None) == [("username", "andi")]


# -- settings -------------------------------------------------------------------------------

PRODUCTION = dict(environment="production", pg_password="pg-secret-x", jwt_secret="jwt-secret-that-is-long-enough-123")


def test_production_needs_the_intake_url_and_token():
    with pytest.raises(ValidationError, match="SIGAP_INTAKE_INTERNAL_URL"):
        StatusSettings(**PRODUCTION, internal_token="t")
    with pytest.raises(ValidationError, match="SIGAP_INTERNAL_TOKEN still has the development default"):
        StatusSettings(**PRODUCTION, intake_internal_url="http://intake:8000")
    settings = StatusSettings(**PRODUCTION, intake_internal_url="http://intake:8000", internal_token="t")
    assert settings.intake_internal_url == "http://intake:8000"


def test_development_may_run_without_intake():
    assert StatusSettings(environment="development").intake_internal_url is None


# -- merging duplicates ---------------------------------------------------------------------


def test_a_complaint_merges_only_into_an_earlier_one_still_handled():
    earlier, later = NOW - timedelta(hours=2), NOW
    domain.check_merge_target(submitted_at=later, original_status="dalam_proses", original_submitted_at=earlier)
    domain.check_merge_target(submitted_at=later, original_status="selesai", original_submitted_at=earlier)
    with pytest.raises(domain.MissingInformation, match="earlier"):
        domain.check_merge_target(submitted_at=earlier, original_status="diterima", original_submitted_at=later)
    with pytest.raises(domain.MissingInformation, match="rejected"):
        domain.check_merge_target(submitted_at=later, original_status="ditolak", original_submitted_at=earlier)


def test_the_same_after_photo_twice_is_refused_before_intake_is_asked():
    photo = uuid.uuid4()
    request = domain.TransitionRequest(
        to="selesai", expected_version=4, resolution_note="Beres", after_photo_ids=(photo, photo)
    )
    with pytest.raises(domain.MissingInformation) as refused:
        domain.decide_transition(
            _complaint(status="dalam_proses"), request, actor_kind="dept_admin", actor_name="admin", now=NOW
        )
    assert refused.value.field == "after_photo_ids"
