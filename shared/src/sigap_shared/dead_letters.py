"""Dead letters: a message a consumer could not handle goes to `sigap.deadletter` with the error
attached, whatever the message was. A letter is bounded (see `DeadLetter`), so every message the
broker accepted can be dead-lettered; a letter the broker still refuses goes again as a bare
reference, and if even that is refused it is logged, counted and let go. Only a broker that is
away is waited for, never a refusal."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Sequence

import structlog
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError

from sigap_shared.events import DeadLetter, DeadLetterPart, KafkaRecord, encode_dead_letter
from sigap_shared.kafka import new_producer, refused_record
from sigap_shared.retry import Backoff

log = structlog.get_logger(__name__)

VALUE_PREFIX_BYTES = 16 * 1024
KEY_CHARS = 1024
HEADERS = 32
HEADER_NAME_CHARS = 256
HEADER_VALUE_CHARS = 1024
ERROR_CHARS = 4000
# A reference keeps only what finds the original again.
REFERENCE_KEY_CHARS = 256
REFERENCE_ERROR_CHARS = 1000
# Text that JSON escapes six-fold (control characters) can still make a letter large: past
# this size it goes as a reference straight away.
LETTER_BYTES = 256 * 1024


def _cut(text: str, limit: int) -> tuple[str, bool]:
    return (text[:limit], True) if len(text) > limit else (text, False)


def _text(raw: bytes, limit: int) -> tuple[str, bool]:
    # Decoding only the bytes that can matter keeps a megabyte key from costing a megabyte.
    return _cut(raw[: limit * 4].decode(errors="replace"), limit)


def _headers(headers: Sequence[tuple[str, bytes | None]] | None) -> tuple[dict[str, str], bool]:
    kept: dict[str, str] = {}
    cut = len(headers or ()) > HEADERS
    for name, raw in (headers or ())[:HEADERS]:
        short_name, name_cut = _cut(name, HEADER_NAME_CHARS)
        value, value_cut = _text(raw, HEADER_VALUE_CHARS) if raw is not None else ("", False)
        kept[short_name] = value
        cut = cut or name_cut or value_cut
    return kept, cut


def _value_prefix(value: bytes) -> tuple[str, str, bool]:
    """The value, or its first bytes, as UTF-8 text when it is text, else base64."""
    prefix = value[:VALUE_PREFIX_BYTES]
    cut = len(prefix) < len(value)
    try:
        return prefix.decode("utf-8"), "utf-8", cut
    except UnicodeDecodeError as exc:
        # A prefix may end inside a multi-byte character; the rest is still text.
        if cut and exc.start >= len(prefix) - 3:
            try:
                return prefix[: exc.start].decode("utf-8"), "utf-8", cut
            except UnicodeDecodeError:
                pass
        return base64.b64encode(prefix).decode(), "base64", cut


def dead_letter(*, consumer: str, message: ConsumerRecord, error: str) -> DeadLetter:
    """A bounded letter for `message`: its key, headers and value cut to fit, with the value's
    size and SHA-256."""
    truncated: list[DeadLetterPart] = []
    error, error_cut = _cut(error, ERROR_CHARS)
    key, key_cut = _text(message.key, KEY_CHARS) if message.key is not None else (None, False)
    headers, headers_cut = _headers(message.headers)
    value: bytes | None = message.value
    text, encoding, value_cut = _value_prefix(value) if value is not None else (None, "none", False)
    for part, was_cut in (("error", error_cut), ("key", key_cut), ("headers", headers_cut), ("value", value_cut)):
        if was_cut:
            truncated.append(part)  # type: ignore[arg-type]
    return DeadLetter(
        consumer=consumer,
        error=error,
        original_topic=message.topic,
        original_partition=message.partition,
        original_offset=message.offset,
        original_key=key,
        original_headers=headers,
        original_value=text,
        original_value_encoding=encoding,  # type: ignore[arg-type]
        original_value_size=len(value) if value is not None else None,
        original_value_sha256=hashlib.sha256(value).hexdigest() if value is not None else None,
        truncated=tuple(truncated),
    )


def reference(letter: DeadLetter) -> DeadLetter:
    """The same letter without headers or value, key and error cut short: what is left finds
    the original again (topic, partition, offset; the value's size and hash)."""
    key, key_cut = (None, False) if letter.original_key is None else _cut(letter.original_key, REFERENCE_KEY_CHARS)
    error, error_cut = _cut(letter.error, REFERENCE_ERROR_CHARS)
    parts = set(letter.truncated) | {"headers", "value"}
    parts |= {part for part, was_cut in (("key", key_cut), ("error", error_cut)) if was_cut}
    return letter.model_copy(
        update={
            "error": error,
            "original_key": key,
            "original_headers": {},
            "original_value": None,
            "original_value_encoding": "none",
            "truncated": tuple(part for part in ("error", "key", "headers", "value") if part in parts),
        }
    )


def unreadable(*, consumer: str, topic: str, partition: int, offset: int, error: str) -> DeadLetter:
    """A reference to records the Kafka client could not even parse: only where they are."""
    return DeadLetter(
        consumer=consumer,
        error=_cut(error, ERROR_CHARS)[0],
        original_topic=topic,
        original_partition=partition,
        original_offset=offset,
        truncated=("key", "headers", "value"),
    )


class DeadLetterPublisher:
    """Publishes dead letters (as `sigap.deadletter.v1` CloudEvents) and waits for the ack."""

    def __init__(self, *, bootstrap: str, source: str, topic_prefix: str = "") -> None:
        self._bootstrap = bootstrap
        self._topic_prefix = topic_prefix
        self._source = source
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        self._backoff = Backoff()
        self.published = 0
        self.dropped = 0  # refused even as a reference: logged and let go

    async def publish(self, *, consumer: str, message: ConsumerRecord, error: str) -> None:
        await self.publish_letter(dead_letter(consumer=consumer, message=message, error=error))

    async def publish_letter(self, letter: DeadLetter) -> None:
        """Publish `letter`, or its reference when the broker refuses it; waits while the broker
        is away, never for a refusal."""
        full = self._record(letter)
        records = [full] if len(full.value) <= LETTER_BYTES else []
        records.append(self._record(reference(letter)))
        refusal: BaseException | None = None
        async with self._lock:
            for record in records:
                refusal = await self._send(record)
                if refusal is None:
                    self.published += 1
                    return
                log.warning("dead_letter_refused", original_topic=letter.original_topic, error=repr(refusal))
            self.dropped += 1
            log.error(
                "dead_letter_dropped",
                consumer=letter.consumer,
                original_topic=letter.original_topic,
                original_partition=letter.original_partition,
                original_offset=letter.original_offset,
                error=repr(refusal),
            )

    def stuck(self, *, after_s: float) -> str | None:
        """Why the publisher counts as stuck (retrying one letter for longer than `after_s`)."""
        return self._backoff.stuck(after_s=after_s)

    def _record(self, letter: DeadLetter) -> KafkaRecord:
        return encode_dead_letter(letter, source=self._source, subject=letter.original_key)

    async def _send(self, record: KafkaRecord) -> BaseException | None:
        """None once the broker acknowledged `record`; the error if it refused it. Retries
        while the broker is away."""
        self._backoff.begin()
        while True:
            try:
                if self._producer is None:
                    producer = new_producer(self._bootstrap, client_id=f"{self._source}-dlq")
                    await producer.start()
                    self._producer = producer
                await self._producer.send_and_wait(
                    self._topic_prefix + record.topic,
                    value=record.value,
                    key=record.key,
                    headers=list(record.headers),
                )
                self._backoff.succeeded()
                return None
            except (KafkaError, OSError, asyncio.TimeoutError) as exc:
                await self.close()
                if refused_record(exc):
                    self._backoff.succeeded()
                    return exc
                delay = self._backoff.failed(exc)
                log.warning("dead_letter_publish_failed", error=repr(exc), retry_in_s=delay)
                await asyncio.sleep(delay)

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), 10)
            except Exception as exc:  # noqa: BLE001 - a broken producer may fail to close in any way
                log.debug("dead_letter_producer_stop_failed", error=repr(exc))
