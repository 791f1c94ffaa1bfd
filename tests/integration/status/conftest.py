"""A status API on a fresh, fully migrated database: the app `create_app` builds, with its
context, against real PostgreSQL (the lifespan is left out: consumers, the relay and the SLA
sweep are not needed to test the API; the e2e tests cover the Kafka side)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from sigap_shared.db import apply_migrations, package_migrations, shared_migrations
from sigap_shared.events import GeoPoint, ReporterRef
from sigap_shared.runtime import Runtime
from sigap_status.bootstrap import create_app
from sigap_status.context import build_context, sla_policy_from_settings
from sigap_status.events import handlers
from sigap_status.intake.client import IntakeClient
from sigap_status.settings import StatusSettings
from sigap_status.events import queries as event_queries
from sigap_status.auth import rules as auth_rules
from sigap_status.staff_accounts import queries as account_queries
from sigap_status.sla.rules import SlaPolicy
from tests.support import events
from tests.support.factories import routed_for
from tests.integration.status.intake_support import live_intake  # noqa: F401 - a fixture for the status tests

PASSWORD = "kata-sandi-uji-123"


def status_app(settings: StatusSettings, pool: asyncpg.Pool, *, intake: IntakeClient | None = None) -> FastAPI:
    """The service's own app on `pool`, with the context its lifespan would build."""
    app = create_app(settings)
    app.state.runtime = Runtime(settings=settings, pool=pool)
    app.state.context = build_context(settings, policy=sla_policy_from_settings(settings), intake=intake)
    return app


@functools.cache
def password_hash() -> str:
    # Hashed once per session: argon2 is slow on purpose, and test users share the password.
    return auth_rules.hash_password(PASSWORD)


@dataclass
class StatusApi:
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    settings: StatusSettings
    app: FastAPI

    def reconfigure(self, settings: StatusSettings, *, intake: IntakeClient | None = None) -> None:
        """Settings (and intake's client) as the service would build its context from them."""
        self.settings = settings
        self.app.state.settings = settings
        self.app.state.context = build_context(settings, policy=sla_policy_from_settings(settings), intake=intake)

    def client_from(self, address: str) -> httpx.AsyncClient:
        """Another client of the same app, connecting from `address` (for per-address limits)."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=(address, 40000)), base_url="http://status.test"
        )

    async def create_user(self, role: str, department: str | None = None, username: str | None = None) -> str:
        username = username or f"{role.replace('_', '')}-{uuid.uuid4().hex[:8]}"
        async with self.pool.acquire() as conn:
            assert await account_queries.insert_account(
                conn=conn,
                username=username,
                password_hash=password_hash(),
                role=role,
                department=department,
            )
        return username

    async def login(self, username: str) -> dict[str, str]:
        response = await self.client.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def staff(self, role: str, department: str | None = None) -> tuple[str, dict[str, str]]:
        username = await self.create_user(role, department)
        return username, await self.login(username)

    async def seed_complaint(
        self,
        *,
        department: str = "DISHUB",
        category: str = "lampu_jalan",
        description: str = "Lampu PJU mati di Jl. Nusantara Raya",
        supporting: list[str] | None = None,
        submitted_at: datetime | None = None,
        location: tuple[float, float] = (-6.39, 106.82),
        privacy: str = "publik",
        publicly_visible: bool = True,
    ) -> uuid.UUID:
        """A complaint delivered the way Kafka would: submitted, then routed (→ diterima)."""
        submitted = events.submitted(
            title="Laporan uji",
            description=description,
            category=category,
            location=GeoPoint(lat=location[0], lon=location[1]),
            privacy=privacy,
            reporter=ReporterRef(pseudonym="Pelapor-UJI", channels=("sms",)),
            submitted_at=submitted_at or datetime.now(UTC),
            publicly_visible=privacy == "publik" and publicly_visible,
        )
        complaint_id = submitted.data.complaint_id
        routed = routed_for(submitted, department, kelurahan=None)
        async with self.pool.acquire() as conn, conn.transaction():
            await handlers.on_complaints_submitted(conn=conn, envelopes=[submitted], policy=SlaPolicy())
            await handlers.on_complaints_routed(conn=conn, envelopes=[routed], policy=SlaPolicy())
            if supporting:
                await event_queries.set_supporting_departments(conn=conn, complaint_id=complaint_id, departments=supporting)
        return complaint_id

    async def note(self, complaint_id: uuid.UUID, headers: dict[str, str], body: str, **fields: object) -> httpx.Response:
        """Write a note on the complaint (internal unless `visibility="reporter"`)."""
        return await self.client.post(f"/v1/complaints/{complaint_id}/notes", json={"body": body, **fields}, headers=headers)

    async def assign(self, complaint_id: uuid.UUID, headers: dict[str, str], officer: str | None) -> httpx.Response:
        """Assign the complaint to `officer` (None: withdraw) as a client that has just read it."""
        body = {"officer": officer, "expected_version": await self.version(complaint_id)}
        return await self.client.put(f"/v1/complaints/{complaint_id}/assignment", json=body, headers=headers)

    async def transition(self, complaint_id: uuid.UUID, headers: dict[str, str], to: str, **fields: object) -> httpx.Response:
        """Move the complaint as a client that has just read it (at its current version)."""
        return await self.client.post(
            f"/v1/complaints/{complaint_id}/transitions",
            headers=headers,
            json={"to": to, "expected_version": await self.version(complaint_id), **fields},
        )

    async def finish(
        self, complaint_id: uuid.UUID, department: str, resolution_note: str = "Lampu sudah diganti"
    ) -> None:
        """Verified by the department's admin, then handled and finished by its field officer."""
        _, admin = await self.staff("dept_admin", department)
        officer_name, officer = await self.staff("field_officer", department)
        verified = await self.transition(complaint_id, admin, "terverifikasi")
        assert verified.status_code == 200, verified.text
        assigned = await self.assign(complaint_id, admin, officer_name)
        assert assigned.status_code == 200, assigned.text
        for to, extra in (
            ("dalam_proses", {}),
            ("selesai", {"resolution_note": resolution_note, "after_photo_ids": [str(uuid.uuid4())]}),
        ):
            response = await self.transition(complaint_id, officer, to, **extra)
            assert response.status_code == 200, response.text

    async def version(self, complaint_id: uuid.UUID) -> int:
        return await self.pool.fetchval("SELECT version FROM complaints WHERE id = $1", complaint_id)


@pytest.fixture
async def status_api(infra, databases) -> AsyncIterator[StatusApi]:
    name = await databases.create("sigap_test_status")
    settings = StatusSettings(
        environment="test",
        pg_host=infra.pg_host,
        pg_port=infra.pg_port,
        pg_user=infra.pg_user,
        pg_password=infra.pg_password,
        pg_database=name,
    )
    pool = await asyncpg.create_pool(**infra.pg_kwargs(name), min_size=1, max_size=8)
    await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_status")])
    app = status_app(settings, pool)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://status.test") as client:
        yield StatusApi(client=client, pool=pool, settings=settings, app=app)
    await pool.close()
