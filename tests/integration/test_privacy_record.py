"""docs/privacy.md, the record of processing, must name every column of every service's
database exactly once — as personal data with its purpose, retention and readers, or in the
list of columns without personal data — so the record cannot drift from the schemas."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import asyncpg
import pytest

from sigap_shared.db import apply_migrations, package_migrations, shared_migrations

RECORD = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"
SERVICES = ("intake", "routing", "status", "notify")
# The tables the shared library's migrations give every service's database.
COMMON_SECTION = "Every service: messaging and migrations"
PERSONAL_ROW = re.compile(r"^\|\s*(?P<table>[a-z_]+)\s*\|\s*(?P<column>[a-z_0-9]+)\s*\|(?P<rest>.*)\|\s*$")
PLAIN_LINE = re.compile(r"^- `(?P<table>[a-z_]+)`: (?P<columns>.+)$")


def _sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif current is not None:
            current.append(line)
    return sections


def _documented(lines: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[list[str]]]:
    """(personal columns, plain columns, the personal rows' other cells)."""
    personal: list[tuple[str, str]] = []
    plain: list[tuple[str, str]] = []
    details: list[list[str]] = []
    for line in lines:
        row = PERSONAL_ROW.match(line)
        if row and row["table"] != "table":
            personal.append((row["table"], row["column"]))
            details.append([cell.strip() for cell in row["rest"].split("|")])
            continue
        listed = PLAIN_LINE.match(line)
        if listed:
            plain.extend((listed["table"], column.strip()) for column in listed["columns"].split(","))
    return personal, plain, details


def _record() -> dict[str, list[str]]:
    sections = _sections(RECORD.read_text(encoding="utf-8"))
    missing = [name for name in (*SERVICES, COMMON_SECTION) if name not in sections]
    assert not missing, f"docs/privacy.md lacks the sections {missing}"
    return sections


async def _schema_columns(infra, databases, migrations) -> set[tuple[str, str]]:
    name = await databases.create("sigap_privacy")
    pool = await asyncpg.create_pool(**infra.pg_kwargs(name), min_size=1, max_size=2)
    try:
        await apply_migrations(pool, migrations)
        rows = await pool.fetch(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
        )
    finally:
        await pool.close()
    return {(row["table_name"], row["column_name"]) for row in rows}


def _assert_matches(documented: list[tuple[str, str]], schema: set[tuple[str, str]], where: str) -> None:
    twice = sorted(entry for entry, count in Counter(documented).items() if count > 1)
    assert not twice, f"{where}: listed more than once in docs/privacy.md: {twice}"
    undocumented = sorted(schema - set(documented))
    assert not undocumented, (
        f"{where}: columns missing from docs/privacy.md (say whether they hold personal data): {undocumented}"
    )
    gone = sorted(set(documented) - schema)
    assert not gone, f"{where}: docs/privacy.md lists columns the schema does not have: {gone}"


@pytest.mark.parametrize("service", SERVICES)
async def test_the_record_names_every_column_of_the_service_once(infra, databases, service):
    shared = await _schema_columns(infra, databases, [shared_migrations()])
    everything = await _schema_columns(infra, databases, [shared_migrations(), package_migrations(f"sigap_{service}")])
    personal, plain, _ = _documented(_record()[service])
    _assert_matches(personal + plain, everything - shared, service)


async def test_the_record_names_every_shared_column_once(infra, databases):
    shared = await _schema_columns(infra, databases, [shared_migrations()])
    personal, plain, _ = _documented(_record()[COMMON_SECTION])
    _assert_matches(personal + plain, shared, "every service")


def test_every_personal_column_says_what_why_how_long_and_who():
    for name, lines in _record().items():
        for cells in _documented(lines)[2]:
            assert len(cells) == 4 and all(cells), f"{name}: a personal-data row lacks a cell: {cells}"


def test_a_sealed_identity_is_recorded_as_personal_data():
    # The parser must see the rows it is meant to: the columns the law cares most about.
    personal = {entry for lines in _record().values() for entry in _documented(lines)[0]}
    assert {("complaints", "reporter_identity"), ("reporter_subscriptions", "address_sealed")} <= personal
