"""A reporter's directly subscribed address (often the only contact of a rahasia or anonim
reporter) is kept only sealed: rows stored in plaintext before migration 0010 are sealed when
notify starts, and mail still reaches the subscriber; a sealed address copied onto another
subscription does not open."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from sigap_notify.bootstrap import create_app
from sigap_notify.sealing import SecretBox, SecretUnreadable
from sigap_shared.db import apply_migrations, package_migrations, shared_migrations
from tests.integration.notify.conftest import handle, mail_server, random_department, status_changed, tracking_code
from tests.integration.notify.support import notify_migrations_before, serve_asgi
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration


async def test_plaintext_addresses_stored_before_sealing_are_sealed_at_start(infra, databases, tmp_path):
    database = await databases.create("sigap_test_notify_subscriptions")
    before = notify_migrations_before(tmp_path / "migrations", "0010")
    complaint_id, code = uuid.uuid4(), tracking_code()
    address = f"rahasia.{uuid.uuid4().hex[:6]}@example.org"
    pool = await asyncpg.create_pool(**infra.pg_kwargs(database), min_size=1, max_size=4)
    try:
        await apply_migrations(pool, [shared_migrations(), before])
        await pool.execute(
            "INSERT INTO reporter_subscriptions (id, tracking_code, complaint_id, channel, address, language)"
            " VALUES ($1, $2, $3, 'email', $4, 'id')",
            uuid.uuid4(),
            code,
            complaint_id,
            address,
        )
        applied = await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_notify")])
        assert "sigap_notify/0010_sealed_subscription_addresses" in applied

        async def whole_row() -> str:
            return await pool.fetchval(
                "SELECT row_to_json(s)::text FROM reporter_subscriptions s WHERE tracking_code = $1", code
            )

        assert address in await whole_row()  # SQL cannot seal it: notify does at start
        async with mail_server(infra, database) as (settings, smtp):
            app = create_app(settings, consumers=False)
            async with serve_asgi(app, lifespan="on"):
                assert address not in await whole_row()
                await handle(
                    pool,
                    status_changed(
                        complaint_id=complaint_id,
                        code=code,
                        department=random_department(),
                        status="diterima",
                        previous=None,
                        reporter=None,
                    ),
                )
                await eventually(lambda: smtp.inbox.for_complaint(complaint_id), timeout_s=60)
            [mail] = smtp.inbox.for_complaint(complaint_id)
            assert mail["To"] == address
        row = await pool.fetchrow(
            "SELECT address_sealed, legacy_address FROM reporter_subscriptions WHERE tracking_code = $1", code
        )
        assert row["legacy_address"] is None and address.encode() not in row["address_sealed"]
        box = SecretBox(settings.webhook_key())
        assert box.open_address(row["address_sealed"], tracking_code=code, channel="email") == address
        # Bound to its subscription: under another tracking code it does not open.
        with pytest.raises(SecretUnreadable):
            box.open_address(row["address_sealed"], tracking_code=tracking_code(), channel="email")
    finally:
        await pool.close()
