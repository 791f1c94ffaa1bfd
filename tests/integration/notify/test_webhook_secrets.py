"""Webhook secrets are encrypted at rest: the real database never holds a registered secret in
readable form, rows stored in plaintext before migration 0006 are sealed when notify starts,
and a real receiver still verifies every signature with the secret it was given."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest

from sigap_notify.bootstrap import create_app
from sigap_shared.db import apply_migrations, package_migrations, shared_migrations
from tests.integration.notify.conftest import (
    handle,
    notify_settings,
    random_department,
    routed,
    staff_headers,
)
from tests.integration.notify.support import FakeDns, WebhookReceiver, notify_migrations_before, serve_asgi
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration

PUBLIC = "93.184.216.34"  # what the department's host resolves to; never connected to here


async def _stored(pool: asyncpg.Pool, webhook_id) -> asyncpg.Record:
    return await pool.fetchrow(
        "SELECT legacy_secret, secret_sealed, row_to_json(w)::text AS whole FROM webhook_subscriptions w WHERE id = $1",
        uuid.UUID(str(webhook_id)),
    )


async def test_registered_secrets_are_stored_sealed_and_signatures_still_verify(infra, notify_pool, notify_database):
    department = random_department()
    secret = "rahasia-dinas-" + uuid.uuid4().hex
    receiver = WebhookReceiver(secret=secret)
    settings = notify_settings(infra, notify_database)
    app = create_app(settings, consumers=False, dns=FakeDns({"dinas.example": [PUBLIC]}))
    async with serve_asgi(receiver.app()) as receiver_url, serve_asgi(app, lifespan="on") as notify_url:
        async with httpx.AsyncClient(base_url=notify_url, timeout=10) as client:
            admin = staff_headers(settings, "dept_admin", department)
            given = await client.post(
                f"/v1/departments/{department}/webhooks",
                json={"url": f"{receiver_url}/hook", "secret": secret},
                headers=admin,
            )
            generated = await client.post(
                f"/v1/departments/{department}/webhooks", json={"url": "https://dinas.example/hook"}, headers=admin
            )
            assert given.status_code == generated.status_code == 201
            # Shown once, at registration; never again.
            assert given.json()["secret"] == secret
            listed = (await client.get(f"/v1/departments/{department}/webhooks", headers=admin)).json()
            assert [hook["secret"] for hook in listed] == [None, None]
            await client.delete(f"/v1/departments/{department}/webhooks/{generated.json()['id']}", headers=admin)

            for body, webhook_id in ((given.json(), given.json()["id"]), (generated.json(), generated.json()["id"])):
                row = await _stored(notify_pool, webhook_id)
                assert row["legacy_secret"] is None and row["secret_sealed"] is not None
                assert body["secret"].encode() not in row["secret_sealed"]
                assert body["secret"] not in row["whole"]

            envelope = routed(department=department)
            await handle(notify_pool, envelope)
            await eventually(lambda: receiver.events, timeout_s=60)
    assert receiver.bad_signatures == 0
    assert [event["id"] for event in receiver.events] == [str(envelope.id)]


async def test_plaintext_secrets_stored_before_sealing_are_sealed_at_start(infra, databases, tmp_path):
    """A database as the previous release left it (migrations up to 0005, secrets in
    plaintext) is migrated and its secrets sealed when notify starts."""
    database = await databases.create("sigap_test_notify_legacy")
    before = notify_migrations_before(tmp_path / "migrations", "0006")
    department = random_department()
    secret = "rahasia-lama-" + uuid.uuid4().hex
    receiver = WebhookReceiver(secret=secret)
    pool = await asyncpg.create_pool(**infra.pg_kwargs(database), min_size=1, max_size=4)
    try:
        await apply_migrations(pool, [shared_migrations(), before])
        async with serve_asgi(receiver.app()) as receiver_url:
            webhook_id = uuid.uuid4()
            await pool.execute(
                "INSERT INTO webhook_subscriptions (id, department, url, secret, created_by) VALUES ($1, $2, $3, $4, 'admin')",
                webhook_id,
                department,
                f"{receiver_url}/hook",
                secret,
            )
            applied = await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_notify")])
            assert "sigap_notify/0006_sealed_webhook_secrets" in applied
            row = await _stored(pool, webhook_id)
            assert row["legacy_secret"] == secret and row["secret_sealed"] is None  # SQL cannot seal it

            settings = notify_settings(infra, database)
            app = create_app(settings, consumers=False)
            async with serve_asgi(app, lifespan="on"):
                row = await _stored(pool, webhook_id)
                assert row["legacy_secret"] is None
                assert secret not in row["whole"] and secret.encode() not in row["secret_sealed"]
                envelope = routed(department=department)
                await handle(pool, envelope)
                await eventually(lambda: receiver.events, timeout_s=60)
    finally:
        await pool.close()
    assert receiver.bad_signatures == 0
    assert [event["id"] for event in receiver.events] == [str(envelope.id)]


async def test_a_secret_sealed_with_another_key_is_retried_not_sent_unsigned(infra, notify_pool, notify_database):
    department = random_department()
    receiver = WebhookReceiver(secret="rahasia-dinas-" + uuid.uuid4().hex)
    settings = notify_settings(infra, notify_database)
    app = create_app(settings, consumers=False)
    async with serve_asgi(receiver.app()) as receiver_url, serve_asgi(app, lifespan="on") as notify_url:
        async with httpx.AsyncClient(base_url=notify_url, timeout=10) as client:
            response = await client.post(
                f"/v1/departments/{department}/webhooks",
                json={"url": f"{receiver_url}/hook", "secret": receiver.secret},
                headers=staff_headers(settings, "dept_admin", department),
            )
            assert response.status_code == 201
        # The ciphertext moved onto another webhook's row does not open (bound to its id).
        await notify_pool.execute(
            "UPDATE webhook_subscriptions SET id = $2 WHERE id = $1", uuid.UUID(response.json()["id"]), uuid.uuid4()
        )
        envelope = routed(department=department)
        await handle(notify_pool, envelope)

        async def retried():
            row = await notify_pool.fetchrow(
                "SELECT status, attempts, last_error FROM notifications WHERE event_id = $1 AND channel = 'webhook'",
                envelope.id,
            )
            return row if row and row["attempts"] >= 2 else None

        row = await eventually(retried, timeout_s=60)
    assert "SIGAP_WEBHOOK_SECRET_KEY" in row["last_error"]
    assert receiver.events == [] and receiver.bad_signatures == 0
