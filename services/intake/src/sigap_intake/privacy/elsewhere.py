"""What the other services hold about a complaint's reporter, asked through their internal
APIs (`GET /internal/v1/personal-data/complaints/{id}` at status and notify) for an access
answer, and the erasure of the reporter's contact addresses at notify (`POST .../erase`).
An answer must be complete: a service that is configured but cannot answer stops the answer
(the officer tries again) instead of exporting less than Sigap holds; likewise an erasure."""

from __future__ import annotations

from uuid import UUID

import aiohttp
import structlog

from sigap_intake.privacy.rules import PrivacyRequestError
from sigap_shared.errors import Text

log = structlog.get_logger(__name__)


class HeldElsewhere:
    def __init__(self, *, services: dict[str, str | None], token: str, timeout_s: float = 10) -> None:
        self._services = {name: url.rstrip("/") if url else None for name, url in services.items()}
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def about(self, complaint_id: UUID) -> dict[str, dict]:
        """Service name -> what it holds; `{"not_configured": true}` for a service this intake
        was not told the address of (a development run)."""
        held: dict[str, dict] = {}
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            for name, url in self._services.items():
                if url is None:
                    held[name] = {"not_configured": True}
                    continue
                held[name] = await self._ask(session, name, f"{url}/internal/v1/personal-data/complaints/{complaint_id}")
        return held

    async def erase_contacts(self, complaint_id: UUID) -> dict | None:
        """Notify's subscribed addresses for the complaint; None when notify's address is not
        configured (a development run)."""
        url = self._services.get("notify")
        if url is None:
            return None
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            return await self._ask(
                session, "notify", f"{url}/internal/v1/personal-data/complaints/{complaint_id}/erase", method="POST"
            )

    async def _ask(self, session: aiohttp.ClientSession, name: str, url: str, method: str = "GET") -> dict:
        try:
            headers = {"Authorization": f"Bearer {self._token}"}
            async with session.request(method, url, headers=headers) as response:
                if response.status == 404:
                    return {"holds_nothing": True}
                response.raise_for_status()
                return await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.warning("personal_data_export_service_unavailable", service=name, error=repr(error))
            raise PrivacyRequestError(
                "privacy-export-incomplete",
                Text(
                    f"Layanan {name} tidak dapat ditanya sekarang; ekspor belum lengkap. Coba lagi sebentar lagi.",
                    f"The {name} service cannot be asked now, so the export would be incomplete. Try again shortly.",
                ),
            ) from error
