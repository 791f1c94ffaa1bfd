"""A service's app as its entrypoint builds it (`create_app(settings)`), run in the test process
with its real lifespan (pool, migrations, relay, context) and an in-process HTTP client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI


@contextlib.asynccontextmanager
async def app_client(app: FastAPI, *, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url, timeout=30) as client,
    ):
        yield client
