"""Real servers in the test process for notify's integration tests: an SMTP server (aiosmtpd)
that can refuse or stop, an HTTP webhook receiver that verifies signatures on its own (plain
hmac, not notify's code), a stand-in for intake's internal API, and notify itself under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import hashlib
import hmac
import shutil
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from importlib import resources
from pathlib import Path

import orjson
import uvicorn
from aiohttp.abc import AbstractResolver
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sigap_notify.events.handlers import on_complaints_submitted
from sigap_shared.db import MigrationSource
from sigap_shared.events import ComplaintSubmitted, Envelope, GeoPoint
from tests.support.infra import free_port


@contextlib.asynccontextmanager
async def serve_asgi(app, *, lifespan: str = "off", port: int | None = None) -> AsyncIterator[str]:
    """Serve an ASGI app in this process on `port` (chosen before, so another service can be
    told it first) or a free one; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan=lifespan, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("server stopped before it started")
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 60 s")
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


# -- SMTP ----------------------------------------------------------------------------------


@dataclass
class Inbox:
    """What the SMTP server accepted, and how it behaves right now."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse_with: str | None = None  # e.g. "451 4.3.0 try later" or "554 5.3.0 no"
    refused: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_with:
            self.refused += 1
            return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 OK"

    def for_complaint(self, complaint_id) -> list[EmailMessage]:
        return [m for m in self.messages if m["X-Sigap-Complaint"] == str(complaint_id)]


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self._controller: Controller | None = None

    async def start(self) -> None:
        controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        await asyncio.to_thread(controller.start)
        self._controller = controller

    async def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            await asyncio.to_thread(controller.stop)


@contextlib.asynccontextmanager
async def smtp_server() -> AsyncIterator[SmtpServer]:
    server = SmtpServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


# -- Webhook receiver ----------------------------------------------------------------------


@dataclass
class WebhookReceiver:
    secret: str
    failing: bool = False
    events: list[dict] = field(default_factory=list)  # accepted, signature verified
    bad_signatures: int = 0
    refused: int = 0
    headers_seen: list[dict[str, str]] = field(default_factory=list)

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        timestamp = request.headers.get("sigap-timestamp", "")
        expected = "v1=" + hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
        if not (fresh and hmac.compare_digest(expected, request.headers.get("sigap-signature", ""))):
            self.bad_signatures += 1
            return Response(status_code=401)
        if self.failing:
            self.refused += 1
            return Response(status_code=500)
        event = orjson.loads(body)
        if event["id"] != request.headers.get("sigap-event-id"):
            return Response(status_code=400)
        self.headers_seen.append(dict(request.headers))
        self.events.append(event)
        return Response(status_code=204)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.endpoint, methods=["POST"])])


# -- DNS -----------------------------------------------------------------------------------


class FakeDns(AbstractResolver):
    """DNS the test controls: `answers` maps a host name to its addresses (changeable at any
    time); an unknown name does not resolve, as a real NXDOMAIN."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list:
        self.lookups.append(host)
        addresses = self.answers.get(host)
        if not addresses:
            raise OSError(f"{host}: no such host")
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in addresses
        ]

    async def close(self) -> None:
        pass


# -- SMS / WhatsApp gateway --------------------------------------------------------------


class Gateway:
    """The city's SMS provider: refuses (503) while `failing`."""

    def __init__(self) -> None:
        self.failing = True
        self.refused = 0
        self.messages: list[dict] = []
        self.keys: list[str] = []

    async def endpoint(self, request: Request) -> Response:
        if request.headers.get("authorization") != "Bearer gateway-token":
            return Response(status_code=401)
        if self.failing:
            self.refused += 1
            return Response(status_code=503)
        self.messages.append(orjson.loads(await request.body()))
        self.keys.append(request.headers["idempotency-key"])
        return Response(status_code=202)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/send", self.endpoint, methods=["POST"])])


# -- Intake's internal API -----------------------------------------------------------------


@dataclass
class FakeIntake:
    """A stand-in for intake's internal contact API (see INTAKE_CONTRACT.md)."""

    contacts: dict[tuple[str, str], dict] = field(default_factory=dict)  # (pseudonym, channel) -> body
    follow_ups: dict[tuple[str, str], str] = field(default_factory=dict)  # (tracking, token) -> complaint id
    token: str = "internal-token"
    down: bool = False
    lookups: int = 0

    async def resolve(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Response(status_code=401)
        if self.down:
            return Response(status_code=503)
        self.lookups += 1
        body = await request.json()
        contact = self.contacts.get((body["pseudonym"], body["channel"]))
        return JSONResponse(contact) if contact else Response(status_code=404)

    async def verify(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Response(status_code=401)
        body = await request.json()
        complaint_id = self.follow_ups.get((body["tracking_code"], body["follow_up_token"]))
        if complaint_id is None:
            return Response(status_code=403)
        return JSONResponse({"complaint_id": complaint_id})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/internal/v1/reporter-contacts/resolve", self.resolve, methods=["POST"]),
                Route("/internal/v1/follow-up/verify", self.verify, methods=["POST"]),
            ]
        )


def notify_migrations_before(directory: Path, version: str) -> MigrationSource:
    """Notify's migrations older than `version` (e.g. "0010"), copied into `directory`: a
    database as an earlier release left it."""
    directory.mkdir()
    for entry in (resources.files("sigap_notify") / "migrations").iterdir():
        if entry.name.endswith(".sql") and entry.name < version:
            shutil.copyfile(str(entry), directory / entry.name)
    return MigrationSource("sigap_notify", directory)


async def notify_knows(pool, complaint_id: uuid.UUID, code: str) -> None:
    """Intake's submission of a complaint, handled by notify's consumer: notify acts on a
    complaint's later events only once it has it."""
    complaint = ComplaintSubmitted(
        complaint_id=complaint_id, tracking_code=code, kind="pengaduan", privacy="publik",
        description="Lampu PJU mati di Jl. Nusantara Raya", location=GeoPoint(lat=-6.3731, lon=106.819),
        submitted_at=datetime.now(UTC),
    )  # fmt: skip
    async with pool.acquire() as conn, conn.transaction():
        await on_complaints_submitted(conn=conn, envelopes=[Envelope(source="sigap/intake", data=complaint)])
