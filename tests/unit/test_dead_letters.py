"""Dead letters stay small whatever the original message, and a producer error is told apart:
a record the broker refuses is never retried, a broker that is away always is."""

from __future__ import annotations

import base64
import hashlib

import orjson
import pytest
from aiokafka import ConsumerRecord
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    OutOfOrderSequenceNumber,
    RecordListTooLargeError,
    TopicAuthorizationFailedError,
)

from sigap_shared.dead_letters import LETTER_BYTES, VALUE_PREFIX_BYTES, dead_letter, reference, unreadable
from sigap_shared.events import DeadLetter, decode, encode_dead_letter
from sigap_shared.kafka import refused_record
from sigap_shared.retry import Backoff


def _message(*, key: bytes | None = b"k", value: bytes | None = b"v", headers=()) -> ConsumerRecord:
    return ConsumerRecord(
        topic="sigap.complaint.submitted",
        partition=3,
        offset=42,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key or b""),
        serialized_value_size=len(value or b""),
        headers=tuple(headers),
    )


def _size(letter: DeadLetter) -> int:
    return len(encode_dead_letter(letter, source="sigap/test", subject=letter.original_key).value)


def test_a_small_text_message_travels_whole():
    letter = dead_letter(consumer="c", message=_message(value=b'{"a": 1}', headers=[("x", b"y")]), error="bad")
    assert letter.original_value == '{"a": 1}' and letter.original_value_encoding == "utf-8"
    assert letter.original_headers == {"x": "y"} and letter.truncated == ()
    assert letter.original_value_size == 8
    assert letter.original_value_sha256 == hashlib.sha256(b'{"a": 1}').hexdigest()


def test_a_huge_binary_message_with_huge_key_and_headers_becomes_a_bounded_letter():
    value = bytes(range(256)) * 4000  # ~1 MB, not UTF-8
    message = _message(
        key=b"\xff" * 500_000,
        value=value,
        headers=[(f"h{i}" * 300, b"\x00" * 100_000) for i in range(100)],
    )
    letter = dead_letter(consumer="c", message=message, error="e" * 1_000_000)
    assert letter.original_value_encoding == "base64"
    assert base64.b64decode(letter.original_value) == value[:VALUE_PREFIX_BYTES]
    assert letter.original_value_size == len(value)
    assert letter.original_value_sha256 == hashlib.sha256(value).hexdigest()
    assert set(letter.truncated) == {"error", "key", "headers", "value"}
    # Bounded even with NULs, which JSON escapes six-fold; past LETTER_BYTES the publisher
    # sends the reference alone.
    assert _size(letter) < 2 * LETTER_BYTES
    assert _size(reference(letter)) < 16 * 1024


def test_a_text_prefix_cut_inside_a_character_stays_text():
    value = ("é" * VALUE_PREFIX_BYTES).encode()  # two bytes each: the cut falls mid-character or not
    letter = dead_letter(consumer="c", message=_message(value=value + b"x"), error="e")
    assert letter.original_value_encoding == "utf-8"
    assert set(letter.original_value) == {"é"} and "value" in letter.truncated


def test_a_reference_keeps_only_what_finds_the_original():
    letter = dead_letter(consumer="c", message=_message(key=b"k" * 5000, value=b"v" * 100), error="x" * 5000)
    ref = reference(letter)
    assert (ref.original_topic, ref.original_partition, ref.original_offset) == ("sigap.complaint.submitted", 3, 42)
    assert ref.original_value is None and ref.original_headers == {}
    assert ref.original_value_sha256 == letter.original_value_sha256 and ref.original_value_size == 100
    assert set(ref.truncated) == {"error", "key", "headers", "value"}


def test_null_key_value_and_header_values_are_letters_too():
    letter = dead_letter(consumer="c", message=_message(key=None, value=None, headers=[("h", None)]), error="e")
    assert letter.original_key is None and letter.original_value is None
    assert letter.original_value_encoding == "none" and letter.original_value_size is None
    assert letter.original_headers == {"h": ""}


def test_an_unreadable_record_letter_names_only_where_it_is():
    letter = unreadable(consumer="c", topic="t", partition=1, offset=7, error="UnicodeDecodeError")
    body = orjson.loads(encode_dead_letter(letter, source="sigap/test", subject=None).value)
    assert body["original_offset"] == 7 and body["truncated"] == ["key", "headers", "value"]


def test_a_header_without_a_value_does_not_break_decoding():
    with pytest.raises(Exception) as caught:
        decode([("ce_specversion", None)], b"{}")
    assert type(caught.value).__name__ == "EventDecodeError"


@pytest.mark.parametrize(
    "error",
    [MessageSizeTooLargeError(), RecordListTooLargeError(), TopicAuthorizationFailedError()],
)
def test_a_refusal_of_the_record_is_not_retried(error):
    assert refused_record(error)


@pytest.mark.parametrize(
    "error",
    [
        KafkaConnectionError(),
        KafkaTimeoutError(),
        NotLeaderForPartitionError(),
        OutOfOrderSequenceNumber(),  # the producer's session, cured by a fresh producer
        OSError("connection refused"),
        TimeoutError(),
    ],
)
def test_a_broker_that_is_away_is_retried(error):
    assert not refused_record(error)


def test_backoff_doubles_to_its_cap_and_reports_work_stuck_past_the_bound():
    backoff = Backoff(first_s=0.5, max_s=2.0)
    assert [backoff.failed(KafkaConnectionError()) for _ in range(4)] == [0.5, 1.0, 2.0, 2.0]
    assert backoff.stuck(after_s=3600) is None
    reason = backoff.stuck(after_s=0)
    assert reason is not None and reason.startswith("stuck: retrying for ") and "KafkaConnectionError" in reason
    backoff.succeeded()
    assert backoff.stuck(after_s=0) is None and backoff.failed("again") == 0.5
    backoff.succeeded()
    backoff.begin()
    assert backoff.stuck(after_s=0).startswith("stuck: waiting for ")
