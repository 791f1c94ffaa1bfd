"""Intake as the service builds it (`create_app(settings)` with its real lifespan: pool,
migrations, relay, context), on a fresh database, with an in-process client (httpx ASGI)."""

from __future__ import annotations

import contextlib
import uuid
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from sigap_intake.bootstrap import build_spec, create_app
from sigap_intake.context import IntakeContext
from sigap_intake.settings import IntakeSettings
from tests.support.apps import app_client
from tests.support.infra import random_name


@dataclass
class IntakeUnderTest:
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    context: IntakeContext
    database: str
    app: FastAPI


@contextlib.asynccontextmanager
async def running_intake(infra, databases, photo_dir: Path, **overrides) -> AsyncIterator[IntakeUnderTest]:
    """The app the service runs, every router included; its consumer is left out (tests hand
    announcements to the handlers themselves)."""
    name = await databases.create("sigap_it_intake")
    # Most tests here are about something other than the photo minimum; those that test it
    # ask for min_photos=1 explicitly.
    overrides.setdefault("min_photos", 0)
    isolated = infra.settings_kwargs(database=name, group_prefix=random_name("intake"))
    settings = IntakeSettings(**isolated | {"photo_dir": photo_dir} | overrides)
    app = create_app(settings, dataclasses.replace(build_spec(settings), consumers=()))
    async with app_client(app, base_url="http://intake") as client:
        context = app.state.context
        yield IntakeUnderTest(client=client, pool=context.pool, context=context, database=name, app=app)


@pytest.fixture
async def intake(infra, databases, tmp_path) -> AsyncIterator[IntakeUnderTest]:
    async with running_intake(infra, databases, tmp_path / "photos") as under_test:
        yield under_test


async def upload_photo(
    intake: IntakeUnderTest, data: bytes, filename: str = "IMG_0001.jpg", content_type: str = "application/octet-stream"
) -> httpx.Response:
    """A photo uploaded as the citizen app does: a fresh capture session, then the file; intake's answer."""
    session = await intake.client.post("/v1/capture-sessions")
    form = {"capture_token": session.json()["capture_token"]}
    return await intake.client.post("/v1/photos", data=form, files={"file": (filename, data, content_type)})


def photo_seed() -> int:
    """A fresh seed for the synthetic camera photos, so no two tests upload the same picture."""
    return uuid.uuid4().int % 10**9


def complaint_with_photos(photos: list[str]) -> dict:
    """A public complaint in Depok carrying the given uploaded photos."""
    return {
        "kind": "pengaduan",
        "description": "Saluran air tersumbat sampah di Jl. Margonda, air meluap ke jalan",
        "category": "jalan_rusak",
        "location": {"lat": -6.3925, "lon": 106.8226},
        "privacy": "publik",
        "photos": photos,
    }
