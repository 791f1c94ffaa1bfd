"""Department names for the tracking view, read from routing's public `GET
/v1/routing/departments` (the city's taxonomy) and kept for a few minutes, since the city can
rename a department. When routing cannot be asked, tracking still answers, with codes only."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import structlog

log = structlog.get_logger(__name__)


class DepartmentNames:
    def __init__(
        self, routing_url: str, *, ttl_s: float = 300, retry_after_s: float = 30, timeout_s: float = 2
    ) -> None:
        self._url = routing_url.rstrip("/") + "/v1/routing/departments"
        self._ttl_s = ttl_s
        self._retry_after_s = retry_after_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._names: dict[str, str] = {}
        self._fresh_until = float("-inf")
        self._lock = asyncio.Lock()

    async def names(self) -> dict[str, str]:
        """Code -> name; the last names known (maybe none) while routing cannot be asked."""
        async with self._lock:
            if time.monotonic() >= self._fresh_until:
                try:
                    async with aiohttp.ClientSession(timeout=self._timeout) as session:
                        async with session.get(self._url) as response:
                            response.raise_for_status()
                            self._names = {item["code"]: item["name"] for item in await response.json()}
                    self._fresh_until = time.monotonic() + self._ttl_s
                except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as exc:
                    log.warning("department_names_unavailable", url=self._url, error=repr(exc))
                    self._fresh_until = time.monotonic() + self._retry_after_s
        return self._names
