"""Department webhooks reach department systems, never notify's own neighbourhood: loopback,
link-local and private targets are refused at registration (a problem naming the rule) and
again at delivery, on the address actually connected to, so a host whose DNS answer changes
to loopback after registration is not delivered to (and the delivery log says why). Operators
may allow a network with SIGAP_WEBHOOK_ALLOWED_NETWORKS; these tests' receivers listen on
127.0.0.1, so the fixtures allow loopback explicitly where a delivery should arrive.

DNS is a resolver the test controls (no real DNS change, no /etc/hosts)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from sigap_notify.bootstrap import create_app, open_egress
from sigap_notify.channels.webhook import WebhookChannel
from sigap_notify.deliveries.dispatcher import Dispatcher
from sigap_notify.sealing import SecretBox
from sigap_notify.subscriptions.repository import deactivate_webhook
from tests.integration.notify.conftest import (
    add_webhook,
    handle,
    notify_settings,
    random_department,
    register_webhook,
    routed,
    staff_headers,
)
from tests.integration.notify.support import FakeDns, WebhookReceiver, serve_asgi
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration

SECRET = "rahasia-dinas-" + uuid.uuid4().hex
PUBLIC = "93.184.216.34"  # a globally routable address; nothing here ever connects to it

INTERNAL_TARGETS = [
    ("https://127.0.0.1:8000/internal/v1/reporter-contacts/resolve", "loopback"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://localhost:5432/", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://10.20.30.40/hook", "private"),
    ("https://192.168.1.1/hook", "private"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    ("https://internal.dinas.test/hook", "private"),  # a name whose DNS answer is private
    ("https://2130706433/hook", "loopback"),  # 127.0.0.1 written as one number
]


async def test_internal_targets_are_refused_at_registration(infra, notify_pool, notify_database):
    department = random_department()
    dns = FakeDns({"internal.dinas.test": ["172.16.5.9"], "sistem.dinas.test": [PUBLIC]})
    settings = notify_settings(infra, notify_database, webhook_allow_http=False, webhook_allowed_networks=[])
    app = create_app(settings, consumers=False, dns=dns)
    async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        admin = staff_headers(settings, "dept_admin", department)
        path = f"/v1/departments/{department}/webhooks"
        for target, kind in INTERNAL_TARGETS:
            response = await client.post(path, json={"url": target}, headers=admin)
            assert response.status_code == 422, (target, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["type"] == "/problems/delivery-target-refused", (target, problem)
            assert kind in problem["detail"] and "SIGAP_WEBHOOK_ALLOWED_NETWORKS" in problem["detail"], problem
        unresolvable = await client.post(path, json={"url": "https://tidak-ada.dinas.test/hook"}, headers=admin)
        assert unresolvable.status_code == 422
        assert unresolvable.json()["type"] == "/problems/host-unresolvable"
        english = await client.post(
            path, json={"url": INTERNAL_TARGETS[0][0]}, headers={**admin, "Accept-Language": "en"}
        )
        assert english.json()["title"] == "Delivery target refused"
        assert await notify_pool.fetchval("SELECT count(*) FROM webhook_subscriptions") == 0
        for public in (f"https://{PUBLIC}/hook", "https://sistem.dinas.test/sigap"):
            accepted = await client.post(path, json={"url": public}, headers=admin)
            assert accepted.status_code == 201, (public, accepted.text)


async def test_an_operator_may_allow_a_network(infra, notify_pool, notify_database):
    department = random_department()
    settings = notify_settings(infra, notify_database, webhook_allowed_networks=["10.20.0.0/16"])
    app = create_app(settings, consumers=False, dns=FakeDns({}))
    async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        admin = staff_headers(settings, "dept_admin", department)
        path = f"/v1/departments/{department}/webhooks"
        intranet = await client.post(path, json={"url": "https://10.20.30.40/hook"}, headers=admin)
        assert intranet.status_code == 201, intranet.text
        other = await client.post(path, json={"url": "https://10.99.0.1/hook"}, headers=admin)
        assert other.status_code == 422


async def _register(client: httpx.AsyncClient, settings, department: str, url: str) -> str:
    return (await register_webhook(client, settings, department, url, SECRET))["id"]


async def _webhook_rows(pool, complaint_id) -> list:
    return await pool.fetch(
        "SELECT status, attempts, last_error FROM notifications WHERE complaint_id = $1 AND channel = 'webhook'",
        complaint_id,
    )


async def test_a_host_that_later_resolves_to_loopback_is_not_delivered_to(infra, notify_pool, notify_database):
    receiver = WebhookReceiver(secret=SECRET)
    department = random_department()
    dns = FakeDns({})
    # Nothing allowed: loopback is refused, as in production.
    settings = notify_settings(infra, notify_database, webhook_allowed_networks=[])
    app = create_app(settings, consumers=False, dns=dns)
    async with (
        serve_asgi(receiver.app()) as receiver_url,
        serve_asgi(app, lifespan="on") as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        port = httpx.URL(receiver_url).port
        dns.answers["hooks.dinas.test"] = [PUBLIC]  # what DNS says at registration
        await _register(client, settings, department, f"http://hooks.dinas.test:{port}/hook")
        dns.answers["hooks.dinas.test"] = ["127.0.0.1"]  # ...and later

        envelope = routed(department=department)
        await handle(notify_pool, envelope)  # notify's own dispatcher tries it

        async def attempted():
            rows = await _webhook_rows(notify_pool, envelope.data.complaint_id)
            return rows if rows and rows[0]["attempts"] >= 1 and rows[0]["last_error"] else None

        [row] = await eventually(attempted, timeout_s=60)
    assert row["status"] in ("pending", "sending")  # DNS may change back: retried, then parked
    assert "hooks.dinas.test resolves to 127.0.0.1, a loopback address" in row["last_error"], row["last_error"]
    assert "SIGAP_WEBHOOK_ALLOWED_NETWORKS" in row["last_error"]
    assert receiver.events == [] and receiver.bad_signatures == 0


async def test_delivery_connects_to_the_checked_address_and_refuses_old_internal_urls(
    infra, notify_pool, notify_database
):
    """Loopback allowed: a name only the controlled resolver knows is delivered to the address
    it gave (nothing resolves the name a second time). Then a literal loopback URL stored
    before registrations were checked is refused at delivery once loopback is not allowed."""
    receiver = WebhookReceiver(secret=SECRET)
    department = random_department()
    dns = FakeDns({"hooks.dinas.test": ["127.0.0.1"]})
    allowed = notify_settings(infra, notify_database, webhook_allowed_networks=["127.0.0.0/8"])
    app = create_app(allowed, consumers=False, dns=dns)
    async with serve_asgi(receiver.app()) as receiver_url:
        port = httpx.URL(receiver_url).port
        async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            named = await _register(client, allowed, department, f"http://hooks.dinas.test:{port}/hook")
            first = routed(department=department)
            await handle(notify_pool, first)
            await eventually(lambda: receiver.events, timeout_s=60)
        assert [event["id"] for event in receiver.events] == [str(first.id)]
        assert receiver.headers_seen[0]["host"] == f"hooks.dinas.test:{port}"

        async with notify_pool.acquire() as conn:
            await deactivate_webhook(conn=conn, subscription_id=uuid.UUID(named))
            await add_webhook(
                conn, allowed, department=department, url=f"{receiver_url}/hook", secret=SECRET, created_by="lama"
            )
        second = routed(department=department)
        await handle(notify_pool, second)
        refusing = notify_settings(infra, notify_database, webhook_allowed_networks=[])
        egress = open_egress(refusing, dns=dns)
        channel = WebhookChannel(pool=notify_pool, egress=egress, box=SecretBox(refusing.webhook_key()), allow_http=True)
        dispatcher = Dispatcher(
            pool=notify_pool, connect_kwargs=refusing.pg_connect_kwargs(), channels={"webhook": channel}
        )
        try:
            assert await dispatcher.dispatch_once("webhook") == 1
        finally:
            await egress.close()
    [row] = await _webhook_rows(notify_pool, second.data.complaint_id)
    assert row["status"] == "pending" and "127.0.0.1 is a loopback address" in row["last_error"], row["last_error"]
    assert len(receiver.events) == 1
