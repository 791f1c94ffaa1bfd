"""Reads shared by the deliveries of one dispatch batch: read once per batch (or together,
many keys in one read), never carried over to the next batch."""

from __future__ import annotations

import asyncio

from sigap_notify.deliveries.batch import BatchReads


async def test_a_lookup_is_read_once_per_batch_and_afresh_in_the_next():
    reads: list[str] = []

    async def load() -> str:
        reads.append("read")
        await asyncio.sleep(0.01)
        return f"value {len(reads)}"

    batch = BatchReads()
    answers = await asyncio.gather(*(batch.once("key", load) for _ in range(20)))
    assert set(answers) == {"value 1"}
    assert await batch.once("other", load) == "value 2"
    assert await batch.once("key", load) == "value 1"  # already read in this batch
    assert await BatchReads().once("key", load) == "value 3"  # the next batch reads again
    assert len(reads) == 3


async def test_keys_asked_for_together_are_read_in_one_go():
    reads: list[list[str]] = []

    async def load_many(keys):
        reads.append(list(keys))
        await asyncio.sleep(0.01)
        return {key: key.upper() for key in keys if key != "unknown"}

    keys = [f"k{i}" for i in range(30)] + ["k1", "unknown"]
    batch = BatchReads()
    answers = await asyncio.gather(*(batch.together("kind", key, load_many) for key in keys))
    assert answers == [key.upper() for key in keys[:-1]] + [None]
    assert await batch.together("kind", "k2", load_many) == "K2"  # already read in this batch
    assert await batch.together("kind", "late", load_many) == "LATE"
    assert [sorted(read) for read in reads] == [sorted(set(keys)), ["late"]]
    assert await BatchReads().together("kind", "k2", load_many) == "K2"  # the next batch reads again
    assert reads[-1] == ["k2"]


async def test_a_failed_read_fails_every_delivery_waiting_for_it_and_only_in_its_batch():
    calls = 0

    async def load_many(keys):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database down")
        return {key: "ok" for key in keys}

    batch = BatchReads()
    outcomes = await asyncio.gather(
        *(batch.together("kind", key, load_many) for key in ("a", "b", "c")), return_exceptions=True
    )
    assert [type(outcome) for outcome in outcomes] == [ConnectionError] * 3
    assert await BatchReads().together("kind", "a", load_many) == "ok"


async def test_one_cancelled_delivery_does_not_cancel_the_read_others_wait_for():
    started = asyncio.Event()
    reads = 0

    async def load() -> str:
        nonlocal reads
        reads += 1
        started.set()
        await asyncio.sleep(0.05)
        return "value"

    batch = BatchReads()
    first = asyncio.ensure_future(batch.once("key", load))
    await started.wait()
    second = asyncio.ensure_future(batch.once("key", load))
    first.cancel()
    assert await second == "value"
    assert reads == 1
