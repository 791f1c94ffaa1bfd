"""Replays dead letters: the events a consumer gave up on go back to their original topic, once
whatever made its handler fail is fixed. Each letter points at its original (topic, partition,
offset); the original record is read from there, checked against the letter's SHA-256, and
published again unchanged, with its event id. The consumer that failed handles it now; every
other consumer of the topic already has the event id in its inbox and skips it. Replaying the
same letter twice is therefore harmless too.

When the original is gone from the broker (retention), a letter that carries the whole value
is replayed from the letter itself; otherwise it is reported as lost.

    python -m sigap_shared.replay --consumer routing.submitted [--since 2026-12-05T08:00:00+07:00]
        [--error-contains TEXT] [--dry-run]

Reads SIGAP_KAFKA_BOOTSTRAP and SIGAP_KAFKA_TOPIC_PREFIX like the services; prints one JSON
line per letter and a summary."""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from sigap_shared.events import TOPIC_DEAD_LETTER, DeadLetter
from sigap_shared.kafka import new_producer
from sigap_shared.settings import ServiceSettings


@dataclass
class ReplayReport:
    replayed: int = 0
    from_letter: int = 0  # the original was gone; the letter carried it whole
    lost: int = 0  # neither the original nor a whole copy
    skipped: int = 0  # letters of other consumers, or not matching the filters
    lines: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class _Original:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


async def topic_partitions(bootstrap: str, topic: str) -> list[TopicPartition]:
    """The partitions of `topic` (none when it does not exist)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        if described.get("error_code"):
            return []
        return [TopicPartition(topic, p["partition"]) for p in sorted(described["partitions"], key=lambda p: p["partition"])]
    finally:
        await admin.close()


class StoredLetter(NamedTuple):
    """A record of the dead-letter topic: where it is, when it was written, and the letter
    (None for a record that is not a letter)."""

    partition: int
    offset: int
    timestamp_ms: int
    letter: DeadLetter | None

    @property
    def letter_id(self) -> str:
        return f"{self.partition}:{self.offset}"


async def read_letters(bootstrap: str, topic: str, since: datetime | None = None) -> list[StoredLetter]:
    """Every letter on the dead-letter topic up to its end when we started (written since
    `since`, when given)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = await topic_partitions(bootstrap, topic)
        if not partitions:
            raise SystemExit(f"no topic {topic} on {bootstrap}")
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        if since is not None:
            found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in partitions})
            starts = {tp: (found[tp].offset if found.get(tp) else ends[tp]) for tp in partitions}
        for tp in partitions:
            consumer.seek(tp, starts[tp])
        letters: list[StoredLetter] = []
        pending = {tp for tp in partitions if starts[tp] < ends[tp]}
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=2000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    try:
                        letter = DeadLetter.model_validate_json(record.value or b"")
                    except ValidationError:
                        letter = None
                    letters.append(StoredLetter(tp.partition, record.offset, record.timestamp, letter))
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        return letters
    finally:
        await consumer.stop()


async def _original(consumer: AIOKafkaConsumer, letter: DeadLetter) -> _Original | None:
    tp = TopicPartition(letter.original_topic, letter.original_partition)
    consumer.assign([tp])
    start = (await consumer.beginning_offsets([tp]))[tp]
    end = (await consumer.end_offsets([tp]))[tp]
    if not start <= letter.original_offset < end:
        return None
    consumer.seek(tp, letter.original_offset)
    batches = await consumer.getmany(tp, timeout_ms=5000, max_records=1)
    for record in batches.get(tp, []):
        if record.offset != letter.original_offset:
            return None
        if letter.original_value_sha256 and hashlib.sha256(record.value or b"").hexdigest() != letter.original_value_sha256:
            return None
        return _Original(key=record.key, value=record.value, headers=list(record.headers or ()))
    return None


def _whole_copy(letter: DeadLetter) -> _Original | None:
    """The original rebuilt from a letter that carries all of it."""
    if set(letter.truncated) & {"key", "headers", "value"} or letter.original_value is None:
        return None
    value = (
        base64.b64decode(letter.original_value)
        if letter.original_value_encoding == "base64"
        else letter.original_value.encode()
    )
    if letter.original_value_sha256 and hashlib.sha256(value).hexdigest() != letter.original_value_sha256:
        return None
    return _Original(
        key=letter.original_key.encode() if letter.original_key is not None else None,
        value=value,
        headers=[(name, text.encode()) for name, text in letter.original_headers.items()],
    )


async def replay(
    *,
    bootstrap: str,
    consumer_name: str,
    topic_prefix: str = "",
    since: datetime | None = None,
    error_contains: str | None = None,
    dry_run: bool = False,
    letter_ids: frozenset[str] | None = None,
) -> ReplayReport:
    """Replays the letters of `consumer_name` (optionally: written since `since`, whose error
    contains `error_contains`, only those of `letter_ids`, "partition:offset")."""
    report = ReplayReport()
    letters = await read_letters(bootstrap, topic_prefix + TOPIC_DEAD_LETTER, since)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    producer = new_producer(bootstrap, client_id="sigap-replay")
    await reader.start()
    await producer.start()
    try:
        for partition, offset, _, letter in letters:
            if (
                letter is None
                or letter.consumer != consumer_name
                or (error_contains is not None and error_contains not in letter.error)
                or (letter_ids is not None and f"{partition}:{offset}" not in letter_ids)
            ):
                report.skipped += 1
                continue
            line = {
                "letter": f"{partition}:{offset}",
                "original": f"{letter.original_topic}:{letter.original_partition}:{letter.original_offset}",
            }
            original = await _original(reader, letter)
            if original is None:
                original = _whole_copy(letter)
                if original is None:
                    report.lost += 1
                    report.lines.append(line | {"outcome": "lost"})
                    continue
                report.from_letter += 1
                line["from"] = "letter"
            if not dry_run:
                await producer.send_and_wait(
                    letter.original_topic, value=original.value, key=original.key, headers=original.headers
                )
            report.replayed += 1
            report.lines.append(line | {"outcome": "would replay" if dry_run else "replayed"})
    finally:
        await producer.stop()
        await reader.stop()
    return report


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m sigap_shared.replay") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--consumer", required=True, help="whose letters, e.g. routing.submitted")
    parser.add_argument("--since", type=datetime.fromisoformat, help="only letters written since (ISO 8601, with offset)")
    parser.add_argument("--error-contains", help="only letters whose error contains this text")
    parser.add_argument("--dry-run", action="store_true", help="say what would be replayed, publish nothing")
    parser.add_argument("letters", nargs="*", metavar="PARTITION:OFFSET", help="only these letters")
    args = parser.parse_args(argv)
    settings = ServiceSettings()
    report = asyncio.run(
        replay(
            bootstrap=settings.kafka_bootstrap,
            consumer_name=args.consumer,
            topic_prefix=settings.kafka_topic_prefix,
            since=args.since,
            error_contains=args.error_contains,
            dry_run=args.dry_run,
            letter_ids=frozenset(args.letters) if args.letters else None,
        )
    )
    for line in report.lines:
        sys.stdout.write(orjson.dumps(line).decode() + "\n")
    summary = {
        "replayed": report.replayed,
        "from_letter": report.from_letter,
        "lost": report.lost,
        "skipped": report.skipped,
        "dry_run": args.dry_run,
    }
    sys.stdout.write(orjson.dumps(summary).decode() + "\n")
    return 1 if report.lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
