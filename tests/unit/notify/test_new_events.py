"""Notify's pure rules for the events added with field-officer assignments, department replies
to reporters, reporters' ratings and reopen requests, and joint handling; webhook secret
sealing and its setting."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from pydantic import ValidationError

from sigap_notify.asyncapi import DEPARTMENT_EVENT_TYPES
from sigap_notify.bootstrap import service_spec
from sigap_notify.dashboard.hub import dashboard_key
from sigap_notify.events.audience import department_audience, department_of, supporters_after
from sigap_notify.events.handlers import on_complaint_event
from sigap_notify.events.planning import fan_outs, plan
from sigap_notify.recipients import mask_recipient
from sigap_notify.sealing import SecretBox, SecretUnreadable, decode_key
from sigap_notify.settings import DEVELOPMENT_WEBHOOK_SECRET_KEY, NotifySettings
from sigap_shared.events import ComplaintSubmitted, Envelope, ReporterRef
from tests.support import events

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CODE = "SGP-AB12-CD"


def _assigned(officer: str | None, previous: str | None) -> Envelope:
    fields = {"officer": officer, "previous_officer": previous, "actor": "admin.dishub", "assigned_at": NOW}
    return events.assigned(tracking_code=CODE, department="DISHUB", **fields)


def _triples(planned) -> list[tuple[str, str, str]]:
    return [(p.recipient, p.channel, p.template) for p in planned]


def test_assignment_reaches_the_new_officer_and_the_one_it_was_taken_from():
    assert _triples(plan(_assigned("budi.petugas", None))) == [
        ("officer:DISHUB:budi.petugas", "dashboard", "staff.officer_assigned"),
        ("officer:DISHUB:budi.petugas", "email", "staff.officer_assigned"),
    ]
    reassigned = plan(_assigned("sari.petugas", "budi.petugas"))
    assert _triples(reassigned) == [
        ("officer:DISHUB:sari.petugas", "dashboard", "staff.officer_assigned"),
        ("officer:DISHUB:sari.petugas", "email", "staff.officer_assigned"),
        ("officer:DISHUB:budi.petugas", "dashboard", "staff.officer_unassigned"),
        ("officer:DISHUB:budi.petugas", "email", "staff.officer_unassigned"),
    ]
    assert reassigned[0].params["tracking_code"] == CODE
    assert _triples(plan(_assigned(None, "budi.petugas"))) == [
        ("officer:DISHUB:budi.petugas", "dashboard", "staff.officer_unassigned"),
        ("officer:DISHUB:budi.petugas", "email", "staff.officer_unassigned"),
    ]
    # Assigning the same officer again is not a withdrawal.
    assert {t for _, _, t in _triples(plan(_assigned("budi.petugas", "budi.petugas")))} == {
        "staff.officer_assigned"
    }
    assert department_of(_assigned("budi.petugas", None)) == "DISHUB"
    # An officer's dashboard notification goes to that officer's stream only.
    assert dashboard_key("officer:DISHUB:budi.petugas") == "officer:DISHUB:budi.petugas"
    assert dashboard_key("department:DISHUB:admins") == "DISHUB"
    assert mask_recipient("officer:DISHUB:budi.petugas") == "officer:DISHUB:budi.petugas"


def _message(reporter: ReporterRef | None) -> Envelope:
    fields = {"body": "Mohon kirim foto lokasi yang lebih jelas.", "actor": "admin.dishub", "posted_at": NOW}
    return events.reporter_message_posted(tracking_code=CODE, department="DISHUB", reporter=reporter, **fields)


def test_department_message_reaches_the_reporter_with_its_body_on_each_channel():
    message = _message(ReporterRef(pseudonym="Pelapor-XYZ", channels=("email", "sms")))
    planned = plan(message)
    assert _triples(planned) == [
        ("reporter:Pelapor-XYZ", "email", "reporter.reply"),
        ("reporter:Pelapor-XYZ", "sms", "reporter.reply"),
    ]
    assert planned[0].params["message"] == "Mohon kirim foto lokasi yang lebih jelas."
    webhook, subscription = fan_outs(message)
    assert webhook.departments == ("DISHUB",)
    assert webhook.params["cloudevent"]["data"]["body"] == "Mohon kirim foto lokasi yang lebih jelas."
    assert "Pelapor-XYZ" not in orjson.dumps(webhook.params["cloudevent"]).decode()
    assert (subscription.template, subscription.except_channels) == ("reporter.reply", ("email", "sms"))
    # Anonymous reporters hear it through their direct subscriptions only.
    anonymous = _message(None)
    assert plan(anonymous) == []
    assert fan_outs(anonymous)[1].recipient == f"reporter:anonim:{CODE}"


def test_ratings_and_reopen_requests_reach_the_lead_departments_admins():
    complaint_id = uuid.uuid4()
    rated = events.rated(complaint_id=complaint_id, tracking_code=CODE, rating=2, comment="Lambat", rated_at=NOW)
    reopen = events.reopen_requested(
        complaint_id=complaint_id, tracking_code=CODE, reason="Lampu mati lagi", requested_at=NOW
    )
    assert plan(rated) == []  # the lead department is not known yet
    planned = plan(rated, department="DLHK")
    assert _triples(planned) == [
        ("department:DLHK:admins", "dashboard", "staff.complaint_rated"),
        ("department:DLHK:admins", "email", "staff.complaint_rated"),
    ]
    assert planned[0].params["rating"] == 2 and "Lambat" not in orjson.dumps(planned[0].params).decode()
    assert _triples(plan(reopen, department="DLHK")) == [
        ("department:DLHK:admins", "dashboard", "staff.reopen_requested"),
        ("department:DLHK:admins", "email", "staff.reopen_requested"),
    ]


def _support(builder, department: str, supporters: tuple[str, ...]) -> Envelope:
    fields = {"lead_department": "DPUPR", "department": department, "supporting_departments": supporters}
    return builder(tracking_code=CODE, reason="Perlu alat berat", actor="admin.dpupr", **fields)


def test_joint_handling_widens_and_narrows_the_departments_that_see_a_complaint():
    added = _support(events.support_added, "DLHK", ("DLHK",))
    assert _triples(plan(added)) == [
        ("department:DLHK:admins", "dashboard", "staff.support_added"),
        ("department:DLHK:admins", "email", "staff.support_added"),
    ]
    assert department_of(added) == "DPUPR"
    assert supporters_after(added) == ("DLHK",)
    assert department_audience(added, lead="DPUPR", supporters=("DLHK",)) == ["DPUPR", "DLHK"]
    [webhook] = fan_outs(added, departments=("DPUPR", "DLHK"))
    assert webhook.departments == ("DPUPR", "DLHK")

    removed = _support(events.support_removed, "DLHK", ())
    assert supporters_after(removed) == ()
    # The released department receives the removal itself, and nothing after it.
    assert department_audience(removed, lead="DPUPR", supporters=()) == ["DPUPR", "DLHK"]
    later = _assigned("budi.petugas", None)
    assert supporters_after(later) is None
    assert department_audience(later, lead="DISHUB", supporters=()) == ["DISHUB"]
    assert department_audience(later, lead="DISHUB", supporters=("DISHUB", "DLHK")) == ["DISHUB", "DLHK"]


def test_the_department_topic_lists_every_event_notify_acts_on():
    [consumer] = service_spec().consumers
    acted_on = {
        event_type
        for event_type, handler in consumer.handlers.items()
        if getattr(handler, "func", handler) is on_complaint_event
    }
    assert set(DEPARTMENT_EVENT_TYPES) == acted_on
    assert set(consumer.handlers) - acted_on == {ComplaintSubmitted.event_type}  # only tells notify what exists


def test_sealed_webhook_secrets_open_only_for_their_webhook_and_key():
    key = bytes(range(32))
    box = SecretBox(key)
    webhook_id, other_id = uuid.uuid4(), uuid.uuid4()
    sealed = box.seal("rahasia-dinas-0123456789", webhook_id=webhook_id)
    assert b"rahasia-dinas" not in sealed
    assert sealed != box.seal("rahasia-dinas-0123456789", webhook_id=webhook_id)  # fresh nonce
    assert box.open(sealed, webhook_id=webhook_id) == "rahasia-dinas-0123456789"
    with pytest.raises(SecretUnreadable):
        box.open(sealed, webhook_id=other_id)
    with pytest.raises(SecretUnreadable):
        SecretBox(bytes(32)).open(sealed, webhook_id=webhook_id)
    with pytest.raises(ValueError):
        decode_key(base64.b64encode(b"short").decode())
    with pytest.raises(ValueError):
        decode_key("not base64!")


def test_production_refuses_a_missing_or_default_webhook_secret_key():
    production = {
        "environment": "production",
        "pg_password": "pg-" + "x" * 20,
        "jwt_secret": "j" * 48,
        "status_internal_url": "http://status:8002",
        "internal_token": "t" * 32,
    }
    for key in (DEVELOPMENT_WEBHOOK_SECRET_KEY, ""):
        with pytest.raises(ValidationError, match="SIGAP_WEBHOOK_SECRET_KEY"):
            NotifySettings(**production, webhook_secret_key=key)
    with pytest.raises(ValidationError):
        NotifySettings(webhook_secret_key=base64.b64encode(b"16 bytes only!!!").decode())
    own = base64.b64encode(bytes(range(1, 33))).decode()
    assert NotifySettings(**production, webhook_secret_key=own).webhook_key() == bytes(range(1, 33))
