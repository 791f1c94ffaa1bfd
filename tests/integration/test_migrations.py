"""The migration runner against a real PostgreSQL: each migration is applied once and recorded
with its checksum, and start-up refuses a migration edited after it was applied."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from sigap_shared.db import EditedMigrationError, MigrationSource, apply_migrations
from tests.conftest import DatabaseFactory
from tests.support.infra import Infra


@pytest.fixture
async def pool(infra: Infra, databases: DatabaseFactory):
    pool = await asyncpg.create_pool(**infra.pg_kwargs(await databases.create()), min_size=1, max_size=2)
    yield pool
    await pool.close()


def _source(directory: Path) -> MigrationSource:
    return MigrationSource("sigap_example", directory)


async def test_an_applied_migration_is_recorded_with_its_checksum_and_not_applied_again(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    (tmp_path / "0001_notes.sql").write_text("CREATE TABLE notes (id int PRIMARY KEY);")
    (tmp_path / "0002_more.sql").write_text("INSERT INTO notes VALUES (1);")

    assert await apply_migrations(pool, [_source(tmp_path)]) == ["sigap_example/0001_notes", "sigap_example/0002_more"]
    assert await apply_migrations(pool, [_source(tmp_path)]) == []

    assert await pool.fetchval("SELECT count(*) FROM notes") == 1
    checksums = await pool.fetch("SELECT version, checksum FROM schema_migrations ORDER BY version")
    assert [row["version"] for row in checksums] == ["0001_notes", "0002_more"]
    assert all(len(row["checksum"]) == 64 for row in checksums)


async def test_an_edited_migration_stops_start_up_before_anything_else_is_applied(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    (tmp_path / "0001_notes.sql").write_text("CREATE TABLE notes (id int PRIMARY KEY);")
    await apply_migrations(pool, [_source(tmp_path)])

    (tmp_path / "0001_notes.sql").write_text("CREATE TABLE notes (id int PRIMARY KEY, body text);")
    (tmp_path / "0002_more.sql").write_text("INSERT INTO notes VALUES (1);")
    with pytest.raises(EditedMigrationError, match="0001_notes"):
        await apply_migrations(pool, [_source(tmp_path)])

    assert await pool.fetchval("SELECT count(*) FROM notes") == 0  # 0002 was not applied
    assert await pool.fetchval("SELECT count(*) FROM schema_migrations") == 1


async def test_a_migration_recorded_before_checksums_gets_one_and_is_then_held_to_it(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    (tmp_path / "0001_notes.sql").write_text("CREATE TABLE notes (id int PRIMARY KEY);")
    await apply_migrations(pool, [_source(tmp_path)])
    await pool.execute("UPDATE schema_migrations SET checksum = NULL")  # as an older runner left it

    assert await apply_migrations(pool, [_source(tmp_path)]) == []
    assert await pool.fetchval("SELECT checksum FROM schema_migrations") is not None

    (tmp_path / "0001_notes.sql").write_text("CREATE TABLE notes (id bigint PRIMARY KEY);")
    with pytest.raises(EditedMigrationError):
        await apply_migrations(pool, [_source(tmp_path)])
