"""The event contract: encoding to Kafka CloudEvents and strict decoding."""

from __future__ import annotations

import uuid

import orjson
import pytest

from sigap_shared.erasure import payload_without_free_text
from sigap_shared.events import (
    EVENT_TYPES,
    ComplaintSubmitted,
    EventDecodeError,
    ReporterRef,
    decode,
    encode,
)
from tests.support.cloudevents_sdk import parse
from tests.support.factories import submitted_envelope


def test_round_trip_keeps_every_attribute():
    envelope = submitted_envelope()
    record = encode(envelope)
    decoded = decode(record.headers, record.value)
    assert decoded == envelope
    assert record.key == str(envelope.data.complaint_id).encode()
    assert record.topic == "sigap.complaint.submitted"


def test_official_sdk_parses_what_we_encode():
    envelope = submitted_envelope()
    record = encode(envelope)
    event = parse(dict(record.headers), record.key, record.value)
    assert event["specversion"] == "1.0"
    assert event["id"] == str(envelope.id)
    assert event["type"] == "sigap.complaint.submitted.v1"
    assert event["source"] == envelope.source
    assert event["subject"] == str(envelope.data.complaint_id)
    assert event["time"] == envelope.time
    assert event["datacontenttype"] == "application/json"
    assert event["data"]["tracking_code"] == envelope.data.tracking_code


def _headers_without(record, name):
    return tuple((key, value) for key, value in record.headers if key != name)


@pytest.mark.parametrize("missing", ["ce_id", "ce_type", "ce_source", "ce_specversion"])
def test_missing_required_attribute_is_rejected(missing):
    record = encode(submitted_envelope())
    with pytest.raises(EventDecodeError, match=missing):
        decode(_headers_without(record, missing), record.value)


def test_unknown_type_bad_payload_and_mismatched_subject_are_rejected():
    record = encode(submitted_envelope())
    unknown = tuple((k, b"sigap.unknown.v1" if k == "ce_type" else v) for k, v in record.headers)
    with pytest.raises(EventDecodeError, match="unknown event type"):
        decode(unknown, record.value)
    with pytest.raises(EventDecodeError, match="invalid sigap.complaint.submitted.v1 payload"):
        decode(record.headers, b'{"complaint_id": "x"}')
    other_subject = tuple((k, str(uuid.uuid4()).encode() if k == "ce_subject" else v) for k, v in record.headers)
    with pytest.raises(EventDecodeError, match="ce_subject"):
        decode(other_subject, record.value)
    with pytest.raises(EventDecodeError, match="no value"):
        decode(record.headers, None)


def test_payloads_refuse_unknown_fields_so_identities_cannot_slip_in():
    envelope = submitted_envelope()
    body = orjson.loads(encode(envelope).value)
    body["reporter"]["email"] = "someone@example.com"
    with pytest.raises(EventDecodeError):
        decode(encode(envelope).headers, orjson.dumps(body))
    assert set(ReporterRef.model_fields) == {"pseudonym", "channels"}


def test_every_event_type_is_versioned_and_has_a_topic():
    for event_type, model in EVENT_TYPES.items():
        assert event_type.startswith("sigap.complaint.") and event_type.endswith(".v1")
        assert model.topic.startswith("sigap.complaint.")
        assert model.model_config["frozen"] and model.model_config["extra"] == "forbid"
    assert ComplaintSubmitted.event_type in EVENT_TYPES


def test_an_erased_events_free_texts_are_emptied_and_its_codes_kept():
    complaint_id, now = uuid.uuid4(), "2026-12-06T10:00:00Z"
    transferred = {"complaint_id": str(complaint_id), "reason": "kata Bu Sari, pipa PDAM", "to_department": "PDAM"}
    blanked = payload_without_free_text(orjson.dumps(transferred))
    assert blanked is not None and orjson.loads(blanked) == transferred | {"reason": ""}
    rejected = {"status": "ditolak", "reason": "hoax", "note": None, "changed_at": now}
    assert payload_without_free_text(orjson.dumps(rejected)) is None  # a code names no one
    assert payload_without_free_text(orjson.dumps(transferred | {"reason": ""})) is None  # nothing left
    assert payload_without_free_text(b"not json") is None
