"""Lookups shared by the deliveries of one dispatch batch: read once per batch (or together,
many keys in one read), never carried over to the next batch."""

from __future__ import annotations

import asyncio

import pytest

from sigap_notify import lookups


async def test_a_lookup_is_read_once_per_batch_and_afresh_in_the_next():
    reads: list[str] = []

    async def load() -> str:
        reads.append("read")
        await asyncio.sleep(0.01)
        return f"value {len(reads)}"

    assert await lookups.once("key", load) == "value 1"  # outside a batch: every call reads
    assert await lookups.once("key", load) == "value 2"
    with lookups.batch_scope():
        answers = await asyncio.gather(*(lookups.once("key", load) for _ in range(20)))
        assert set(answers) == {"value 3"}
        assert await lookups.once("other", load) == "value 4"
    with lookups.batch_scope():
        assert await lookups.once("key", load) == "value 5"
    assert len(reads) == 5


async def test_keys_asked_for_together_are_read_in_one_go():
    reads: list[list[str]] = []

    async def load_many(keys):
        reads.append(list(keys))
        await asyncio.sleep(0.01)
        return {key: key.upper() for key in keys if key != "unknown"}

    keys = [f"k{i}" for i in range(30)] + ["k1", "unknown"]
    with lookups.batch_scope():
        answers = await asyncio.gather(*(lookups.together("kind", key, load_many) for key in keys))
        assert answers == [key.upper() for key in keys[:-1]] + [None]
        assert await lookups.together("kind", "k2", load_many) == "K2"  # already read in this batch
        assert await lookups.together("kind", "late", load_many) == "LATE"
    assert [sorted(read) for read in reads] == [sorted(set(keys)), ["late"]]
    assert await lookups.together("kind", "k3", load_many) == "K3"  # outside a batch: read alone
    assert reads[-1] == ["k3"]


async def test_a_failed_read_fails_every_delivery_waiting_for_it_and_only_in_its_batch():
    calls = 0

    async def load_many(keys):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database down")
        return {key: "ok" for key in keys}

    with lookups.batch_scope():
        outcomes = await asyncio.gather(
            *(lookups.together("kind", key, load_many) for key in ("a", "b", "c")), return_exceptions=True
        )
    assert [type(outcome) for outcome in outcomes] == [ConnectionError] * 3
    with lookups.batch_scope():
        assert await lookups.together("kind", "a", load_many) == "ok"


@pytest.mark.parametrize("scoped", [True, False])
async def test_one_cancelled_delivery_does_not_cancel_the_read_others_wait_for(scoped):
    started = asyncio.Event()

    async def load() -> str:
        started.set()
        await asyncio.sleep(0.05)
        return "value"

    async def both() -> str:
        first = asyncio.ensure_future(lookups.once("key", load))
        await started.wait()
        second = asyncio.ensure_future(lookups.once("key", load))
        first.cancel()
        return await second

    if scoped:
        with lookups.batch_scope():
            assert await both() == "value"
    else:
        assert await both() == "value"
