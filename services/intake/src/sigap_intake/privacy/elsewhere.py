"""What the other services hold about a complaint's reporter, asked through their internal
APIs (`GET /internal/v1/personal-data/complaints/{id}` at status, notify and routing) for an
access answer, and the erasure of what status (pseudonym and channels), notify (contact
addresses, who messages were for) and routing (pseudonym and channels) keep about the reporter
(`POST .../erase`).
An answer must be complete: a service that is configured but cannot answer stops the answer
(the officer tries again) instead of exporting less than Sigap holds; likewise an erasure.
One HTTP client serves every question, opened and closed with the app (`open_held_elsewhere`),
so its connections to the other services are kept between requests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import structlog

from sigap_intake.privacy.rules import PrivacyRequestError
from sigap_shared.errors import Text

log = structlog.get_logger(__name__)

DEFAULT_TIMEOUT_S = 10.0


class HeldElsewhere:
    def __init__(
        self, *, services: dict[str, str | None], token: str, http: httpx.AsyncClient, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self._services = {name: url.rstrip("/") if url else None for name, url in services.items()}
        self._headers = {"Authorization": f"Bearer {token}"}
        self._http = http
        # The whole exchange with one service, as a bound: httpx's own timeouts are per phase.
        self._timeout_s = timeout_s

    async def about(self, complaint_id: UUID) -> dict[str, dict]:
        """Service name -> what it holds; `{"not_configured": true}` for a service this intake
        was not told the address of (a development run)."""
        held: dict[str, dict] = {}
        for name, url in self._services.items():
            if url is None:
                held[name] = {"not_configured": True}
                continue
            held[name] = await self._ask(name, f"{url}/internal/v1/personal-data/complaints/{complaint_id}")
        return held

    async def erase_elsewhere(self, complaint_id: UUID) -> dict[str, dict]:
        """Status's and routing's copies of the reporter's pseudonym and channels, notify's
        subscribed addresses and deliveries; a service whose address is not configured (a
        development run) is skipped. Each service remembers the erasure, so an event it handles
        later (the erasure may overtake the complaint's events) does not bring the data back."""
        erased: dict[str, dict] = {}
        for name in ("status", "notify", "routing"):
            url = self._services.get(name)
            if url is not None:
                erased[name] = await self._ask(
                    name, f"{url}/internal/v1/personal-data/complaints/{complaint_id}/erase", method="POST"
                )
        return erased

    async def _ask(self, name: str, url: str, method: str = "GET") -> dict:
        try:
            async with asyncio.timeout(self._timeout_s):
                response = await self._http.request(method, url, headers=self._headers)
                if response.status_code == 404:
                    return {"holds_nothing": True}
                response.raise_for_status()
                return response.json()
        except (httpx.HTTPError, TimeoutError, ValueError) as error:
            log.warning("personal_data_export_service_unavailable", service=name, error=repr(error))
            raise PrivacyRequestError(
                "privacy-export-incomplete",
                Text(
                    f"Layanan {name} tidak dapat ditanya sekarang; ekspor belum lengkap. Coba lagi sebentar lagi.",
                    f"The {name} service cannot be asked now, so the export would be incomplete. Try again shortly.",
                ),
            ) from error


@contextlib.asynccontextmanager
async def open_held_elsewhere(
    *,
    services: dict[str, str | None],
    token: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> AsyncIterator[HeldElsewhere]:
    """A `HeldElsewhere` whose HTTP client lives as long as this block (the app's lifespan).
    The client ignores proxy variables of the environment: these are calls inside Sigap."""
    async with httpx.AsyncClient(timeout=timeout_s, trust_env=False) as http:
        yield HeldElsewhere(services=services, token=token, http=http, timeout_s=timeout_s)
