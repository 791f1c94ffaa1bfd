"""Whether a staff token still speaks for an active account, at services that do not own the
accounts (routing, notify). Status owns them; these services ask its internal API
(`GET /internal/v1/staff/{username}`, see services/status/STAFF_CONTRACT.md) and remember each
answer for `SIGAP_STAFF_CHECK_TTL_S` seconds. So a deactivated account, one whose role or
department changed, or one that never existed loses access within that time; when status
cannot be asked and no fresh answer is remembered, the request is refused with 503 rather
than let through."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import quote

import aiohttp
import structlog

from sigap_shared.auth import StaffAccount, StaffDirectoryUnavailable, StaffPrincipal, check_account
from sigap_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)

# Staff accounts number in the hundreds; a cache past this size is simply started again.
_MAX_REMEMBERED = 10_000


class StaffDirectory(Protocol):
    async def check(self, principal: StaffPrincipal) -> None:
        """Raise `AuthError` unless the account is active with the principal's role and
        department; `StaffDirectoryUnavailable` when that cannot be known right now."""

    async def close(self) -> None: ...


class SignatureOnly:
    """The owner of the accounts (status checks its own table), and development or tests of
    routing and notify without `SIGAP_STATUS_INTERNAL_URL` (production refuses to start so)."""

    async def check(self, principal: StaffPrincipal) -> None:
        return None

    async def close(self) -> None:
        return None


class StatusStaffDirectory:
    def __init__(
        self,
        *,
        base_url: str,
        token: str | None,
        ttl_s: float,
        timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = base_url.rstrip("/") + "/internal/v1/staff/"
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._ttl_s = ttl_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._clock = clock
        self._remembered: dict[str, tuple[float, StaffAccount | None]] = {}
        self._session: aiohttp.ClientSession | None = None

    async def check(self, principal: StaffPrincipal) -> None:
        check_account(principal, await self._account(principal.username))

    async def _account(self, username: str) -> StaffAccount | None:
        now = self._clock()
        remembered = self._remembered.get(username)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        account = await self._fetch(username)
        if len(self._remembered) >= _MAX_REMEMBERED:
            self._remembered.clear()
        self._remembered[username] = (now + self._ttl_s, account)
        return account

    async def _fetch(self, username: str) -> StaffAccount | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.get(self._url + quote(username, safe=""), headers=self._headers) as response:
                if response.status == 404:
                    return None
                if response.status != 200:
                    raise StaffDirectoryUnavailable(f"status answered {response.status}")
                body = await response.json(content_type=None)
            return StaffAccount(
                username=str(body["username"]),
                role=str(body["role"]),
                department=body["department"],
                active=bool(body["active"]),
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("staff_directory_unreachable", error=type(exc).__name__)
            raise StaffDirectoryUnavailable(f"status unreachable: {type(exc).__name__}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise StaffDirectoryUnavailable("status answered an unreadable staff account") from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def staff_directory_for(settings: ServiceSettings) -> StaffDirectory:
    """The staff directory a service's `CurrentStaff` asks, from its settings."""
    if not settings.staff_checked_at_status:
        return SignatureOnly()
    if not settings.status_internal_url:
        log.warning("status_internal_url_not_set", effect="staff_tokens_checked_by_signature_only")
        return SignatureOnly()
    token = settings.internal_token.get_secret_value() if settings.internal_token is not None else None
    return StatusStaffDirectory(base_url=settings.status_internal_url, token=token, ttl_s=settings.staff_check_ttl_s)
