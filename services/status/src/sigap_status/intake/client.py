"""Status's client for intake's internal API (services/status/INTAKE_CONTRACT.md): claiming
live after-photos for a finished complaint, and the audited reveal of a confidential reporter's
identity. Photos and identities stay in intake; status only asks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import aiohttp
import structlog

from sigap_shared.errors import Text
from sigap_status.errors import StatusError

log = structlog.get_logger(__name__)


class IntakeUnavailable(StatusError):
    """Intake did not answer, answered 5xx, or answered something this contract does not know
    (`reason` says which, for the logs). Nothing was changed, so trying again later helps."""

    retry_after_s = 30

    def __init__(self, reason: str) -> None:
        super().__init__(
            "intake-unavailable",
            Text(
                "Foto dan identitas pelapor disimpan di layanan intake, yang saat ini tidak dapat dihubungi. "
                "Tidak ada yang diubah; coba lagi sebentar lagi.",
                "Photos and reporter identities live in the intake service, which cannot be reached right now. "
                "Nothing was changed; try again shortly.",
            ),
        )
        self.reason = reason


class IntakeRefused(Exception):
    """Intake answered with a problem this contract names (404, 409, 403, 422): `status` is
    intake's status code; `problem` its problem+json body (or {} if unreadable)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"intake answered {status}")
        self.status = status
        self.problem = problem

    @property
    def fields(self) -> list[str]:
        """What the problem's `errors[].field` name (e.g. the unknown photo ids)."""
        errors = self.problem.get("errors") or []
        return [str(error["field"]) for error in errors if isinstance(error, dict) and error.get("field")]


@dataclass(frozen=True, slots=True)
class PhotoVerdict:
    photo_id: UUID
    verdict: str  # verified_live | suspicious | rejected
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RevealedIdentity:
    """Never logged, never stored, never put in an event: returned to the city admin only."""

    complaint_id: UUID
    privacy: str
    name: str | None
    phone: str | None
    email: str | None
    audit_id: UUID

    def __repr__(self) -> str:  # keeps the identity out of tracebacks and debug logs
        return f"RevealedIdentity(complaint_id={self.complaint_id}, privacy={self.privacy}, audit_id={self.audit_id})"


def _reason_code(reason: Any) -> str:
    # The contract says strings; intake's public photo API gives {"code", "message"} objects.
    if isinstance(reason, dict):
        return str(reason.get("code") or reason.get("message") or reason)
    return str(reason)


class IntakeClient:
    def __init__(self, *, base_url: str, token: str | None, session: aiohttp.ClientSession) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._session = session

    async def _post(self, path: str, body: dict[str, Any], *, refusals: frozenset[int]) -> dict[str, Any]:
        try:
            return await self._send(path, body, refusals=refusals)
        except IntakeUnavailable as exc:
            # Bodies are never logged: a reveal's answer is a reporter's identity.
            log.warning("intake_unavailable", path=path, error=exc.reason)
            raise

    async def _send(self, path: str, body: dict[str, Any], *, refusals: frozenset[int]) -> dict[str, Any]:
        try:
            async with self._session.post(f"{self._base_url}{path}", json=body, headers=self._headers) as response:
                if response.status in (200, 201):
                    answer = await response.json(content_type=None)
                    if not isinstance(answer, dict):
                        raise IntakeUnavailable("intake answered an unreadable body")
                    return answer
                if response.status in refusals:
                    try:
                        problem = await response.json(content_type=None)
                    except ValueError:
                        problem = {}
                    raise IntakeRefused(response.status, problem if isinstance(problem, dict) else {})
                raise IntakeUnavailable(f"intake answered {response.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise IntakeUnavailable(type(exc).__name__) from exc
        except ValueError as exc:
            raise IntakeUnavailable("intake answered an unreadable body") from exc

    async def claim_after_photos(self, *, complaint_id: UUID, photo_ids: list[UUID]) -> list[PhotoVerdict]:
        """Bind the photos to the complaint as after-photos and learn each one's verdict.
        Raises `IntakeRefused` (404 unknown photo, 409 photo already used elsewhere)."""
        answer = await self._post(
            "/internal/v1/after-photos/claim",
            {"complaint_id": str(complaint_id), "photo_ids": [str(photo_id) for photo_id in photo_ids]},
            refusals=frozenset({404, 409, 422}),
        )
        try:
            return [
                PhotoVerdict(
                    photo_id=UUID(str(photo["photo_id"])),
                    verdict=str(photo["verdict"]),
                    reasons=tuple(_reason_code(reason) for reason in photo.get("reasons") or ()),
                )
                for photo in answer["photos"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise IntakeUnavailable("intake answered an unreadable body") from exc

    async def reveal_identity(self, *, complaint_id: UUID, actor: str, actor_role: str, reason: str) -> RevealedIdentity:
        """Intake writes the look to its access log in the same transaction that reads the
        identity. Raises `IntakeRefused` (403 not a city admin, 404 unknown, 422 reason)."""
        answer = await self._post(
            "/internal/v1/identities/reveal",
            {"complaint_id": str(complaint_id), "actor": actor, "actor_role": actor_role, "reason": reason},
            refusals=frozenset({403, 404, 422}),
        )
        try:
            return RevealedIdentity(
                complaint_id=UUID(str(answer["complaint_id"])),
                privacy=str(answer["privacy"]),
                name=answer.get("name"),
                phone=answer.get("phone"),
                email=answer.get("email"),
                audit_id=UUID(str(answer["audit_id"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise IntakeUnavailable("intake answered an unreadable body") from exc

    async def complaint_photos(self, *, complaint_id: UUID) -> list[dict[str, Any]]:
        """The complaint's photos with verdicts and reasons (INTAKE_CONTRACT.md §3)."""
        body = await self._fetch(f"/internal/v1/complaints/{complaint_id}/photos", json_body=True)
        if not isinstance(body, dict) or not isinstance(body.get("photos"), list):
            raise IntakeUnavailable("intake answered an unreadable body")
        return body["photos"]

    async def complaint_photo(self, *, complaint_id: UUID, photo_id: UUID) -> bytes:
        """One of the complaint's photos, metadata stripped. Raises `IntakeRefused` (404)."""
        return await self._fetch(f"/internal/v1/complaints/{complaint_id}/photos/{photo_id}", json_body=False)

    # -- personal-data requests (intake's privacy API), for the data protection officer --

    async def privacy_requests(self, *, state: str) -> list[dict[str, Any]]:
        body = await self._fetch(f"/internal/v1/privacy/requests?state={state}&limit=500", json_body=True)
        if not isinstance(body, list):
            raise IntakeUnavailable("intake answered an unreadable body")
        return body

    async def privacy_request(self, *, request_id: UUID, export_to: tuple[str, str] | None = None) -> dict[str, Any]:
        """Raises `IntakeRefused` (404) for a request intake does not know; with `export_to`
        (the dpo's username and role) a granted access request carries its export, and intake
        audits that delivery."""
        query = f"?{urlencode({'export_to': export_to[0], 'export_role': export_to[1]})}" if export_to else ""
        body = await self._fetch(f"/internal/v1/privacy/requests/{request_id}{query}", json_body=True)
        if not isinstance(body, dict):
            raise IntakeUnavailable("intake answered an unreadable body")
        return body

    async def privacy_audit(self, *, complaint_id: UUID) -> list[dict[str, Any]]:
        body = await self._fetch(f"/internal/v1/privacy/audit?complaint_id={complaint_id}", json_body=True)
        if not isinstance(body, list):
            raise IntakeUnavailable("intake answered an unreadable body")
        return body

    async def record_privacy_request(self, body: dict[str, Any]) -> dict[str, Any]:
        """Raises `IntakeRefused` (403 role, 404 unknown tracking code, 422 invalid)."""
        return await self._post("/internal/v1/privacy/requests", body, refusals=frozenset({403, 404, 422}))

    async def answer_privacy_request(self, *, request_id: UUID, body: dict[str, Any]) -> dict[str, Any]:
        """Raises `IntakeRefused` (403 not the dpo, 404, 409 already answered, 422 reason)."""
        return await self._post(
            f"/internal/v1/privacy/requests/{request_id}/answer", body, refusals=frozenset({403, 404, 409, 422})
        )

    async def _fetch(self, path: str, *, json_body: bool) -> Any:
        try:
            async with self._session.get(f"{self._base_url}{path}", headers=self._headers) as response:
                if response.status == 200:
                    return await response.json(content_type=None) if json_body else await response.read()
                if response.status == 404:
                    raise IntakeRefused(404, {})
                raise IntakeUnavailable(f"intake answered {response.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("intake_unavailable", path=path, error=type(exc).__name__)
            raise IntakeUnavailable(type(exc).__name__) from exc
        except ValueError as exc:
            raise IntakeUnavailable("intake answered an unreadable body") from exc


def new_http_session(*, timeout_s: float) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s))
