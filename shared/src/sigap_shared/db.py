"""PostgreSQL access: connection pools and versioned SQL migrations applied at start-up.

Migrations are plain `NNNN_name.sql` files; the shared library's own (outbox, inbox) are
applied first under the component name `shared`, then the service's. Each applied migration is
recorded with the SHA-256 of its text, and start-up refuses a migration edited after it was
applied (write a new one instead): an edit would otherwise never reach a database that has it."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from types import UnionType
from typing import Annotated, Union, get_args, get_origin, get_type_hints
from uuid import UUID
from importlib import resources
from importlib.resources.abc import Traversable

import asyncpg
import structlog

from sigap_shared.retry import Backoff

log = structlog.get_logger(__name__)

# Errors that mean "the database is not reachable right now", as opposed to a bad statement.
TRANSIENT_DB_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    # A pooled connection that received the server's shutdown notice while idle is handed out
    # before its socket closes; its first statement then fails with this protocol-state error.
    asyncpg.exceptions.InternalClientError,
)

# PostgreSQL's type for a row field's Python type; `Annotated[str, "jsonb"]` says otherwise.
_SQL_TYPES: dict[type, str] = {
    UUID: "uuid",
    str: "text",
    bytes: "bytea",
    bool: "boolean",
    int: "integer",
    float: "double precision",
    datetime: "timestamptz",
}


def _sql_type(hint: object) -> str:
    if get_origin(hint) is Annotated:
        return next(meta for meta in get_args(hint)[1:] if isinstance(meta, str))
    if get_origin(hint) in (Union, UnionType):
        [hint] = [arg for arg in get_args(hint) if arg is not type(None)]
        return _sql_type(hint)
    return _SQL_TYPES[hint]  # type: ignore[index]


class Rows:
    """Typed rows sent to PostgreSQL as one array parameter per column, so one statement
    writes any number of them and its parameters come from the row type, never counted by
    hand: `row_type` is a dataclass whose field types give the columns' PostgreSQL types.

        DECISIONS = Rows(Decision)
        f"INSERT INTO t (complaint_id, reasons) SELECT complaint_id, reasons FROM {DECISIONS.unnest}"
        await conn.execute(sql, *DECISIONS.params(decisions))

    `unnest` names the rows `incoming` and numbers them by `position` (their order)."""

    def __init__(self, row_type: type) -> None:
        hints = get_type_hints(row_type, include_extras=True)
        self.names = tuple(field.name for field in fields(row_type))
        arrays = ", ".join(f"${n}::{_sql_type(hints[name])}[]" for n, name in enumerate(self.names, start=1))
        self.unnest = f"unnest({arrays}) WITH ORDINALITY AS incoming({', '.join(self.names)}, position)"

    def params(self, rows: Sequence[object]) -> list[list[object]]:
        return [[getattr(row, name) for row in rows] for name in self.names]


def placeholders(names: Sequence[str], *, after: Rows | None = None) -> dict[str, str]:
    """`$n` for each named parameter, in the order given (after the arrays of `after`), to
    format into a statement: the call then passes the values in the same order."""
    first = len(after.names) + 1 if after is not None else 1
    return {name: f"${n}" for n, name in enumerate(names, start=first)}


_MIGRATION_LOCK_KEY = 0x5167A9  # any constant; serialises concurrent replicas' migrations


@dataclass(frozen=True, slots=True)
class MigrationSource:
    component: str
    directory: Traversable


def shared_migrations() -> MigrationSource:
    return MigrationSource("shared", resources.files("sigap_shared") / "migrations")


def package_migrations(package: str) -> MigrationSource:
    return MigrationSource(package, resources.files(package) / "migrations")


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=lambda v: v, decoder=lambda v: v, schema="pg_catalog")


async def create_pool(
    connect_kwargs: dict[str, object],
    *,
    min_size: int = 2,
    max_size: int = 10,
    wait_s: float = 60.0,
) -> asyncpg.Pool:
    """Create a pool, retrying while the server is still starting (up to `wait_s`)."""
    deadline = asyncio.get_running_loop().time() + wait_s
    backoff = Backoff()
    while True:
        try:
            return await asyncpg.create_pool(
                **connect_kwargs,
                min_size=min_size,
                max_size=max_size,
                init=_init_connection,
                command_timeout=30,
            )
        except TRANSIENT_DB_ERRORS as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise
            delay = backoff.failed(exc)
            log.warning("database_unavailable_retrying", error=str(exc), retry_in_s=delay)
            await asyncio.sleep(delay)


class EditedMigrationError(RuntimeError):
    """A migration already applied to this database has been changed since."""


async def apply_migrations(pool: asyncpg.Pool, sources: Sequence[MigrationSource]) -> list[str]:
    """Apply every migration not yet recorded, in order, each in its own transaction. Raises
    `EditedMigrationError` (before applying anything of that component) when a recorded
    migration's text no longer matches its checksum; a migration recorded before checksums
    were kept gets its checksum now."""
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_KEY)
        try:
            await conn.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    component  text NOT NULL,
                    version    text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (component, version)
                );
                ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text
                """
            )
            for source in sources:
                recorded = {
                    row["version"]: row["checksum"]
                    for row in await conn.fetch(
                        "SELECT version, checksum FROM schema_migrations WHERE component = $1", source.component
                    )
                }
                files = sorted(
                    (entry for entry in source.directory.iterdir() if entry.name.endswith(".sql")),
                    key=lambda entry: entry.name,
                )
                texts = {entry.name.removesuffix(".sql"): entry.read_text(encoding="utf-8") for entry in files}
                checksums = {version: hashlib.sha256(text.encode()).hexdigest() for version, text in texts.items()}
                edited = sorted(
                    version
                    for version, checksum in recorded.items()
                    if checksum is not None and version in checksums and checksums[version] != checksum
                )
                if edited:
                    raise EditedMigrationError(
                        f"{source.component}: migrations {', '.join(edited)} were edited after they were"
                        " applied to this database; restore them and put the change in a new migration"
                    )
                for version, text in texts.items():
                    if version in recorded:
                        if recorded[version] is None:
                            await conn.execute(
                                "UPDATE schema_migrations SET checksum = $3 WHERE component = $1 AND version = $2",
                                source.component,
                                version,
                                checksums[version],
                            )
                        continue
                    async with conn.transaction():
                        await conn.execute(text)
                        await conn.execute(
                            "INSERT INTO schema_migrations (component, version, checksum) VALUES ($1, $2, $3)",
                            source.component,
                            version,
                            checksums[version],
                        )
                    log.info("migration_applied", component=source.component, version=version)
                    applied_now.append(f"{source.component}/{version}")
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_KEY)
    return applied_now


async def listen_forever(
    connect_kwargs: dict[str, object],
    channel: str,
    on_notify: Callable[[str], None],
    *,
    on_connected: Callable[[bool], None] | None = None,
    name: str,
    check_every_s: float = 5.0,
) -> None:
    """LISTEN on `channel` over a connection of its own for as long as the task runs, calling
    `on_notify(payload)` for each notification. A lost connection is opened again with backoff;
    `on_connected(again)` runs each time the LISTEN is in place (`again` is True after a loss,
    when notifications sent meanwhile were missed). The connection is probed every
    `check_every_s`, so a silent loss is noticed within that bound."""
    backoff = Backoff(first_s=0.5, max_s=10.0)
    again = False
    while True:
        try:
            conn = await asyncpg.connect(**connect_kwargs)
            try:
                await conn.add_listener(channel, lambda _conn, _pid, _channel, payload: on_notify(payload))
                backoff.succeeded()
                if on_connected is not None:
                    on_connected(again)
                while not conn.is_closed():
                    await asyncio.sleep(check_every_s)
                    await conn.execute("SELECT 1")
            finally:
                await conn.close(timeout=2)
            error: BaseException = ConnectionError("listener connection closed")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the caller decides what a gap costs; keep listening
            error = exc
        again = True
        delay = backoff.failed(error)
        log.warning("listener_down", listener=name, channel=channel, error=repr(error), retry_in_s=delay)
        await asyncio.sleep(delay)
