"""The lifecycle state machine: every (state, target, actor) combination, and what each
transition needs."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest

from sigap_shared.auth import StaffPrincipal
from sigap_shared.events import ComplaintStatusChanged, encode
from sigap_status.lifecycle import rules as domain

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ACTORS = ("city_admin", "dept_admin", "field_officer", "auditor", "reporter")
STATES = domain.STATUSES

# The rules, written out independently of domain.PERMITTED so a change there is caught.
EXPECTED_ALLOWED = {
    ("diterima", "terverifikasi"): {"city_admin", "dept_admin"},
    ("diterima", "ditolak"): {"city_admin", "dept_admin"},
    ("terverifikasi", "dalam_proses"): {"city_admin", "dept_admin", "field_officer"},
    ("terverifikasi", "ditolak"): {"city_admin", "dept_admin"},
    ("dalam_proses", "selesai"): {"city_admin", "dept_admin", "field_officer"},
    ("selesai", "dibuka_kembali"): {"city_admin", "reporter"},
    ("dibuka_kembali", "dalam_proses"): {"city_admin", "dept_admin", "field_officer"},
}


def _complaint(status, version=3, *, department="DISHUB", **fields):
    return domain.ComplaintView(
        id=uuid.uuid4(), tracking_code="SGP-ABCD-EF", status=status, department=department, version=version, **fields
    )


def _complete_request(to, version=3):
    return domain.TransitionRequest(
        to=to,
        expected_version=version,
        reason={"ditolak": "spam", "dibuka_kembali": "Lampu mati lagi"}.get(to),
        resolution_note="Lampu sudah diganti" if to == "selesai" else None,
        after_photo_ids=(uuid.uuid4(),) if to == "selesai" else (),
    )


@pytest.mark.parametrize(("current", "wanted", "actor"), list(itertools.product(STATES, STATES, ACTORS)))
def test_every_transition_for_every_actor(current, wanted, actor):
    complaint = _complaint(current)
    request = _complete_request(wanted)
    if actor in EXPECTED_ALLOWED.get((current, wanted), set()):
        envelope = domain.decide_transition(complaint, request, actor_kind=actor, actor_name="budi", now=NOW)
        change = envelope.data
        assert isinstance(change, ComplaintStatusChanged)
        assert (change.previous_status, change.status, change.actor, change.actor_role) == (current, wanted, "budi", actor)
        assert change.complaint_id == complaint.id
    elif not any(actor in actors for (_, w), actors in EXPECTED_ALLOWED.items() if w == wanted):
        # No state lets this actor make this change: a matter of role (403), not of state.
        with pytest.raises(domain.NotPermitted):
            domain.decide_transition(complaint, request, actor_kind=actor, actor_name="budi", now=NOW)
    else:
        with pytest.raises(domain.IllegalTransition) as caught:
            domain.decide_transition(complaint, request, actor_kind=actor, actor_name="budi", now=NOW)
        expected_now = sorted(w for (c, w), actors in EXPECTED_ALLOWED.items() if c == current and actor in actors)
        assert caught.value.allowed == expected_now


@pytest.mark.parametrize(("wanted", "status"), [("terverifikasi", "diterima"), ("ditolak", "diterima"), ("ditolak", "terverifikasi")])
def test_a_field_officer_verifying_or_rejecting_is_not_permitted_whatever_the_state(wanted, status):
    with pytest.raises(domain.NotPermitted) as caught:
        domain.decide_transition(
            _complaint(status, version=5), _complete_request(wanted, version=4), actor_kind="field_officer", actor_name="a", now=NOW
        )
    assert "field officer" in caught.value.message.en and "Petugas lapangan" in caught.value.message.id


def test_stale_version_is_refused_before_anything_else():
    with pytest.raises(domain.StaleVersion) as caught:
        domain.decide_transition(
            _complaint("diterima", version=5),
            _complete_request("selesai", version=4),
            actor_kind="dept_admin",
            actor_name="budi",
            now=NOW,
        )
    assert (caught.value.expected, caught.value.current) == (4, 5)


@pytest.mark.parametrize("reason", [None, "", "  ", "tidak suka", "HOAX"])
def test_rejection_needs_one_of_the_known_reasons(reason):
    request = domain.TransitionRequest(to="ditolak", expected_version=3, reason=reason)
    with pytest.raises(domain.MissingInformation) as caught:
        domain.decide_transition(_complaint("diterima"), request, actor_kind="dept_admin", actor_name="a", now=NOW)
    assert caught.value.field == "reason"


@pytest.mark.parametrize("reason", ["hoax", "spam", "out_of_scope"])
def test_rejection_with_a_known_reason_carries_it(reason):
    request = domain.TransitionRequest(to="ditolak", expected_version=3, reason=reason, note="laporan palsu")
    change = domain.decide_transition(
        _complaint("diterima"), request, actor_kind="dept_admin", actor_name="a", now=NOW
    ).data
    assert (change.reason, change.note) == (reason, "laporan palsu")


def test_duplicate_rejection_names_another_complaint():
    complaint = _complaint("diterima")
    for duplicate_of in (None, complaint.id):
        with pytest.raises(domain.MissingInformation) as caught:
            domain.decide_transition(
                complaint,
                domain.TransitionRequest(to="ditolak", expected_version=3, reason="duplicate", duplicate_of=duplicate_of),
                actor_kind="dept_admin",
                actor_name="a",
                now=NOW,
            )
        assert caught.value.field == "duplicate_of"
    original = uuid.uuid4()
    change = domain.decide_transition(
        complaint,
        domain.TransitionRequest(to="ditolak", expected_version=3, reason="duplicate", duplicate_of=original),
        actor_kind="dept_admin",
        actor_name="a",
        now=NOW,
    ).data
    assert change.duplicate_of == original


@pytest.mark.parametrize(
    ("note", "photos", "field"),
    [(None, (uuid.uuid4(),), "resolution_note"), ("  ", (uuid.uuid4(),), "resolution_note"), ("Sudah diperbaiki", (), "after_photo_ids")],
)
def test_finishing_needs_a_note_and_an_after_photo(note, photos, field):
    request = domain.TransitionRequest(to="selesai", expected_version=3, resolution_note=note, after_photo_ids=photos)
    with pytest.raises(domain.MissingInformation) as caught:
        domain.decide_transition(_complaint("dalam_proses"), request, actor_kind="field_officer", actor_name="a", now=NOW)
    assert caught.value.field == field


def test_finished_event_records_note_and_photos_on_the_wire():
    photos = (uuid.uuid4(), uuid.uuid4())
    request = domain.TransitionRequest(
        to="selesai", expected_version=3, resolution_note="Lubang ditambal", after_photo_ids=photos
    )
    envelope = domain.decide_transition(
        _complaint("dalam_proses"), request, actor_kind="field_officer", actor_name="agus", now=NOW
    )
    wire = encode(envelope).value.decode()
    assert "Lubang ditambal" in wire and all(str(photo) in wire for photo in photos)


def test_reopening_needs_a_reason():
    request = domain.TransitionRequest(to="dibuka_kembali", expected_version=3)
    with pytest.raises(domain.MissingInformation):
        domain.decide_transition(_complaint("selesai"), request, actor_kind="reporter", actor_name="pelapor", now=NOW)


def _staff(role, department="DISHUB", username="budi"):
    return StaffPrincipal(username=username, role=role, department=department if role in ("dept_admin", "field_officer") else None)


@pytest.mark.parametrize(
    ("role", "lead", "supporting", "assigned", "sees"),
    [
        ("city_admin", "DLH", (), None, True),
        ("auditor", "DLH", (), None, True),
        ("dept_admin", "DISHUB", (), None, True),
        ("dept_admin", "DLH", ("DISHUB",), None, True),
        ("dept_admin", "DLH", (), None, False),
        ("field_officer", "DISHUB", (), "budi", True),
        ("field_officer", "DISHUB", (), "agus", False),
        ("field_officer", "DISHUB", (), None, False),
        ("field_officer", "DLH", (), "budi", False),
    ],
)
def test_who_sees_a_complaint(role, lead, supporting, assigned, sees):
    complaint = _complaint("diterima", 1, department=lead, supporting_departments=supporting, assigned_officer=assigned)
    assert domain.can_see(_staff(role), complaint) is sees


def test_supporting_department_and_auditor_cannot_act():
    complaint = domain.ComplaintView(
        id=uuid.uuid4(), tracking_code="X", status="diterima", department="DLH", version=1, supporting_departments=("DISHUB",)
    )
    with pytest.raises(domain.NotPermitted):
        domain.check_may_act(_staff("dept_admin"), complaint)
    with pytest.raises(domain.NotPermitted):
        domain.check_may_act(_staff("auditor"), complaint)
    domain.check_may_act(_staff("city_admin"), complaint)
    domain.check_may_act(_staff("dept_admin", department="DLH"), complaint)
    with pytest.raises(domain.NotPermitted):
        domain.check_may_assign(_staff("field_officer", department="DLH"), complaint)
