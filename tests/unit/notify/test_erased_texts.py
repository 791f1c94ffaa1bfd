"""What a reporter's erasure leaves of notify's messages (UU 27/2022): free texts emptied in
params, webhook events and events themselves, codes kept, and an emptied text rendered as a
sentence saying it was removed, never as an empty quote."""

from __future__ import annotations

from sigap_notify.events.audience import structured_cloudevent, without_free_texts
from sigap_notify.events.planning import plan
from sigap_notify.personal_data.rules import ERASED_TEXT, without_free_text
from sigap_notify.templates.rules import render
from sigap_shared.events import AUTO_CLOSE_REASON, decode, encode
from tests.support import events

NAME = "Siti Rahmawati 081234567890"
REPLY = "Balasan dari ${department} untuk laporan ${tracking_code}:\n\n${message}"


def test_free_texts_are_emptied_and_codes_kept():
    params = {
        "tracking_code": "SGP-AB12-CD",
        "department": "DISHUB",
        "status": "selesai",
        "message": f"Bu {NAME}, kami sudah ke lokasi",
        "resolution_note": f"Diperbaiki atas laporan {NAME}",
        "reason": AUTO_CLOSE_REASON,
        "rating": 2,
    }
    assert without_free_text(params) == params | {"message": "", "resolution_note": ""}
    assert without_free_text({"reason": "hoax", "note": None}) == {"reason": "hoax", "note": None}


def test_a_webhooks_event_loses_its_free_texts():
    envelope = events.reporter_message_posted(body=f"Untuk {NAME}")
    params = {"cloudevent": structured_cloudevent(envelope)}
    blanked = without_free_text(params)
    assert blanked["cloudevent"]["data"]["body"] == ""
    assert blanked["cloudevent"]["data"]["tracking_code"] == envelope.data.tracking_code
    assert NAME not in str(blanked)


def test_an_event_without_its_free_texts_still_decodes():
    transfer = events.transferred(reason=f"Pelapor {NAME} minta dinas lain")
    blanked = without_free_texts(transfer)
    assert blanked.data.reason == "" and blanked.id == transfer.id and blanked.time == transfer.time
    record = encode(blanked)
    assert decode(record.headers, record.value).data.reason == ""
    rejected = events.status_changed(status="ditolak", reason="hoax", note=f"Ditelepon {NAME}")
    assert without_free_texts(rejected).data.reason == "hoax"
    assert without_free_texts(rejected).data.note == ""


def test_an_erased_text_reads_as_removed_in_the_templates_language():
    params = {"tracking_code": "SGP-1", "department": "DISHUB", "message": ""}
    body = render(subject="", body=REPLY, params=params).body
    assert body == f"Balasan dari DISHUB untuk laporan SGP-1:\n\n{ERASED_TEXT.id}"
    english = render(subject="", body="${department} replied: ${message}", params=params, language="en").body
    assert english == f"DISHUB replied: {ERASED_TEXT.en}"
    # A text nobody wrote still reads as "-", and an empty value that is no free text stays empty.
    assert render(subject="", body="$reason/$officer", params={"reason": None, "officer": ""}).body == "-/"


def test_status_events_with_blanked_texts_plan_messages_saying_so():
    """Status empties a message's body and a transfer's reason at the erasure; the staff and
    department messages planned from them say the text was removed."""
    support = events.support_added(reason="")
    [dashboard, mail] = plan(support)
    assert mail.params["reason"] == ""
    assert render(subject="", body="Alasan: ${reason}", params=mail.params).body == f"Alasan: {ERASED_TEXT.id}"
