"""The default templates as the migrations leave them, on real PostgreSQL: what staff wrote
(a resolution note, a rejection reason) reads as written, and a later default never overwrites
a template the city edited."""

from __future__ import annotations

from importlib import resources

import pytest

from sigap_notify.templates.repository import get_template
from sigap_notify.templates.rules import render

pytestmark = pytest.mark.integration

NOTE = "Lubang sudah ditambal dan diaspal ulang."


@pytest.mark.parametrize(
    ("key", "params"),
    [
        ("reporter.status.selesai", {"resolution_note": NOTE, "rating_url": "https://sigap.example/r/1"}),
        ("reporter.status.ditolak", {"reason": NOTE}),
        ("reporter.closed_automatically", {"resolution_note": NOTE, "rating_url": "https://sigap.example/r/1"}),
    ],
)
@pytest.mark.parametrize("language", ["id", "en"])
async def test_staff_words_read_as_written(notify_pool, key, params, language):
    async with notify_pool.acquire() as conn:
        template = await get_template(conn=conn, key=key, language=language)
    message = render(
        subject=template["subject"],
        body=template["body"],
        params={"tracking_code": "SGP-AB12-CD", "department": "DPUPR", **params},
    )
    assert NOTE in message.body.splitlines()  # on a line of its own
    assert ".." not in message.body and "$" not in message.body


async def test_a_template_the_city_edited_is_left_as_it_is(notify_pool):
    edited = "Laporan ${tracking_code} selesai. ${resolution_note}"
    async with notify_pool.acquire() as conn:
        await conn.execute(
            "UPDATE templates SET body = $1, updated_by = 'admin.kota' WHERE key = 'reporter.status.selesai'"
            " AND language = 'id'",
            edited,
        )
        migration = resources.files("sigap_notify") / "migrations" / "0009_notes_on_their_own_line.sql"
        await conn.execute(migration.read_text(encoding="utf-8"))  # as if it ran after the edit
        kept = await get_template(conn=conn, key="reporter.status.selesai", language="id")
        default = await get_template(conn=conn, key="reporter.status.selesai", language="en")
    assert kept["body"] == edited
    assert "Resolution note:\n${resolution_note}\n" in default["body"]
