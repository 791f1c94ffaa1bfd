"""Notify's view of intake's internal API (see INTAKE_CONTRACT.md): checking a reporter's
tracking code + follow-up token before accepting a direct subscription. Identities stay in
intake; notify only ever learns which complaint a token belongs to."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from uuid import UUID


import aiohttp


class FollowUpRejected(Exception):
    """The tracking code is unknown or the token does not match it."""


class FollowUpRateLimited(Exception):
    """Intake refuses more checks of this tracking code for now."""

    def __init__(self, retry_after: str) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class IntakeUnavailable(Exception):
    """Intake is not configured or did not answer."""


@dataclass(frozen=True, slots=True)
class VerifiedFollowUp:
    complaint_id: UUID
    tracking_code: str


class IntakeClient:
    def __init__(self, *, base_url: str | None, token: str | None, session: aiohttp.ClientSession) -> None:
        self._base_url = base_url.rstrip("/") if base_url else None
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._session = session

    async def verify_follow_up(self, *, tracking_code: str, follow_up_token: str) -> VerifiedFollowUp:
        """`POST {intake}/internal/v1/follow-up/verify` `{"tracking_code", "follow_up_token"}`:
        200 `{"complaint_id"}` when they match, 404 or 403 when they do not."""
        if self._base_url is None:
            raise IntakeUnavailable("SIGAP_INTAKE_INTERNAL_URL is not set")
        try:
            async with self._session.post(
                f"{self._base_url}/internal/v1/follow-up/verify",
                json={"tracking_code": tracking_code, "follow_up_token": follow_up_token},
                headers=self._headers,
            ) as response:
                if response.status in (403, 404):
                    raise FollowUpRejected(str(response.status))
                if response.status == 429:
                    raise FollowUpRateLimited(response.headers.get("Retry-After", "60"))
                if response.status != 200:
                    raise IntakeUnavailable(f"intake answered {response.status}")
                body = await response.json(content_type=None)
            return VerifiedFollowUp(complaint_id=UUID(body["complaint_id"]), tracking_code=tracking_code)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise IntakeUnavailable(type(exc).__name__) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise IntakeUnavailable("intake answered an unreadable body") from exc
