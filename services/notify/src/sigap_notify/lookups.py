"""Reads shared by the deliveries of one dispatch batch: a batch of staff mails needs its
department's addresses, its template and its webhook's row once, not once per delivery, and
the reporters' direct subscriptions it needs are read together. The dispatcher opens a scope
around each batch it sends; outside a scope every lookup goes to the database on its own. The
values are read after the batch was claimed, so an admin's edit is seen by the next batch, as
it was when every delivery read them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


@dataclass
class _Scope:
    answers: dict[Hashable, asyncio.Future[Any]] = field(default_factory=dict)
    waiting: dict[str, list[Hashable]] = field(default_factory=dict)
    reads: set[asyncio.Task[None]] = field(default_factory=set)


_scope: ContextVar[_Scope | None] = ContextVar("sigap_notify_batch_lookups", default=None)


@contextlib.contextmanager
def batch_scope() -> Iterator[None]:
    """Lookups made within (including in tasks created within) are shared."""
    token = _scope.set(_Scope())
    try:
        yield
    finally:
        _scope.reset(token)


async def once(key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
    """`load()`'s answer, read once per batch scope (concurrent callers wait for the same read;
    a failed read fails every delivery of the batch that needs it, each then retried)."""
    scope = _scope.get()
    if scope is None:
        return await load()
    future = scope.answers.get(key)
    if future is None:
        future = scope.answers[key] = asyncio.ensure_future(load())
    # Shielded: one delivery being cancelled must not cancel the read the others wait for.
    return await asyncio.shield(future)


async def together(
    kind: str, key: K, load_many: Callable[[Sequence[K]], Awaitable[Mapping[K, T]]]
) -> T | None:
    """The answer for `key` (None when `load_many` does not know it). Within a batch scope the
    keys asked for in the same moment (the batch's deliveries start together) are read with
    one `load_many`, and each key once."""
    scope = _scope.get()
    if scope is None:
        return (await load_many([key])).get(key)
    future = scope.answers.get((kind, key))
    if future is None:
        loop = asyncio.get_running_loop()
        future = scope.answers[(kind, key)] = loop.create_future()
        waiting = scope.waiting.setdefault(kind, [])
        waiting.append(key)
        if len(waiting) == 1:
            # Runs once the deliveries started in this moment have asked for their keys.
            loop.call_soon(_read_together, scope, kind, load_many)
    return await asyncio.shield(future)


def _read_together(
    scope: _Scope, kind: str, load_many: Callable[[Sequence[Any]], Awaitable[Mapping[Any, Any]]]
) -> None:
    keys = scope.waiting.pop(kind, [])
    futures = [scope.answers[(kind, key)] for key in keys]

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
    scope.reads.add(task)  # the event loop keeps only a weak reference to a task
    task.add_done_callback(scope.reads.discard)
