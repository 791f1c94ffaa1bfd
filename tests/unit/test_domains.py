"""Pure rules of each service, without Kafka or PostgreSQL."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from sigap_intake import domain as intake
from sigap_notify.events import planning as notify
from sigap_routing import domain as routing
from sigap_shared.events import Envelope, ReporterRef, encode
from sigap_status.lifecycle import rules as status
from tests.support.events import status_changed
from tests.support.factories import submit_command, submitted_envelope

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_tracking_codes_are_short_and_unambiguous():
    codes = {intake.new_tracking_code() for _ in range(2000)}
    assert len(codes) > 1990
    for code in codes:
        assert re.fullmatch(r"SGP-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{2}", code)


def test_anonymous_report_refuses_an_identity():
    with pytest.raises(intake.IntakeError) as caught:
        intake.accept(submit_command(privacy="anonim"), complaint_id=uuid.uuid4(), now=NOW)
    assert caught.value.field == "reporter"
    accepted = intake.accept(submit_command(privacy="anonim", reporter=None), complaint_id=uuid.uuid4(), now=NOW)
    assert accepted.reporter_pseudonym is None


def test_location_or_address_is_required():
    with pytest.raises(intake.IntakeError) as caught:
        intake.accept(submit_command(location=None, address=None), complaint_id=uuid.uuid4(), now=NOW)
    assert caught.value.field == "location"
    intake.accept(submit_command(location=None, address="Jl. Margonda Raya 100"), complaint_id=uuid.uuid4(), now=NOW)


@pytest.mark.parametrize("privacy", ["publik", "rahasia"])
def test_submitted_event_carries_a_pseudonym_never_the_identity(privacy):
    accepted = intake.accept(submit_command(privacy=privacy), complaint_id=uuid.uuid4(), now=NOW)
    record = encode(intake.submitted_event(accepted))
    wire = record.value + b"".join(value for _, value in record.headers)
    for secret in (b"Andi", b"081234567890", b"andi@example.com"):
        assert secret not in wire
    assert accepted.reporter_pseudonym.encode() in wire
    assert accepted.follow_up_token.encode() not in wire
    assert accepted.follow_up_token_hash == intake.hash_token(accepted.follow_up_token)


def test_routing_uses_the_category_table_and_sends_the_unknown_to_triage():
    assert routing.decide(category="lampu_jalan").department == "DISHUB"
    assert routing.decide(category="pedagang_kaki_lima").department == "SATPOLPP"
    for category in (None, "kategori_aneh"):
        decision = routing.decide(category=category)
        assert decision.department == "TRIAGE"
        assert decision.needs_triage and decision.confidence == 0.0
        assert decision.reasons


def test_routed_event_carries_the_reporter_reference_forward():
    submitted = submitted_envelope(category="sampah")
    routed = routing.routed_event(submitted, routing.decide(category="sampah"), now=NOW)
    assert routed.data.department == "DLHK"
    assert routed.data.reporter == submitted.data.reporter
    assert routed.data.complaint_id == submitted.data.complaint_id


def test_lifecycle_transitions():
    status.check_transition(None, "diterima")
    status.check_transition("diterima", "terverifikasi")
    status.check_transition("selesai", "dibuka_kembali")
    with pytest.raises(status.IllegalTransition) as caught:
        status.check_transition("diterima", "selesai")
    assert caught.value.allowed == ["ditolak", "terverifikasi"]
    with pytest.raises(status.IllegalTransition):
        status.check_transition("ditolak", "dalam_proses")


def test_notifications_planned_for_staff_and_reporter():
    submitted = submitted_envelope(category="jalan_rusak")
    routed = routing.routed_event(submitted, routing.decide(category="jalan_rusak"), now=NOW)
    staff = notify.plan(routed)
    assert {(n.recipient, n.channel) for n in staff} == {
        ("department:DPUPR:admins", "dashboard"),
        ("department:DPUPR:admins", "email"),
    }
    triage = notify.plan(routing.routed_event(submitted, routing.decide(category=None), now=NOW))
    assert [(n.recipient, n.template) for n in triage] == [("desk:TRIAGE", "staff.triage_needed")]

    reporter = ReporterRef(pseudonym="Pelapor-XYZ", channels=("email", "sms"))
    change = status_changed(
        tracking_code="SGP-AAAA-BB", department="DPUPR", status="diterima", actor="sistem", reporter=reporter, changed_at=NOW
    )
    planned = notify.plan(change)
    assert {(n.recipient, n.channel, n.template) for n in planned} == {
        ("reporter:Pelapor-XYZ", "email", "reporter.status.diterima"),
        ("reporter:Pelapor-XYZ", "sms", "reporter.status.diterima"),
    }
    anonymous = Envelope(source="sigap/status", data=change.data.model_copy(update={"reporter": None}))
    assert notify.plan(anonymous) == []
