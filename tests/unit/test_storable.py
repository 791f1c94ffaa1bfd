"""What PostgreSQL can store: text without NUL or lone surrogates, moments in range; and event
payloads that cannot carry anything else to a consumer."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from sigap_shared.events import (
    ComplaintInformationAdded,
    DeadLetter,
    Envelope,
    EventDecodeError,
    ReporterRef,
    decode,
    encode,
)
from sigap_shared.storable import (
    SaneDate,
    clean_text,
    first_unstorable,
    in_utc,
    unstorable_fields,
    within,
)


def test_nul_and_lone_surrogates_are_found_and_everything_else_is_storable():
    assert first_unstorable("Jl. Margonda\x00") == "\x00"
    assert first_unstorable("abc\ud800") == "\ud800"
    assert first_unstorable("\udfff") == "\udfff"
    assert first_unstorable("Lampu mati \u2014 😀 \x01 \ufffe") is None


def test_unstorable_fields_names_each_path_keys_included():
    value = {"a": "ok", "b": ["x", "y\x00"], "c": {"d\ud800": 1, "e": {"f": "g\x00"}}, "n": 5}
    assert list(unstorable_fields(value)) == [
        (("b", 1), "\x00"),
        (("c", "d\ud800"), "\ud800"),
        (("c", "e", "f"), "\x00"),
    ]


def test_clean_text_drops_nul_and_replaces_lone_surrogates():
    assert clean_text("Canon\x00 EOS\x00") == "Canon EOS"
    assert clean_text("a\ud800b") == "a\ufffdb"
    text = "unchanged"
    assert clean_text(text) is text


def test_moments_an_offset_pushes_out_of_range_have_no_utc_and_are_not_within_bounds():
    late = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(-timedelta(hours=5)))
    early = datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=7)))
    assert in_utc(late) is None and in_utc(early) is None
    earliest, latest = datetime(1990, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    assert not within(late, earliest=earliest, latest=latest)
    assert not within(early, earliest=earliest, latest=latest)
    assert within(datetime(2026, 3, 1, 8, tzinfo=timezone(timedelta(hours=7))), earliest=earliest, latest=latest)


def test_sane_date_refuses_what_a_client_has_no_reason_to_send():
    adapter = TypeAdapter(SaneDate)
    assert adapter.validate_python("2026-03-01") == date(2026, 3, 1)
    for far in ("0001-01-01", "9999-12-31", "1969-12-31"):
        with pytest.raises(ValidationError) as raised:
            adapter.validate_python(far)
        assert raised.value.errors()[0]["type"] == "date_out_of_range"


def _information(text: str) -> ComplaintInformationAdded:
    return ComplaintInformationAdded(
        complaint_id=uuid.uuid4(), tracking_code="SGP-AAAA-BB", text=text, added_at=datetime.now(UTC)
    )


def test_events_cannot_be_built_with_text_a_consumer_cannot_store():
    with pytest.raises(ValidationError, match="U\\+0000"):
        _information("informasi\x00tambahan")
    with pytest.raises(ValidationError, match="U\\+D800"):
        ReporterRef(pseudonym="Pelapor", channels=("sms", "e\ud800mail"))
    assert _information("informasi tambahan").text == "informasi tambahan"


def test_events_with_unstorable_text_are_refused_when_read_so_they_are_dead_lettered_once():
    record = encode(Envelope(source="sigap/test", data=_information("informasi tambahan")))
    poisoned = record.value.replace(b"informasi tambahan", b"informasi\\u0000tambahan")
    with pytest.raises(EventDecodeError, match="U\\+0000"):
        decode(list(record.headers), poisoned)


def test_a_dead_letter_keeps_the_original_as_it_was():
    letter = DeadLetter(
        consumer="status.lifecycle",
        error="invalid payload",
        original_topic="t",
        original_partition=0,
        original_offset=1,
        original_value='{"text": "a\\u0000b"}',
        original_headers={"x": "a\x00b"},
    )
    assert letter.original_headers["x"] == "a\x00b"


def test_a_moment_from_a_client_is_read_as_utc_and_refused_outside_the_storable_range():
    from sigap_shared.storable import SaneMoment

    adapter = TypeAdapter(SaneMoment)
    assert adapter.validate_python("2026-12-06T10:00:00") == datetime(2026, 12, 6, 10, tzinfo=UTC)
    assert adapter.validate_python("2026-12-06T17:00:00+07:00") == datetime(2026, 12, 6, 10, tzinfo=UTC)
    for far in ("9999-12-31T23:59:59", "0001-01-01T00:00:00+14:00", "1969-12-31T23:59:59Z"):
        with pytest.raises(ValidationError, match="must be between"):
            adapter.validate_python(far)
