"""Notify's pure rules: planning, backoff, masking, templates, signatures, redaction."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import orjson

from sigap_notify.channels.webhook import sign_webhook, verify_webhook
from sigap_notify.deliveries.rules import backoff_s
from sigap_notify.events.audience import department_of, department_topic, redact_for_department
from sigap_notify.events.planning import (
    PlannedNotification,
    StaffMailboxes,
    fan_outs,
    plan,
    staff_mailboxes,
    unreachable_staff_mail,
)
from sigap_notify.recipients import mask_address
from sigap_notify.templates.rules import render, template_problems
from sigap_shared.events import AUTO_CLOSE_REASON, Envelope, ReporterRef, decode, encode_to_topic
from tests.support import events

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _change(*, reporter: ReporterRef | None, status: str = "selesai") -> Envelope:
    return events.status_changed(
        tracking_code="SGP-AB12-CD", department="DISHUB", previous_status="dalam_proses", status=status,
        reason="Lampu sudah diganti", actor="petugas.dishub", reporter=reporter, changed_at=NOW,
    )


def test_backoff_doubles_until_the_cap():
    assert [backoff_s(n, base_s=2, cap_s=20) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 16, 20]


def test_addresses_are_masked_beyond_recognition():
    assert mask_address("siti.rahma@example.com") == "s***@e***.com"
    masked_phone = mask_address("+6281234567890")
    assert masked_phone.startswith("+62") and masked_phone.endswith("7890") and "1234567" not in masked_phone
    assert mask_address("https://user:pw@dinas.example/hook?token=abc") == "https://dinas.example/***"
    assert mask_address("123") == "***"


def test_templates_substitute_values_but_never_attributes():
    message = render(
        subject="Laporan ${tracking_code}",
        body="Alasan: $reason. {tracking_code.__class__} $unknown",
        params={"tracking_code": "SGP-1", "reason": None},
    )
    assert message.subject == "Laporan SGP-1"
    assert message.body == "Alasan: -. {tracking_code.__class__} $unknown"
    assert template_problems("Kode $tracking_code, biaya $$5") == []
    assert template_problems("Kode $ saja") != []


def test_webhook_signature_is_hmac_sha256_over_timestamp_dot_body():
    body = b'{"id":"1"}'
    signature = sign_webhook(secret="rahasia-dinas", timestamp=1700000000, body=body)
    expected = hmac.new(b"rahasia-dinas", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature == "v1=" + expected
    assert verify_webhook(
        secret="rahasia-dinas", timestamp="1700000000", body=body, signature=signature, now=1700000010
    )
    assert not verify_webhook(
        secret="lain", timestamp="1700000000", body=body, signature=signature, now=1700000010
    )
    assert not verify_webhook(
        secret="rahasia-dinas", timestamp="1700000000", body=body + b" ", signature=signature, now=1700000010
    )
    # A captured request replayed much later is refused.
    assert not verify_webhook(
        secret="rahasia-dinas", timestamp="1700000000", body=body, signature=signature, now=1700009999
    )


def test_department_copy_drops_the_reporter_and_keeps_the_event_identity():
    original = _change(reporter=ReporterRef(pseudonym="Pelapor-XYZ", channels=("email",)))
    redacted = redact_for_department(original)
    assert redacted.data.reporter is None
    assert (redacted.id, redacted.source, redacted.type) == (original.id, original.source, original.type)
    record = encode_to_topic(redacted, department_topic("DISHUB"))
    assert record.topic == "sigap.department.DISHUB"
    assert b"Pelapor-XYZ" not in record.value + repr(record.headers).encode()
    assert decode(record.headers, record.value).data == redacted.data
    assert department_topic("dinas lain/2") == "sigap.department.dinas_lain_2"


def test_fan_outs_carry_the_redacted_cloudevent_and_skip_chosen_channels():
    change = _change(reporter=ReporterRef(pseudonym="Pelapor-XYZ", channels=("email",)))
    webhook, subscription = fan_outs(change)
    assert (webhook.per, webhook.department, webhook.template) == ("webhook", "DISHUB", change.type)
    event = webhook.params["cloudevent"]
    assert event["id"] == str(change.id) and event["specversion"] == "1.0"
    assert event["subject"] == str(change.data.complaint_id)
    assert event["data"]["reporter"] is None
    assert "Pelapor-XYZ" not in orjson.dumps(event).decode()
    assert (subscription.per, subscription.recipient, subscription.template) == (
        "subscription",
        "reporter:Pelapor-XYZ",
        "reporter.status.selesai",
    )
    assert subscription.tracking_code == "SGP-AB12-CD" and subscription.except_channels == ("email",)
    assert subscription.params["resolution_note"] == "Lampu sudah diganti"

    [_, anonymous] = fan_outs(_change(reporter=None))
    assert anonymous.recipient == "reporter:anonim:SGP-AB12-CD" and anonymous.except_channels == ()

    routed = events.routed(tracking_code="SGP-AB12-CD", department="DISHUB", routed_at=NOW)
    assert [f.per for f in fan_outs(routed)] == ["webhook"]
    assert department_of(routed) == "DISHUB"


def test_lapor_auto_close_tells_the_reporter_once_with_its_own_message():
    reporter = ReporterRef(pseudonym="Pelapor-XYZ", channels=("email", "sms"))
    closing = events.status_changed(
        tracking_code="SGP-AB12-CD", department="DISHUB", previous_status="selesai", status="selesai",
        reason=AUTO_CLOSE_REASON, actor="sistem", resolution_note="Lampu sudah diganti", reporter=reporter,
        changed_at=NOW,
    )
    planned = plan(closing)
    assert [(p.recipient, p.channel, p.template) for p in planned] == [
        ("reporter:Pelapor-XYZ", "email", "reporter.closed_automatically"),
        ("reporter:Pelapor-XYZ", "sms", "reporter.closed_automatically"),
    ]
    assert planned[0].params["resolution_note"] == "Lampu sudah diganti"
    webhook, subscription = fan_outs(closing)
    assert webhook.template == closing.type and webhook.params["cloudevent"]["data"]["reason"] == AUTO_CLOSE_REASON
    assert subscription.template == "reporter.closed_automatically"
    assert subscription.except_channels == ("email", "sms")
    # The follow-up itself, and any other reason, keep the status's own message.
    assert {p.template for p in plan(_change(reporter=reporter))} == {"reporter.status.selesai"}
    rejected = _change(reporter=reporter, status="ditolak").data.model_copy(update={"reason": AUTO_CLOSE_REASON})
    assert {p.template for p in plan(Envelope(source="sigap/status", data=rejected))} == {"reporter.status.ditolak"}


def test_delivery_log_masks_only_real_addresses():
    from sigap_notify.recipients import mask_recipient

    assert mask_recipient("department:DISHUB:admins") == "department:DISHUB:admins"
    assert mask_recipient("reporter:Pelapor-7KQ2M9XA") == "reporter:Pelapor-7KQ2M9XA"
    webhook = "webhook:3f32ffee-aee1-4895-8617-7cc0269581ab"
    assert mask_recipient(webhook) == webhook
    assert mask_recipient("reporter:siti@example.com") == "reporter:s***@e***.com"
    assert "3456" not in mask_recipient("reporter:081234567890")


def test_sla_breach_reaches_department_admins_and_the_city_desk():
    breach = events.sla_breached(
        tracking_code="SGP-AB12-CD", department="DLHK", status="terverifikasi", stage="finish", due_at=NOW, breached_at=NOW
    )
    planned = plan(breach)
    assert [(p.recipient, p.channel, p.template) for p in planned] == [
        ("department:DLHK:admins", "dashboard", "staff.sla_breached"),
        ("department:DLHK:admins", "email", "staff.sla_breached"),
        ("desk:CITY", "dashboard", "staff.sla_breached"),
    ]
    assert department_of(breach) == "DLHK"
    only_department = breach.data.model_copy(update={"escalate_to": ("dept_admin",)})
    assert [p.recipient for p in plan(Envelope(source="sigap/status", data=only_department))] == [
        "department:DLHK:admins",
        "department:DLHK:admins",
    ]


def test_transfer_reaches_the_new_department_and_the_reporter():
    reporter = ReporterRef(pseudonym="Pelapor-XYZ", channels=("email",))
    transfer = events.transferred(
        tracking_code="SGP-AB12-CD", from_department="DISHUB", to_department="DPUPR", reason="Jalan kewenangan DPUPR",
        actor="admin.dishub", reporter=reporter, transferred_at=NOW,
    )
    planned = plan(transfer)
    assert [(p.recipient, p.channel, p.template) for p in planned] == [
        ("department:DPUPR:admins", "dashboard", "staff.transferred_in"),
        ("department:DPUPR:admins", "email", "staff.transferred_in"),
        ("reporter:Pelapor-XYZ", "email", "reporter.transferred"),
    ]
    assert planned[2].params["department"] == "DPUPR" and planned[2].params["from_department"] == "DISHUB"
    assert department_of(transfer) == "DPUPR"
    webhook, subscription = fan_outs(transfer)
    assert webhook.department == "DPUPR" and webhook.params["cloudevent"]["data"]["reporter"] is None
    assert subscription.template == "reporter.transferred" and subscription.except_channels == ("email",)


def test_every_template_the_planner_uses_is_seeded_in_both_languages():
    import re
    import typing
    from importlib import resources

    from sigap_shared.events import ComplaintStatus

    migrations = resources.files("sigap_notify") / "migrations"
    files = sorted((entry for entry in migrations.iterdir() if entry.name.endswith(".sql")), key=lambda e: e.name)
    seed = "\n".join(entry.read_text() for entry in files)
    seeded = set(re.findall(r"\('([a-z_.]+)', '(id|en)'", seed))
    used = {f"reporter.status.{status}" for status in typing.get_args(ComplaintStatus)} | {
        "reporter.closed_automatically",
        "reporter.transferred",
        "reporter.reply",
        "staff.new_in_queue",
        "staff.triage_needed",
        "staff.sla_breached",
        "staff.transferred_in",
        "staff.digest",
        "staff.reporter_replied",
        "staff.officer_assigned",
        "staff.officer_unassigned",
        "staff.complaint_rated",
        "staff.reopen_requested",
        "staff.support_added",
        "staff.support_removed",
    }
    assert {(key, lang) for key in used for lang in ("id", "en")} <= seeded
    for match in re.finditer(r"'((?:[^']|'')*)'", seed):
        assert template_problems(match.group(1)) == []


def test_staff_mail_without_an_address_on_file_is_unreachable_and_other_mail_is_not() -> None:
    planned = [
        PlannedNotification("department:DISHUB:admins", "email", "t"),
        PlannedNotification("department:DLHK:admins", "email", "t"),
        PlannedNotification("department:DLHK:admins", "dashboard", "t"),
        PlannedNotification("officer:DISHUB:budi", "email", "t"),
        PlannedNotification("officer:DISHUB:sari", "email", "t"),
        PlannedNotification("reporter:abc", "email", "t"),
    ]
    wanted = staff_mailboxes(planned)
    assert wanted.departments == {"DISHUB", "DLHK"}
    assert wanted.officers == {("DISHUB", "budi"), ("DISHUB", "sari")}

    on_file = StaffMailboxes(departments=frozenset({"DISHUB"}), officers=frozenset({("DISHUB", "sari")}))
    assert unreachable_staff_mail(planned, on_file=on_file) == {"department:DLHK:admins", "officer:DISHUB:budi"}
