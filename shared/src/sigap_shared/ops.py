"""The operator's command for what Kafka holds about Sigap: how far behind each consumer group
is, and the dead letters (list, show one, replay after a fix).

    sigap-ops lag                                  # every consumer group of the services, per partition
    sigap-ops deadletters list [--consumer routing.submitted] [--since 2026-12-05T08:00:00+07:00]
    sigap-ops deadletters show 0:42                # one letter whole ("partition:offset", as listed)
    sigap-ops deadletters replay --consumer routing.submitted [--dry-run] [0:42 ...]

Reads SIGAP_KAFKA_BOOTSTRAP, SIGAP_KAFKA_TOPIC_PREFIX and SIGAP_KAFKA_GROUP_PREFIX like the
services (`python -m sigap_shared.ops` is the same command). Replay is `sigap_shared.replay`'s."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from sigap_shared import replay
from sigap_shared.events import TOPIC_DEAD_LETTER
from sigap_shared.settings import ServiceSettings


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group has committed nothing on this partition yet
    end: int

    @property
    def lag(self) -> int:
        return self.end - (self.committed or 0)


async def consumer_lag(*, bootstrap: str, group_prefix: str) -> list[PartitionLag]:
    """Every partition of every consumer group whose name starts with `group_prefix.`, with
    the group's committed offset and the partition's end offset."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        groups = sorted(
            group_id for group_id, *_ in await admin.list_consumer_groups() if group_id.startswith(f"{group_prefix}.")
        )
        committed = {group: await admin.list_consumer_group_offsets(group) for group in groups}
    finally:
        await admin.close()
    partitions = sorted({tp for offsets in committed.values() for tp in offsets})
    ends: dict[TopicPartition, int] = {}
    if partitions:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
        await consumer.start()
        try:
            ends = await consumer.end_offsets(partitions)
        finally:
            await consumer.stop()
    rows: list[PartitionLag] = []
    for group in groups:
        for tp, offset in sorted(committed[group].items()):
            rows.append(
                PartitionLag(
                    group=group,
                    topic=tp.topic,
                    partition=tp.partition,
                    committed=offset.offset if offset.offset >= 0 else None,
                    end=ends[tp],
                )
            )
    return rows


def _columns(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(map(str, header)), *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells) + "\n"


def _print_lag(settings: ServiceSettings, args: argparse.Namespace) -> int:
    rows = asyncio.run(consumer_lag(bootstrap=settings.kafka_bootstrap, group_prefix=args.group_prefix))
    if not rows:
        sys.stdout.write(f"no consumer group named {args.group_prefix}.* on {settings.kafka_bootstrap}\n")
        return 0
    sys.stdout.write(
        _columns(
            ("group", "topic", "partition", "committed", "end", "lag"),
            [(r.group, r.topic, r.partition, "-" if r.committed is None else r.committed, r.end, r.lag) for r in rows],
        )
    )
    sys.stdout.write(f"total lag: {sum(r.lag for r in rows)}\n")
    return 0


def _letters(settings: ServiceSettings, since: datetime | None) -> list[replay.StoredLetter]:
    topic = settings.kafka_topic_prefix + TOPIC_DEAD_LETTER
    return asyncio.run(replay.read_letters(settings.kafka_bootstrap, topic, since))


def _written_at(stored: replay.StoredLetter) -> str:
    return datetime.fromtimestamp(stored.timestamp_ms / 1000, UTC).isoformat(timespec="seconds")


def _list_letters(settings: ServiceSettings, args: argparse.Namespace) -> int:
    letters = [
        stored
        for stored in _letters(settings, args.since)
        if args.consumer is None or (stored.letter is not None and stored.letter.consumer == args.consumer)
    ]
    rows = []
    for stored in letters:
        letter = stored.letter
        if letter is None:
            rows.append((stored.letter_id, _written_at(stored), "?", "?", "not a dead letter"))
            continue
        original = f"{letter.original_topic}:{letter.original_partition}:{letter.original_offset}"
        error = letter.error.splitlines()[0] if letter.error else ""
        rows.append((stored.letter_id, _written_at(stored), letter.consumer, original, error[:100]))
    sys.stdout.write(_columns(("letter", "written", "consumer", "original", "error"), rows))
    sys.stdout.write(f"{len(rows)} letter(s); `sigap-ops deadletters show LETTER` prints one whole\n")
    return 0


def _show_letter(settings: ServiceSettings, args: argparse.Namespace) -> int:
    for stored in _letters(settings, None):
        if stored.letter_id == args.letter:
            shown = {"letter": stored.letter_id, "written": _written_at(stored)}
            if stored.letter is not None:
                shown |= stored.letter.model_dump(mode="json")
            sys.stdout.write(orjson.dumps(shown, option=orjson.OPT_INDENT_2).decode() + "\n")
            return 0
    sys.stderr.write(f"no letter {args.letter} on {settings.kafka_topic_prefix + TOPIC_DEAD_LETTER}\n")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sigap-ops", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    lag = commands.add_parser("lag", help="committed and end offsets of every consumer group, per partition")
    lag.add_argument("--group-prefix", help="groups named PREFIX.* (default: SIGAP_KAFKA_GROUP_PREFIX)")
    letters = commands.add_parser("deadletters", help="the letters on the dead-letter topic").add_subparsers(
        dest="action", required=True
    )
    listing = letters.add_parser("list", help="one line per letter")
    listing.add_argument("--consumer", help="only this consumer's letters, e.g. routing.submitted")
    listing.add_argument("--since", type=datetime.fromisoformat, help="only letters written since (ISO 8601)")
    show = letters.add_parser("show", help="one letter whole")
    show.add_argument("letter", metavar="PARTITION:OFFSET")
    letters.add_parser("replay", help="send a consumer's letters back to their topics", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "deadletters" and args.action == "replay":
        return replay.main(rest, prog="sigap-ops deadletters replay")
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    settings = ServiceSettings()
    if args.command == "lag":
        args.group_prefix = args.group_prefix or settings.kafka_group_prefix
        return _print_lag(settings, args)
    if args.action == "list":
        return _list_letters(settings, args)
    return _show_letter(settings, args)


if __name__ == "__main__":
    raise SystemExit(main())
