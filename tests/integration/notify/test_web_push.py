"""Web push with real subscription payloads: a browser-like key pair and auth secret, a push
service (HTTP server in the test process) that checks the VAPID JWT, and the test decrypting
each RFC 8291 message with the subscriber's private key, as a browser would."""

from __future__ import annotations

import base64
import dataclasses
import os
import uuid

import http_ece
import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sigap_notify.bootstrap import create_app
from sigap_notify.sealing import SecretBox
from tests.integration.notify.conftest import (
    handle,
    lifecycle,
    notify_settings,
    random_department,
    running_dispatchers,
    subscribe_directly,
    tracking_code,
)
from tests.integration.notify.support import FakeDns, FakeIntake, serve_asgi
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration

SUBJECT = "mailto:sigap-test@depok.go.id"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _vapid_private_key() -> str:
    vapid = Vapid()
    vapid.generate_keys()
    return _b64(vapid.private_key.private_numbers().private_value.to_bytes(32, "big"))


def _push_settings(infra, database: str, **overrides):
    """Notify's settings with a VAPID key, so it sends Web Push."""
    return notify_settings(infra, database, vapid_private_key=_vapid_private_key(), **overrides)


@dataclasses.dataclass
class Browser:
    """What a browser keeps for one push subscription."""

    private_key: ec.EllipticCurvePrivateKey = dataclasses.field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = dataclasses.field(default_factory=lambda: os.urandom(16))

    def subscription(self, endpoint: str) -> dict:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": endpoint, "keys": {"p256dh": _b64(public), "auth": _b64(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return orjson.loads(
            http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        )


@dataclasses.dataclass
class PushService:
    answer: int = 201
    received: list[tuple[dict[str, str], bytes]] = dataclasses.field(default_factory=list)
    refused: int = 0
    bad_vapid: int = 0

    async def endpoint(self, request: Request) -> Response:
        scheme, _, params = request.headers.get("authorization", "").partition(" ")
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        try:
            key = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), base64.urlsafe_b64decode(fields["k"] + "==")
            )
            claims = jwt.decode(
                fields["t"], key, algorithms=["ES256"], audience=f"{request.url.scheme}://{request.url.netloc}"
            )
            assert scheme == "vapid" and claims["sub"] == SUBJECT
        except (KeyError, ValueError, AssertionError, jwt.PyJWTError):
            self.bad_vapid += 1
            return Response(status_code=403)
        if self.answer >= 300:
            self.refused += 1
            return Response(status_code=self.answer)
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=self.answer)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/push/{token}", self.endpoint, methods=["POST"])])


async def _subscribe(pool, settings, *, code: str, complaint_id, subscription: dict) -> None:
    await subscribe_directly(
        pool,
        settings,
        tracking_code=code,
        complaint_id=complaint_id,
        channel="push",
        address=orjson.dumps(subscription).decode(),
    )


async def test_push_messages_arrive_encrypted_once_and_gone_endpoints_stop(infra, notify_pool, notify_database):
    service, browser, gone_browser = PushService(answer=503), Browser(), Browser()
    department = random_department()
    complaint_id, code = uuid.uuid4(), tracking_code()
    gone_id, gone_code = uuid.uuid4(), tracking_code()
    async with serve_asgi(service.app()) as push_url:
        settings = _push_settings(infra, notify_database, vapid_subject=SUBJECT, delivery_max_attempts=10_000)
        await _subscribe(
            notify_pool,
            settings,
            code=code,
            complaint_id=complaint_id,
            subscription=browser.subscription(f"{push_url}/push/a"),
        )
        # diterima, then terverifikasi
        changes = lifecycle(complaint_id=complaint_id, code=code, department=department, reporter=None)[:2]
        async with running_dispatchers(settings, notify_pool, count=2):
            for change in changes:
                await handle(notify_pool, change)
            await eventually(lambda: service.refused >= 4, timeout_s=60)  # the push service is down
            service.answer = 201
            await eventually(lambda: len(service.received) >= 2, timeout_s=60)

            async def all_sent():
                rows = await notify_pool.fetch(
                    "SELECT status, address_masked FROM notifications WHERE complaint_id = $1", complaint_id
                )
                return rows if len(rows) == 2 and {r["status"] for r in rows} == {"sent"} else None

            rows = await eventually(all_sent, timeout_s=60)

            # A subscription the push service says is gone is reported, not retried.
            await _subscribe(
                notify_pool,
                settings,
                code=gone_code,
                complaint_id=gone_id,
                subscription=gone_browser.subscription(f"{push_url}/push/b"),
            )
            service.answer = 410
            received = lifecycle(complaint_id=gone_id, code=gone_code, department=department, reporter=None)[0]
            await handle(notify_pool, received)

            async def gone():
                return await notify_pool.fetchval(
                    "SELECT status FROM notifications WHERE complaint_id = $1 AND status <> 'sending'"
                    " AND status <> 'pending'",
                    gone_id,
                )

            assert await eventually(gone, timeout_s=60) == "undeliverable"
    assert service.bad_vapid == 0
    messages = [browser.decrypt(body) for _, body in service.received]
    assert sorted(m["title"] for m in messages) == sorted(
        [f"Laporan {code} telah diterima", f"Laporan {code} telah diverifikasi"]
    )
    assert all(m["tracking_code"] == code and m["url"].endswith(f"/lacak/{code}") for m in messages)
    assert len({m["tag"] for m in messages}) == 2
    assert all(
        headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0 for headers, _ in service.received
    )
    assert {r["address_masked"] for r in rows} == {f"{push_url}/***"}


async def test_push_subscription_through_the_api(infra, notify_pool, notify_database):
    intake = FakeIntake()
    complaint_id, code, token = uuid.uuid4(), tracking_code(), "token-" + uuid.uuid4().hex
    intake.follow_ups[(code, token)] = str(complaint_id)
    async with serve_asgi(intake.app()) as intake_url:
        settings = _push_settings(infra, notify_database, intake_internal_url=intake_url, internal_token=intake.token)
        dns = FakeDns({"push.example.net": ["93.184.216.34"]})  # never connected to here
        app = create_app(settings, consumers=False, dns=dns)
        async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            key = (await client.get("/v1/push/public-key")).json()["public_key"]
            assert len(base64.urlsafe_b64decode(key + "==")) == 65
            subscription = Browser().subscription("https://push.example.net/wpush/v2/abc")
            body = {"tracking_code": code, "follow_up_token": token, "channel": "push"}
            missing = await client.post("/v1/subscriptions", json=body)
            assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "push_subscription"
            insecure = {**subscription, "endpoint": "http://push.example.net/x"}
            assert (
                await client.post("/v1/subscriptions", json={**body, "push_subscription": insecure})
            ).status_code == 422
            # A push "service" inside the city's network is refused like a webhook there.
            metadata = {**subscription, "endpoint": "https://169.254.169.254/latest/meta-data/x"}
            refused = await client.post("/v1/subscriptions", json={**body, "push_subscription": metadata})
            assert refused.status_code == 422 and refused.json()["type"] == "/problems/delivery-target-refused"
            response = await client.post("/v1/subscriptions", json={**body, "push_subscription": subscription})
            assert response.status_code == 201, response.text
            assert response.json()["address"] == "https://push.example.net/***"
    stored = await notify_pool.fetchrow(
        "SELECT address_sealed, row_to_json(s)::text AS whole FROM reporter_subscriptions s WHERE tracking_code = $1",
        code,
    )
    assert subscription["endpoint"] not in stored["whole"] and subscription["keys"]["auth"] not in stored["whole"]
    opened = SecretBox(settings.webhook_key()).open_address(stored["address_sealed"], tracking_code=code, channel="push")
    assert orjson.loads(opened) == subscription


async def test_push_public_key_without_vapid_is_a_404_problem(infra, notify_pool, notify_database):
    settings = notify_settings(infra, notify_database)
    app = create_app(settings, consumers=False)
    async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        response = await client.get("/v1/push/public-key")
    assert response.status_code == 404 and response.json()["type"] == "/problems/push-not-configured"
