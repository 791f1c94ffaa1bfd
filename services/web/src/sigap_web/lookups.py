"""Slow-changing public data the pages show, fetched from routing and kept in memory:
department names by code (for a few minutes, since the city can edit the taxonomy) and the
kelurahan boundaries of the map (once per process, served with a strong ETag)."""

from __future__ import annotations

import asyncio
import hashlib
import time

from sigap_web.clients import Call, RoutingClient


class Departments:
    def __init__(self, routing: RoutingClient, *, ttl_s: float = 300) -> None:
        self._routing = routing
        self._ttl_s = ttl_s
        self._names: dict[str, str] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def names(self, call: Call) -> dict[str, str]:
        async with self._lock:
            if time.monotonic() - self._loaded_at > self._ttl_s:
                self._names = {d["code"]: d["name"] for d in await self._routing.departments(call)}
                self._loaded_at = time.monotonic()
        return self._names

    async def name(self, code: str, call: Call) -> str:
        return (await self.names(call)).get(code, code)


class Boundaries:
    def __init__(self, routing: RoutingClient) -> None:
        self._routing = routing
        self.body = b""
        self.etag = ""
        self._lock = asyncio.Lock()

    async def load(self, call: Call) -> None:
        async with self._lock:
            if not self.body:
                body = await self._routing.kelurahan_geojson(call)
                self.etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                self.body = body
