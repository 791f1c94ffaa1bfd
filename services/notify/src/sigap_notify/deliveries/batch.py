"""Reads shared by the deliveries of one dispatch batch: a batch of staff mails needs its
department's addresses, its template and its webhook's row once, not once per delivery, and
the reporters' direct subscriptions it needs are read together. The dispatcher makes one
`BatchReads` per batch and hands it to every send of that batch; nothing is shared beyond it.
The values are read after the batch was claimed, so an admin's edit is seen by the next
batch, as it was when every delivery read them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class BatchReads:
    def __init__(self) -> None:
        self._answers: dict[Hashable, asyncio.Future[Any]] = {}
        self._waiting: dict[str, list[Hashable]] = {}
        self._reads: set[asyncio.Task[None]] = set()

    async def once(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """`load()`'s answer, read once per batch (concurrent callers wait for the same read;
        a failed read fails every delivery of the batch that needs it, each then retried)."""
        future = self._answers.get(key)
        if future is None:
            future = self._answers[key] = asyncio.ensure_future(load())
        # Shielded: one delivery being cancelled must not cancel the read the others wait for.
        return await asyncio.shield(future)

    async def together(
        self, kind: str, key: K, load_many: Callable[[Sequence[K]], Awaitable[Mapping[K, T]]]
    ) -> T | None:
        """The answer for `key` (None when `load_many` does not know it). The keys asked for in
        the same moment (the batch's deliveries start together) are read with one
        `load_many`, and each key once."""
        future = self._answers.get((kind, key))
        if future is None:
            loop = asyncio.get_running_loop()
            future = self._answers[(kind, key)] = loop.create_future()
            waiting = self._waiting.setdefault(kind, [])
            waiting.append(key)
            if len(waiting) == 1:
                # Runs once the deliveries started in this moment have asked for their keys.
                loop.call_soon(self._read_together, kind, load_many)
        return await asyncio.shield(future)

    def _read_together(
        self, kind: str, load_many: Callable[[Sequence[Any]], Awaitable[Mapping[Any, Any]]]
    ) -> None:
        keys = self._waiting.pop(kind, [])
        futures = [self._answers[(kind, key)] for key in keys]

        async def read() -> None:
            try:
                answers = await load_many(keys)
            except asyncio.CancelledError:
                for future in futures:
                    future.cancel()
                raise
            except Exception as exc:  # noqa: BLE001 - handed to every delivery waiting for it
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
                return
            for key, future in zip(keys, futures, strict=True):
                if not future.done():
                    future.set_result(answers.get(key))

        task = asyncio.ensure_future(read())
        self._reads.add(task)  # the event loop keeps only a weak reference to a task
        task.add_done_callback(self._reads.discard)
