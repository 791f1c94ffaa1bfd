"""Session-wide fixtures: real Kafka and PostgreSQL are started once per test session, and only
for the tests that ask for them (unit tests never do)."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from sigap_shared.db import apply_migrations, shared_migrations
from tests.support.gotools import go_tool
from tests.support.infra import Infra, delete_prefixed_topics, random_name, session_infra


def pytest_collection_finish(session: pytest.Session) -> None:
    """Builds the Go tools the selected tests use before any of them runs, so that a first
    build, minutes long, is not counted against a test's timeout."""
    needed = {name for item in session.items for marker in item.iter_markers("go_tools") for name in marker.args}
    for name in sorted(needed):
        try:
            go_tool(name)
        except pytest.fail.Exception:
            pass  # the tests that need it fail with the reason when they ask for it


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """Shortly before pytest-timeout ends a hung test (its dump shows threads only, and every
    async test waits in the same event loop), print where each unfinished asyncio task waits."""
    marker = item.get_closest_marker("timeout")
    configured = item.config.getoption("timeout", None) or item.config.getini("timeout") or 0
    timeout = float(marker.args[0]) if marker and marker.args else float(configured)
    timer = threading.Timer(max(timeout - 15, 1), _print_task_stacks, args=(item.nodeid,)) if timeout else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        return (yield)
    finally:
        if timer:
            timer.cancel()


def _print_task_stacks(nodeid: str) -> None:
    # Diagnostics only: the set of live tasks is read from another thread without the loop's help.
    tasks = [task for task in list(getattr(asyncio.tasks, "_all_tasks", ())) if not task.done()]
    print(f"\n--- {nodeid} is about to time out; {len(tasks)} asyncio tasks still running ---", file=sys.stderr)
    for task in tasks:
        print(f"task {task.get_name()}:", file=sys.stderr)
        task.print_stack(limit=12, file=sys.stderr)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with session_infra() as running:
        yield running
        try:
            asyncio.run(asyncio.wait_for(delete_prefixed_topics(running), 60))
        except Exception as exc:  # noqa: BLE001 - cleanup must not fail the session
            print(f"could not delete this session's topics: {exc!r}")


@pytest.fixture(scope="session")
async def admin_conn(infra: Infra) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(**infra.pg_kwargs("postgres"))
    yield conn
    await conn.close()


class DatabaseFactory:
    def __init__(self, infra: Infra, admin: asyncpg.Connection) -> None:
        self._infra = infra
        self._admin = admin
        self.created: list[str] = []

    async def create(self, prefix: str = "sigap_test") -> str:
        """A fresh, empty database; names are random so tests never share state."""
        name = random_name(prefix)
        await self._admin.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return name

    async def drop_all(self) -> None:
        """Thousands of leftover databases would slow the server down for everyone (autovacuum
        visits each one), so a session removes what it created."""
        for name in self.created:
            await self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()

    async def create_with_messaging(self, prefix: str = "sigap_test") -> str:
        name = await self.create(prefix)
        pool = await asyncpg.create_pool(**self._infra.pg_kwargs(name), min_size=1, max_size=2)
        try:
            await apply_migrations(pool, [shared_migrations()])
        finally:
            await pool.close()
        return name


@pytest.fixture(scope="session")
async def databases(infra: Infra, admin_conn: asyncpg.Connection) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(infra, admin_conn)
    yield factory
    await factory.drop_all()


@pytest.fixture
async def messaging_pool(infra: Infra, databases: DatabaseFactory) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh database holding the outbox and inbox tables."""
    name = await databases.create_with_messaging()
    pool = await asyncpg.create_pool(**infra.pg_kwargs(name), min_size=1, max_size=5)
    yield pool
    await pool.close()
